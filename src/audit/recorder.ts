/**
 * The Recorder the proxy calls once per request. record() redacts and serializes the entry and
 * appends it to the journal (durable against a process kill from then on) and queues it; every
 * flushIntervalMs the queued lines go to the writer thread as one batch. The first record of a
 * turn of the event loop is written at once (record() returns undefined: answer now; a raw entry,
 * recordRaw(), waits for its turn's write as the others do); the records
 * that follow in the same turn (e.g. the answers of one chunk a backend wrote) are written together
 * with one write() when the turn's synchronous work ends, and record() returns a promise that
 * settles once they are in the journal (rejects if that write failed: the caller must not answer).
 * Back-pressure is explicit: past maxQueue uncommitted rows, `block` makes record() return a
 * promise that settles when the writer catches up, `fail-closed` makes it throw (the proxy then
 * denies). Nothing is ever dropped. With a mapped journal, recordRawBytes() copies a raw entry of
 * ASCII lines into the segment straight from their bytes, at once (Spool.appendRaw: no string, no
 * promise, so the caller answers in the same turn); a batch is then where its lines are in the
 * segment's file (Spool.take(): a JournalRange), and the writer thread reads them from the file, so
 * this thread neither copies nor decodes them.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log/logger.js';
import type { AuditRecord, RawNames, RawRecordHead, Recorder } from '../types.js';
import { Redactor } from './redact.js';
import type { RetentionRule } from './retention.js';
import { journalBody } from './journal-line.js';
import { rawHeadBytes, rawHeadJson, rawJournalBody } from './raw-entry.js';
import type { JournalRange } from './journal-range.js';
import type { Spool } from './spool.js';
import type { FromWriter, ToWriter, WriterWorkerData } from './writer-worker.js';
import { leaveIdle } from './writer-sched.js';

/** Thrown by record() when the queue is full and backpressure is fail-closed. */
export class AuditBackpressureError extends Error {
  constructor(queued: number) {
    super(`audit log is ${queued} rows behind; refusing the request (audit.backpressure: fail-closed)`);
    this.name = 'AuditBackpressureError';
  }
}

export interface RecorderOptions {
  dbPath: string;
  spool: Spool;
  chainKey?: string;
  redactFields: readonly string[];
  maxPayloadBytes: number;
  flushIntervalMs: number;
  maxQueue: number;
  backpressure: 'block' | 'fail-closed';
  retention?: RetentionRule;
  retentionIntervalMs: number;
  /** Niceness of the writer thread (Linux: per thread). */
  writerNice: number;
  /** Run the writer thread under SCHED_IDLE (Linux; see audit.writerIdle). */
  writerIdle?: boolean;
  logger?: Logger;
  /** Called after the writer thread is gone and the journal is closed. */
  onClosed?: () => void;
}

/** Lines are posted early once this many writes are queued, so one batch never grows unbounded. */
const MAX_BATCH_LINES = 4096;
const CLOSE_TIMEOUT_MS = 10_000;
const WORKER_RESTART_MS = 500;
/**
 * A posted batch not committed after this long while the writer runs under SCHED_IDLE means the
 * host's other work starves it: the writer is then moved to normal scheduling (writer-sched.ts).
 */
const STARVED_MS = 500;

interface Waiter {
  seq: number;
  resolve: () => void;
}

/** Journal lines recorded in one turn, written together; `written` settles after their write(). */
class TurnBatch {
  text = '';
  readonly written: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;

