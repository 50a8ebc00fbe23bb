/**
 * The recorder's side of its writer thread (writer-worker.ts): starts it, posts it batches and
 * keeps those it has not committed yet (resent to a new thread when it dies: the writer skips rows
 * it already has), moves it out of SCHED_IDLE when a busy host starves it, passes on what it says
 * (commits, an unreadable journal, skipped lines, errors, retention), and ends it at close.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../log/logger.js';
import type { SkippedLine } from './chain-writer.js';
import type { JournalBatch } from './journal-range.js';
import type { ChainHead, FromWriter, ToWriter, WriterWorkerData } from './writer-worker.js';
import { leaveIdle } from './writer-sched.js';
import { spawnWriter } from './writer-spawn.js';

const WORKER_RESTART_MS = 500;
/**
 * A posted batch not committed after this long while the writer runs under SCHED_IDLE means the
 * host's other work starves it: the writer is then moved to normal scheduling (writer-sched.ts).
 */
const STARVED_MS = 500;

/** The writer kind last logged (each writer thread says which it runs; the log says it once, and again if it changes). */
let loggedWriter: string | undefined;
function logWriterKind(logger: Logger | undefined, native: boolean, why: string): void {
  const said = `${native} ${why}`;
  if (logger === undefined || loggedWriter === said) return;
  loggedWriter = said;
  logger.info({ writer: native ? 'native' : 'js', why }, native ? 'audit writer: native batch loop (native/writer)' : 'audit writer: JS (ChainWriter)');
}

/**
 * Says at error level that journal lines were skipped (chain-writer.ts): which journal or file, how
 * many, and the seq and why of the first ones. Never silent: they are not in the database.
 */
export function logSkipped(logger: Logger | undefined, where: Record<string, unknown>, lines: number, skipped: readonly SkippedLine[]): void {
  logger?.error(
    { ...where, lines, skipped },
    `audit journal: skipped ${lines} line(s) that are not journal lines this proxy wrote (damaged or cut short: a disk error, a torn write, an edit of the journal files); they are not in the audit database`,
  );
}

export interface WriterEvents {
  /** every row up to `seq` (journal sequence) is committed; `head`: the chain head then (none: the writer committed nothing) */
  committed(seq: number, head: ChainHead | undefined): void;
  /** journal lines the writer cannot read back (file cut short, I/O error) */
  unreadable(file: string, message: string): void;
  /** someone waits for a commit: a (re)started writer then keeps the process alive */
  waiting(): boolean;
}

export class WriterLink {
  /** Journal lines the writer skipped as damaged (its 'skipped' messages), and its failed batch writes (each retried). */
  readonly counts = { skippedLines: 0, writeErrors: 0 };
  /** Batches posted to the writer but not yet committed: resent if the writer thread dies. */
  private inflight: Array<{ lastSeq: number; text: JournalBatch; postedAt: number }> = [];
  /** The writer thread's id while it runs under SCHED_IDLE (its 'scheduling' messages). */
  private idleWriterTid: string | undefined;
  /** When the writer last said it runs under SCHED_IDLE (a batch waits for it from then on, at the earliest). */
  private writerIdleSince = 0;
  private worker!: Worker;
  private closing = false;

  constructor(
    private readonly data: WriterWorkerData,
    private readonly logger: Logger | undefined,
    private readonly events: WriterEvents,
  ) {
    this.start();
  }

  /** Posts one batch: the lines up to journal sequence `lastSeq`; `earlierRows`: rows posted before it and not committed yet. */
  post(text: JournalBatch, lastSeq: number, earlierRows: number): void {
    this.inflight.push({ lastSeq, text, postedAt: performance.now() });
    this.worker.postMessage({ type: 'batch', text, lastSeq, earlierRows } satisfies ToWriter);
  }

  /** Moves an idle writer to normal scheduling when its oldest batch has waited too long. */
  checkStarved(): void {
    if (this.idleWriterTid !== undefined && this.inflight.length > 0 && performance.now() - Math.max(this.inflight[0]!.postedAt, this.writerIdleSince) > STARVED_MS) this.wake(false);
  }

