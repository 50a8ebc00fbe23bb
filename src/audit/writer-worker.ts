/**
 * The batch writer thread: owns the writing SQLite connection, inserts each batch of journal lines
 * in one transaction (ChainWriter), reports the committed head back to the recorder, and runs the
 * retention job. Keeping it on its own thread means no database write ever runs on the thread that
 * answers MCP calls.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { chainKeying } from './chain-key.js';
import { ChainWriter, forgetJournal, type SkippedLine } from './chain-writer.js';
import { RawEntryReader } from './raw-entry.js';
import { Redactor } from './redact.js';
import { applyRetention, type RetentionRule } from './retention.js';
import { configureWriter } from './schema.js';
import { openNativeWriter } from './native-writer.js';
import { journalBatchPieces, JournalLinesUnreadable, type JournalBatch, type RangeReader } from './journal-range.js';
import { WriterScheduling } from './writer-sched.js';

export interface WriterWorkerData {
  dbPath: string;
  journalId: string;
  /** audit.chainKey, when the chain is keyed (kept in memory only). */
  chainKey?: string;
  retention?: RetentionRule;
  retentionIntervalMs: number;
  /** Scheduling niceness of the writer thread (0: same as the proxy). */
  niceness?: number;
  /** Run this thread under SCHED_IDLE while it keeps up (Linux, util-linux `chrt`; writer-sched.ts). */
  idle?: boolean;
  /** audit.maxQueue: how far behind the writer may fall before back-pressure. */
  maxQueue: number;
  /** audit.redactFields and audit.maxPayloadBytes, applied to raw entries (raw-entry.ts). */
  redactFields: readonly string[];
  maxPayloadBytes: number;
}

/**
 * A batch: journal lines, the last of them numbered `lastSeq`; as text, or where they are in a
 * mapped segment's file (read here: the proxy's thread neither copies nor decodes them).
 */
export type ToWriter =
  /**
   * `earlierRows`: rows posted before this batch that the recorder had not seen committed when it
   * posted it: how far behind this thread is, whatever this batch's own size.
   */
  | { type: 'batch'; text: JournalBatch; lastSeq: number; earlierRows: number }
  | { type: 'retention' }
  | { type: 'close' }
  /** The recorder moved this thread out of SCHED_IDLE (it was starved: writer-sched.ts). */
  | { type: 'woken' };
/** The last row of the chain: its sequence number and hash. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export type FromWriter =
  | { type: 'committed'; committed: number; head: ChainHead }
  | { type: 'error'; message: string }
  /**
   * Journal lines that cannot be read back (journal-range.ts): nothing from that batch on is
   * written (a retry could never succeed), and the recorder fails closed.
   */
  | { type: 'unreadable'; file: string; message: string }
  /**
   * Lines of a committed batch that are not journal lines the proxy wrote (damaged, cut short:
   * line-check.ts): skipped, never inserted, the rest of the batch committed. `files`: the segment
   * files the batch was read from (none when it came as text); `skipped`: the first of them.
   */
  | { type: 'skipped'; journalId: string; files: string[]; lines: number; skipped: SkippedLine[] }
  | { type: 'retention'; removed: number }
  | { type: 'closed'; committed: number; head: ChainHead | undefined }
  /** Which writer runs (native/writer's C loop, or ChainWriter) and why: sent once at start. */
  | { type: 'writer'; native: boolean; why: string }
  /** This thread (`tid`) now runs under SCHED_IDLE, or no longer does. */
  | { type: 'scheduling'; tid: string; idle: boolean };

const port = parentPort!;
const data = workerData as WriterWorkerData;
if (data.niceness) {
  try {
    // On Linux a nice value applies to the calling thread: when CPU is short, the threads that
    // answer MCP calls go first and this one catches up (its queue is bounded by back-pressure).
    setPriority(data.niceness);
  } catch {
    // Not permitted or not supported: run at normal priority.
  }
}
const db = new Database(data.dbPath);
configureWriter(db);
const writer = new ChainWriter(db, chainKeying(data.chainKey), new RawEntryReader(new Redactor(data.redactFields), data.maxPayloadBytes));
/** Batches written by native/writer's C loop (runs of lines it does not make through `writer`), unless unavailable. */
const opened = openNativeWriter(db, writer, { redactFields: data.redactFields, maxPayloadBytes: data.maxPayloadBytes, chainKey: data.chainKey });
const native = 'writer' in opened ? opened.writer : undefined;
// Idle scheduling from when the database is open (the recorder watches a batch's wait from then on).
const scheduling = new WriterScheduling(data.idle === true, data.maxQueue, undefined, (tid, idle) => send({ type: 'scheduling', tid, idle }));
/**
 * Batches not yet committed: text, or lines still in a segment file (read when written), and the
 * batch's last journal number as the proxy numbered it (ChainWriter's BatchBounds.last: a line
 * numbered above it is damaged, and the mark ends at least at it).
 */