  constructor(readonly firstSeq: number) {
    this.written = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

export class AuditRecorder implements Recorder {
  private seq: number;
  private committedSeq: number;
  /** Journal appends since the last batch was posted (their lines: Spool.take()). */
  private unposted = 0;
  /** Batches posted to the writer but not yet committed: resent if the writer thread dies. */
  private inflight: Array<{ lastSeq: number; text: string | JournalRange; postedAt: number }> = [];
  /** The writer thread's id while it runs under SCHED_IDLE (its 'scheduling' messages). */
  private idleWriterTid: string | undefined;
  /** When the writer last said it runs under SCHED_IDLE (a batch waits for it from then on, at the earliest). */
  private writerIdleSince = 0;
  private waiters: Waiter[] = [];
  private worker!: Worker;
  private readonly timer: NodeJS.Timeout;
  private readonly redactor: Redactor;
  /** Recorder.rawNames (the redactor's, when a scan of strings finds them). */
  readonly rawNames: RawNames | undefined;
  private closing: Promise<void> | undefined;
  /** A record was written in this turn of the event loop (endTurn is queued). */
  private turnOpen = false;
  /** Records of this turn after its first, written by writeTurn(). */
  private turn: TurnBatch | undefined;
  /** The head JSON of raw entries, and its bytes, per head (the caller keeps one head per session and decision). */
  private readonly heads = new WeakMap<RawRecordHead, { json: string; bytes: Uint8Array }>();
  /** The head headOf() gave last, and what it gave. */
  private lastHead: RawRecordHead | undefined;
  private lastHeadOut: { json: string; bytes: Uint8Array } | undefined;
  /** Raw entries are copied into the mapped journal from their bytes (Spool.appendRaw). */
  private readonly mapped: boolean;

  constructor(private readonly options: RecorderOptions) {
    // Journal sequence numbers: this process's own count; the writer assigns the rows' chain seq.
    this.seq = 0;
    this.committedSeq = 0;
    this.redactor = new Redactor(options.redactFields);
    this.rawNames = this.redactor.rawNames;
    this.mapped = options.spool.mode === 'mapped';
    this.startWorker();
    this.timer = setInterval(() => this.post(), options.flushIntervalMs);
    this.timer.unref();
  }

  /** Rows accepted but not yet committed to SQLite. */
  get queued(): number {
    return this.seq - this.committedSeq;
  }

  record(entry: AuditRecord): void | Promise<void> {
    this.admit();
    return this.append(journalBody(entry, this.redactor, this.options.maxPayloadBytes, entry.resultJson));
  }

  rawSafe(text: string): boolean {
    return this.redactor.rawSafe(text);
  }

  rawSafeBytes(b: Buffer, start: number, end: number): number {
    return this.redactor.rawSafeBytes(b, start, end);
  }


  /** A raw entry (raw-entry.ts): the lines as they came, both found rawSafe by the caller. */
  recordRaw(head: RawRecordHead, time: number, backendMicros: number, request: string, requestBytes: number, answer: string, responseBytes: number): void | Promise<void> {
    this.admit();
    return this.append(rawJournalBody(this.headOf(head).json, time, backendMicros, requestBytes, responseBytes, request, answer), true);
  }

  /**
   * A raw entry from the lines' bytes, request[requestStart, requestEnd) and answer[answerStart,
   * answerEnd), with their lengths as text (Recorder.rawSafeBytes). Mapped, an ASCII entry is copied
   * into the journal from those bytes, at once (no string, no promise): returns undefined (answer
   * now) but under back-pressure. Else as recordRaw() of their text.
   */
  recordRawBytes(
    head: RawRecordHead,
    time: number,
    backendMicros: number,
    request: Buffer,
    requestStart: number,
    requestEnd: number,
    requestChars: number,
    answer: Buffer,
    answerStart: number,
    answerEnd: number,
    answerChars: number,
  ): void | Promise<void> {
    if (
      !this.mapped ||
      requestChars !== requestEnd - requestStart ||
      answerChars !== answerEnd - answerStart ||
      !(time >= 0 && backendMicros >= 0 && Number.isSafeInteger(time) && Number.isSafeInteger(backendMicros))
    ) {
      return this.recordRaw(head, time, backendMicros, request.toString('utf8', requestStart, requestEnd), requestEnd - requestStart, answer.toString('utf8', answerStart, answerEnd), answerEnd - answerStart);
    }
    this.admit();
    // Records batched in this turn (record()) go first: the journal holds lines in their order.
    this.writeTurn();
    const queued = this.seq - this.committedSeq;
    const seq = this.seq + 1;
    // Throws on an I/O error (disk full): nothing was recorded, the caller refuses the call.
    this.options.spool.appendRaw(seq, time, backendMicros, this.headOf(head).bytes, request, requestStart, requestEnd, answer, answerStart, answerEnd);
    this.seq = seq;
    this.queue();
    const max = this.options.maxQueue;
    if (queued >= max) return this.waitFor(seq - max);
  }

  private headOf(head: RawRecordHead): { json: string; bytes: Uint8Array } {
    // Calls of one session come in runs: the last head is asked for again without a hash lookup.
    if (head === this.lastHead) return this.lastHeadOut!;
    let h = this.heads.get(head);
    if (h === undefined) {
      const json = rawHeadJson(head);
      h = { json, bytes: rawHeadBytes(json) };
      this.heads.set(head, h);
    }
    this.lastHead = head;
    this.lastHeadOut = h;
    return h;
  }

  /** Throws when no record may be taken: closed, or fail-closed back-pressure. */
  private admit(): void {
    if (this.closing) throw new Error('audit recorder is closed');
    const queued = this.seq - this.committedSeq;
    if (queued >= this.options.maxQueue && this.options.backpressure === 'fail-closed') throw new AuditBackpressureError(queued);
  }

  /**
   * Journals one entry's body (see the class comment for when it is written and what is returned).
   * `batched`: even the first entry of a turn waits for the turn's one write (raw entries: the
   * answers of one chunk then leave in one journal write and one write to the client, where a first
   * entry written at once would cost one more of each; at one call per turn it costs a microtask).
   */
  private append(body: string, batched = false): void | Promise<void> {
    const queued = this.seq - this.committedSeq;
    const max = this.options.maxQueue;
    const seq = this.seq + 1;
    const line = `${seq} ${body}\n`;
    if (batched && !this.turnOpen) {
      this.turnOpen = true;
      queueMicrotask(this.endTurn);
    } else if (!this.turnOpen) {
      // Throws on an I/O error (disk full): nothing was recorded, the caller refuses the call.
      this.options.spool.append(line, seq);
      this.seq = seq;
      this.queue();
      this.turnOpen = true;
      queueMicrotask(this.endTurn);
      if (queued >= max) return this.waitFor(seq - max);
      return;
    }
    if (this.turn === undefined) this.turn = new TurnBatch(seq);
    this.turn.text += line;
    this.seq = seq;
    return queued >= max ? this.turn.written.then(() => this.waitFor(seq - max)) : this.turn.written;
  }

  /** Resolves once every row recorded so far is committed to the database. */
  flush(): Promise<void> {
    this.writeTurn();
    this.post();
    return this.waitFor(this.seq);
  }

  private readonly endTurn = (): void => {
    this.turnOpen = false;
    this.writeTurn();
  };

  /** Writes the records batched in this turn with one write(), then lets their callers answer. */
  private writeTurn(): void {
    const turn = this.turn;
    if (turn === undefined) return;
    this.turn = undefined;
    try {
      this.options.spool.append(turn.text, this.seq);
    } catch (err) {
      // None of them is in the journal: their calls are refused, and their numbers are used again.
      this.seq = turn.firstSeq - 1;
      turn.reject(err);
      return;
    }
    this.queue();
    turn.resolve();
  }

  /** Counts a journal append (its lines reach the writer with the next batch). */
  private queue(): void {
    if (++this.unposted >= MAX_BATCH_LINES) this.post();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.timer);
    this.writeTurn();
    this.post();
    // The last flush must not wait for a busy host's idle time.
    if (this.idleWriterTid !== undefined) this.wakeWriter(true);
    this.worker.ref();
    const done = new Promise<boolean>((resolve) => {
      this.worker.once('exit', () => resolve(true));
      setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS).unref();
    });
    this.worker.postMessage({ type: 'close' } satisfies ToWriter);
    const exited = await done;
    if (!exited) {
      this.options.logger?.error({ queued: this.queued }, 'audit writer did not finish in time; uncommitted rows stay in the journal for the next start');
      await this.worker.terminate();
    }
    this.options.spool.close(this.committedSeq === this.seq);
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    this.options.onClosed?.();
  }

