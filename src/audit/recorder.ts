/**
 * The Recorder the proxy calls once per request. record() redacts and serializes the entry and
 * appends it to the journal (durable against a process kill from then on) and queues it; every
 * flushIntervalMs the queued lines go to the writer thread as one batch. With the journal written
 * by write() (the fallback where segments cannot be mapped), the first record of a
 * turn of the event loop is written at once (record() returns undefined: answer now; a raw entry,
 * recordRaw(), waits for its turn's write as the others do); the records
 * that follow in the same turn (e.g. the answers of one chunk a backend wrote) are written together
 * with one write() when the turn's synchronous work ends, and record() returns a promise that
 * settles once they are in the journal (rejects if that write failed: the caller must not answer).
 * Back-pressure is explicit: past maxQueue uncommitted rows, `block` makes record() return a
 * promise that settles when the writer catches up, `fail-closed` makes it throw (the proxy then
 * denies). Nothing is ever dropped. With a mapped journal a line is in the journal once it is copied
 * into the segment (no system call to save by writing a turn's lines together), so every record is
 * appended at once and record() returns undefined but under back-pressure: the answers of one chunk
 * then all go out in the delivery's one write, none of them a microtask later in a second write.
 * Mapped too, recordRawBytes() copies a raw entry of
 * ASCII lines into the segment straight from their bytes, at once (Spool.appendRaw: no string, no
 * promise, so the caller answers in the same turn); a batch is then where its lines are in the
 * segment's file (Spool.take(): a JournalRange), and the writer thread reads them from the file, so
 * this thread neither copies nor decodes them.
 */
import type { Logger } from '../log/logger.js';
import { RAW_VERDICT, type AuditRecord, type RawNames, type RawRecordHead, type Recorder } from '../types.js';
import { Redactor } from './redact.js';
import type { RetentionRule } from './retention.js';
import { journalBody } from './journal-line.js';
import { RawHeadCache, rawJournalBody } from './raw-entry.js';
import type { Spool } from './spool.js';
import type { ChainHead } from './writer-worker.js';
import { ChainHeadLog } from './head-log.js';
import { WriterLink } from './writer-link.js';
import { TurnBatch } from './writer-spawn.js';

/** What the audit recorder has done so far (the metrics endpoint's audit families). */
export interface AuditCounters {
  /** Rows this process put in its journal. */
  recorded: number;
  /** Of those, rows committed to the database. */
  committed: number;
  /** Journal lines skipped as damaged: by this process's writer, and when journals left by stopped processes were imported. */
  skippedLines: number;
  /** Batch writes that failed (each retried until it commits). */
  writeErrors: number;
  /** Rows can no longer reach the database: every request is refused (fail closed). */
  failed: boolean;
}

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
  /** Log the chain head at most this often while it moves, and at shutdown (head-log.ts); 0 or absent: never. */
  headLogMs?: number;
  /** Called after the writer thread is gone and the journal is closed. */
  onClosed?: () => void;
  /** Told once when rows can no longer reach the database (fail()): the process should stop, non-zero. */
  onFailure?: (err: Error) => void;
}