  /** Batches up to `seq` are committed: no longer kept for a resend. */
  committed(seq: number): void {
    while (this.inflight.length > 0 && this.inflight[0]!.lastSeq <= seq) this.inflight.shift();
  }

  /** Keeps the process alive while someone waits for the writer (ref), or lets it end (unref). */
  keepAlive(on: boolean): void {
    if (on) this.worker.ref();
    else this.worker.unref();
  }

  /** Asks the writer to commit what it has and end; false: it did not end within timeoutMs (then terminated). */
  async close(timeoutMs: number): Promise<boolean> {
    this.closing = true;
    // The last flush must not wait for a busy host's idle time.
    if (this.idleWriterTid !== undefined) this.wake(true);
    const worker = this.worker;
    worker.ref();
    const done = new Promise<boolean>((resolve) => {
      worker.once('exit', () => resolve(true));
      setTimeout(() => resolve(false), timeoutMs).unref();
    });
    worker.postMessage({ type: 'close' } satisfies ToWriter);
    const exited = await done;
    if (!exited) await worker.terminate();
    return exited;
  }

  /** Moves an idle writer to normal scheduling: in the background, or at once (`now`, at shutdown). */
  private wake(now: boolean): void {
    const tid = this.idleWriterTid!;
    this.idleWriterTid = undefined;
    const worker = this.worker;
    const woken = () => worker.postMessage({ type: 'woken' } satisfies ToWriter);
    if (!now) {
      this.logger?.info({ waitedMs: STARVED_MS }, 'audit writer starved under SCHED_IDLE (a busy host): moved to normal scheduling');
      leaveIdle(tid, woken);
    } else if (leaveIdle(tid)) woken();
  }

  private start(): void {
    const worker = spawnWriter(this.data);
    if (!this.events.waiting()) worker.unref();
    worker.on('message', (msg: FromWriter) => {
      if (msg.type === 'committed' || msg.type === 'closed') this.events.committed(msg.committed, msg.head);
      else if (msg.type === 'scheduling') {
        this.idleWriterTid = msg.idle ? msg.tid : undefined;
        this.writerIdleSince = performance.now();
        // Closing already (a store closed right after it opened: the thread entered SCHED_IDLE after
        // close() looked): its last flush must not wait for a busy host's idle time either.
        if (this.closing && this.idleWriterTid !== undefined) this.wake(true);
      } else if (msg.type === 'error') {
        this.counts.writeErrors++;
        this.logger?.error(msg.message);
      }
      else if (msg.type === 'unreadable') this.events.unreadable(msg.file, msg.message);
      else if (msg.type === 'skipped') {
        this.counts.skippedLines += msg.lines;
        logSkipped(this.logger, { journal: msg.journalId, files: msg.files }, msg.lines, msg.skipped);
      }
      else if (msg.type === 'retention') this.logger?.info({ removed: msg.removed }, 'audit retention removed old rows');
      else if (msg.type === 'writer') logWriterKind(this.logger, msg.native, msg.why);
    });
    worker.on('error', (err) => this.logger?.error({ err: err.message }, 'audit writer thread failed'));
    worker.on('exit', () => {
      if (this.closing || this.worker !== worker) return;
      // Its thread id is no longer ours to reschedule; the new writer says its own.
      this.idleWriterTid = undefined;
      this.logger?.error('audit writer thread exited; restarting it');
      // Rows keep going to the journal meanwhile; batches posted to the dead thread stay in `inflight`.
      setTimeout(() => {
        if (this.closing) return;
        this.start();
        // The new writer skips rows it already has, so resending everything uncommitted is safe.
        // Earlier rows: at least those of the batches resent before this one (the first one's own count is not kept).
        const first = this.inflight[0]?.lastSeq ?? 0;
        for (const batch of this.inflight) this.worker.postMessage({ type: 'batch', text: batch.text, lastSeq: batch.lastSeq, earlierRows: batch.lastSeq - first } satisfies ToWriter);
      }, WORKER_RESTART_MS).unref();
    });
    this.worker = worker;
  }
}