  private waitFor(seq: number): Promise<void> {
    if (this.committedSeq >= seq) return Promise.resolve();
    // Someone is waiting for the writer: keep the process alive until it answers.
    this.worker.ref();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  private post(): void {
    if (this.idleWriterTid !== undefined && this.inflight.length > 0 && performance.now() - Math.max(this.inflight[0]!.postedAt, this.writerIdleSince) > STARVED_MS) this.wakeWriter(false);
    if (this.unposted === 0) return;
    this.unposted = 0;
    const text = this.options.spool.take();
    if (text === '') return;
    this.inflight.push({ lastSeq: this.seq, text, postedAt: performance.now() });
    this.worker.postMessage({ type: 'batch', text, lastSeq: this.seq } satisfies ToWriter);
  }

  /** Moves an idle writer to normal scheduling: in the background, or at once (`now`, at shutdown). */
  private wakeWriter(now: boolean): void {
    const tid = this.idleWriterTid!;
    this.idleWriterTid = undefined;
    const worker = this.worker;
    const woken = () => worker.postMessage({ type: 'woken' } satisfies ToWriter);
    if (!now) {
      this.options.logger?.info({ waitedMs: STARVED_MS }, 'audit writer starved under SCHED_IDLE (a busy host): moved to normal scheduling');
      leaveIdle(tid, woken);
    } else if (leaveIdle(tid)) woken();
  }

  private onCommitted(seq: number): void {
    if (seq <= this.committedSeq) return;
    this.committedSeq = seq;
    while (this.inflight.length > 0 && this.inflight[0]!.lastSeq <= seq) this.inflight.shift();
    this.options.spool.committed(seq);
    if (this.waiters.length > 0) {
      const still: Waiter[] = [];
      for (const w of this.waiters) (w.seq <= seq ? w.resolve() : still.push(w));
      this.waiters = still;
      if (still.length === 0 && !this.closing) this.worker.unref();
    }
  }

  private startWorker(): void {
    const data: WriterWorkerData = {
      dbPath: this.options.dbPath,
      journalId: this.options.spool.id,
      chainKey: this.options.chainKey,
      retention: this.options.retention,
      retentionIntervalMs: this.options.retentionIntervalMs,
      niceness: this.options.writerNice,
      idle: this.options.writerIdle === true,
      maxQueue: this.options.maxQueue,
      redactFields: this.options.redactFields,
      maxPayloadBytes: this.options.maxPayloadBytes,
    };
    const worker = spawnWriter(data);
    if (this.waiters.length === 0) worker.unref();
    worker.on('message', (msg: FromWriter) => {
      if (msg.type === 'committed' || msg.type === 'closed') this.onCommitted(msg.committed);
      else if (msg.type === 'scheduling') {
        this.idleWriterTid = msg.idle ? msg.tid : undefined;
        this.writerIdleSince = performance.now();
      } else if (msg.type === 'error') this.options.logger?.error(msg.message);
      else if (msg.type === 'retention') this.options.logger?.info({ removed: msg.removed }, 'audit retention removed old rows');
    });
    worker.on('error', (err) => this.options.logger?.error({ err: err.message }, 'audit writer thread failed'));
    worker.on('exit', () => {
      if (this.closing || this.worker !== worker) return;
      // Its thread id is no longer ours to reschedule; the new writer says its own.
      this.idleWriterTid = undefined;
      this.options.logger?.error('audit writer thread exited; restarting it');
      // Rows keep going to the journal meanwhile; batches posted to the dead thread stay in `inflight`.
      setTimeout(() => {
        if (this.closing) return;
        this.startWorker();
        // The new writer skips rows it already has, so resending everything uncommitted is safe.
        for (const batch of this.inflight) this.worker.postMessage({ type: 'batch', text: batch.text, lastSeq: batch.lastSeq } satisfies ToWriter);
      }, WORKER_RESTART_MS).unref();
    });
    this.worker = worker;
  }
}

/** Starts the writer thread; from TypeScript sources (tests) it is loaded through tsx. */
function spawnWriter(workerData: WriterWorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('./writer-worker.ts', here).href;
    const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData });
  }
  return new Worker(new URL('./writer-worker.js', here), { workerData });
}