/** Lines are posted early once this many writes are queued, so one batch never grows unbounded. */
const MAX_BATCH_LINES = 4096;
const CLOSE_TIMEOUT_MS = 10_000;

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class AuditRecorder implements Recorder {
  private seq: number;
  private committedSeq: number;
  /** The journal sequence of the last row posted to the writer. */
  private postedSeq = 0;
  /** Journal appends since the last batch was posted (their lines: Spool.take()). */
  private unposted = 0;
  private waiters: Waiter[] = [];
  private readonly writer: WriterLink;
  private readonly headLog: ChainHeadLog;
  private readonly timer: NodeJS.Timeout;
  private readonly redactor: Redactor;
  /** Recorder.rawNames (the redactor's, when a scan of strings finds them). */
  readonly rawNames: RawNames | undefined;
  private closing: Promise<void> | undefined;
  /** Set when rows can no longer reach the database (fail()): every record is refused with it. */
  private failure: Error | undefined;
  /** A record was written in this turn of the event loop (endTurn is queued). */
  private turnOpen = false;
  /** Records of this turn after its first, written by writeTurn(). */
  private turn: TurnBatch | undefined;
  /** The head JSON of raw entries, and its bytes, per head. */
  private readonly heads = new RawHeadCache();
  /** Raw entries are copied into the mapped journal from their bytes (Spool.appendRaw). */
  private readonly mapped: boolean;
  /** Recorder.rawToolCallScan and recordRawAnswer: with the native addon's checks (native/raw_check.c), else undefined. */
  readonly rawToolCallScan: Recorder['rawToolCallScan'];
  readonly recordRawAnswer: Recorder['recordRawAnswer'];

  constructor(private readonly options: RecorderOptions) {
    // Journal sequence numbers: this process's own count; the writer assigns the rows' chain seq.
    this.seq = 0;
    this.committedSeq = 0;
    this.redactor = new Redactor(options.redactFields);
    this.rawNames = this.redactor.rawNames;
    this.mapped = options.spool.mode === 'mapped';
    const addon = options.spool.rawAddon;
    const table = this.redactor.rawNativeTable;
    if (addon !== undefined && table !== undefined && process.env.MCP_WARDEN_RAW_NATIVE !== 'off') {
      const rawRequest = addon.rawRequest!;
      this.rawToolCallScan = (b, start, end, from, seen) => rawRequest(table, b, start, end, from, seen);
      this.recordRawAnswer = (head, time, backendMicros, request, requestStart, requestEnd, answer, answerStart, answerEnd) =>
        this.recordRawChecked(table, head, time, backendMicros, request, requestStart, requestEnd, answer, answerStart, answerEnd);
    }
    const o = options;
    this.headLog = new ChainHeadLog(o.headLogMs ?? 0, o.logger);
    this.writer = new WriterLink(
      {
        dbPath: o.dbPath,
        journalId: o.spool.id,
        chainKey: o.chainKey,
        retention: o.retention,
        retentionIntervalMs: o.retentionIntervalMs,
        niceness: o.writerNice,
        idle: o.writerIdle === true,
        maxQueue: o.maxQueue,
        redactFields: o.redactFields,
        maxPayloadBytes: o.maxPayloadBytes,
      },
      o.logger,
      { committed: (seq, head) => this.onCommitted(seq, head), unreadable: (file, message) => this.fail(file, message), waiting: () => this.waiters.length > 0 },
    );
    this.timer = setInterval(() => this.post(), options.flushIntervalMs);
    this.timer.unref();
  }

  /** Rows accepted but not yet committed to SQLite. */
  get queued(): number {
    return this.seq - this.committedSeq;
  }

  /** AuditCounters; `importSkipped`: lines skipped when the store imported stopped processes' journals. */
  counters(importSkipped = 0): AuditCounters {
    const w = this.writer.counts;
    // Rows in the journal: those of a turn not yet written are not (a failed write gives their numbers back).
    const recorded = this.turn === undefined ? this.seq : this.turn.firstSeq - 1;
    return { recorded, committed: this.committedSeq, skippedLines: w.skippedLines + importSkipped, writeErrors: w.writeErrors, failed: this.failure !== undefined };
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
    return this.append(rawJournalBody(this.heads.of(head).json, time, backendMicros, requestBytes, responseBytes, request, answer), true);
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
    this.options.spool.appendRaw(seq, time, backendMicros, this.heads.of(head).bytes, request, requestStart, requestEnd, answer, answerStart, answerEnd);
    this.seq = seq;
    this.queue();
    const max = this.options.maxQueue;
    if (queued >= max) return this.waitFor(seq - max);
  }

  /**
   * Recorder.recordRawAnswer (Spool.appendRawChecked): unchecked while failed, closed or under
   * back-pressure (recordRawBytes then applies it), else as recordRawBytes of a line the addon proves.
   */
  private recordRawChecked(
    table: Uint8Array,
    head: RawRecordHead,
    time: number,
    backendMicros: number,
    request: Buffer,
    requestStart: number,
    requestEnd: number,
    answer: Buffer,
    answerStart: number,
    answerEnd: number,
  ): number {
    if (this.failure !== undefined || this.closing !== undefined || this.seq - this.committedSeq >= this.options.maxQueue) return RAW_VERDICT.unchecked;
    // Records batched in this turn (record()) go first: the journal holds lines in their order.
    this.writeTurn();
    const seq = this.seq + 1;
    const r = this.options.spool.appendRawChecked(table, seq, time, backendMicros, this.heads.of(head).bytes, request, requestStart, requestEnd, answer, answerStart, answerEnd);
    if (r === RAW_VERDICT.recorded) {
      this.seq = seq;
      this.queue();
    }
    return r;
  }

  /** Throws when no record may be taken: closed, or fail-closed back-pressure. */
  private admit(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.closing) throw new Error('audit recorder is closed');
    const queued = this.seq - this.committedSeq;
    if (queued >= this.options.maxQueue && this.options.backpressure === 'fail-closed') throw new AuditBackpressureError(queued);
  }

  /**
   * Journals one entry's body (see the class comment for when it is written and what is returned;
   * mapped: at once). Written with write():
   * `batched`: even the first entry of a turn waits for the turn's one write (raw entries: the
   * answers of one chunk then leave in one journal write and one write to the client, where a first
   * entry written at once would cost one more of each; at one call per turn it costs a microtask).
   */
  private append(body: string, batched = false): void | Promise<void> {
    const queued = this.seq - this.committedSeq;
    const max = this.options.maxQueue;
    const seq = this.seq + 1;
    const line = `${seq} ${body}\n`;
    if (this.mapped) {
      // A copy into the mapped segment: in the journal at once, whatever the turn (see the class comment).
      // Throws on an I/O error (a segment that cannot be rotated): nothing was recorded, the caller refuses the call.
      this.options.spool.append(line, seq);
      this.seq = seq;
      this.queue();
      if (queued >= max) return this.waitFor(seq - max);
      return;
    }
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
    if (!(await this.writer.close(CLOSE_TIMEOUT_MS))) {
      this.options.logger?.error({ queued: this.queued }, 'audit writer did not finish in time; uncommitted rows stay in the journal for the next start');
    }
    this.headLog.close();
    this.options.spool.close(this.committedSeq === this.seq);
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    this.options.onClosed?.();
  }

  private waitFor(seq: number): Promise<void> {
    if (this.committedSeq >= seq) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    // Someone is waiting for the writer: keep the process alive until it answers.
    this.writer.keepAlive(true);
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  /**
   * Journal lines the writer cannot read back (file cut short, I/O error): fails closed, said at
   * fatal level with the file and the rows at stake; every record and waiter is refused from now on,
   * onFailure stops the process. The files stay for the next start to import what can be read.
   */
  private fail(file: string, message: string): void {
    if (this.failure !== undefined) return;
    const rows = this.seq - this.committedSeq;
    this.failure = new Error(`${message}: ${rows} row${rows === 1 ? '' : 's'} not committed, the audit log fails closed (every request is refused)`);
    this.options.logger?.fatal({ file, rowsNotCommitted: rows }, this.failure.message);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(this.failure);
    this.options.onFailure?.(this.failure);
  }

  private post(): void {
    this.writer.checkStarved();
    if (this.unposted === 0) return;
    this.unposted = 0;
    const text = this.options.spool.take();
    if (text === '') return;
    // Rows of earlier batches the writer has not committed yet: how far behind it is, this batch aside.
    const earlier = this.postedSeq - this.committedSeq;
    this.postedSeq = this.seq;
    this.writer.post(text, this.seq, earlier > 0 ? earlier : 0);
  }

  private onCommitted(seq: number, head: ChainHead | undefined): void {
    if (head !== undefined) this.headLog.moved(head);
    if (seq <= this.committedSeq) return;
    this.committedSeq = seq;
    this.writer.committed(seq);
    this.options.spool.committed(seq);
    if (this.waiters.length > 0) {
      const still: Waiter[] = [];
      for (const w of this.waiters) (w.seq <= seq ? w.resolve() : still.push(w));
      this.waiters = still;
      if (still.length === 0 && !this.closing) this.writer.keepAlive(false);
    }
  }
}