const backlog: Array<{ batch: JournalBatch; last: number }> = [];
const ranges: RangeReader = { buffer: Buffer.alloc(0) };
/** Set once a batch's lines could not be read back: this thread writes nothing more. */
let stopped = false;
let committed = 0;
/** The chain head after this writer's last commit (undefined before its first). */
let head: ChainHead | undefined;
/** The last journal row posted to this thread. */
let posted = 0;
let retryTimer: NodeJS.Timeout | undefined;

function send(msg: FromWriter): void {
  port.postMessage(msg);
}
send('writer' in opened ? { type: 'writer', native: true, why: 'the addon loaded and its self-check passed' } : { type: 'writer', native: false, why: opened.why });

function drain(): void {
  while (backlog.length > 0) {
    try {
      const { batch, last } = backlog[0]!;
      // Read again on a retry: nothing of a failed batch is kept but where its lines are.
      const bounds = { last };
      const result = native !== undefined ? native.writeBatch(data.journalId, batch, bounds) : writer.writeBatch(data.journalId, journalBatchPieces(batch, ranges), bounds);
      backlog.shift();
      committed = result.committed;
      head = { seq: result.headSeq, hash: result.headHash };
      if (result.unreadable > 0) send({ type: 'skipped', journalId: data.journalId, files: batchFiles(batch), lines: result.unreadable, skipped: result.skipped });
      send({ type: 'committed', committed, head });
    } catch (err) {
      if (err instanceof JournalLinesUnreadable) {
        stopped = true;
        send({ type: 'unreadable', file: err.file, message: err.message });
        return;
      }
      // Rows stay in the backlog (and in the journal on disk); retry shortly.
      send({ type: 'error', message: `audit batch write failed: ${(err as Error).message}` });
      retryTimer ??= setTimeout(() => {
        retryTimer = undefined;
        drain();
      }, 200);
      return;
    }
  }
}

/** The segment files a batch's lines are read from. */
function batchFiles(batch: JournalBatch): string[] {
  const parts = Array.isArray(batch) ? batch : [batch];
  const files: string[] = [];
  for (const p of parts) if (typeof p !== 'string' && !files.includes(p.file)) files.push(p.file);
  return files;
}

function retention(): void {
  if (!data.retention) return;
  try {
    const removed = applyRetention(db, data.retention);
    if (removed > 0) send({ type: 'retention', removed });
  } catch (err) {
    send({ type: 'error', message: `audit retention failed: ${(err as Error).message}` });
  }
}

const retentionTimer = data.retention ? setInterval(retention, data.retentionIntervalMs) : undefined;
retention();

port.on('message', (msg: ToWriter) => {
  if (msg.type === 'batch') {
    // Behind is what was posted before this batch and is not committed: one large batch (a busy
    // session's 50 ms) that this thread commits before the next is keeping up, not falling behind.
    const waiting = backlog.length > 0 ? backlog[backlog.length - 1]!.last - committed : 0;
    backlog.push({ batch: msg.text, last: msg.lastSeq });
    if (msg.lastSeq > posted) posted = msg.lastSeq;
    scheduling.update(Math.max(waiting, msg.earlierRows));
    if (!retryTimer && !stopped) drain();
    scheduling.update(posted - committed);
  } else if (msg.type === 'retention') {
    retention();
  } else if (msg.type === 'woken') {
    scheduling.wokenFromStarvation();
  } else if (msg.type === 'close') {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
    if (!stopped) drain();
    if (retentionTimer) clearInterval(retentionTimer);
    if (stopped) {
      // What is left stays in the journal's files for the next start to import (what can be read of it).
      native?.close();
      db.close();
      send({ type: 'closed', committed, head });
      port.close();
    } else if (backlog.length === 0) {
      // Everything is committed and the journal files go away with the recorder: forget the journal.
      forgetJournal(db, data.journalId);
      native?.close();
      db.close();
      send({ type: 'closed', committed, head });
      port.close();
    }
  }
});
