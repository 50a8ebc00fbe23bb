/**
 * The writer thread's batches written by the C loop of native/writer/ (issue 7): the same rows,
 * hashes, head and journal marks as ChainWriter, at about half its CPU per row for the raw entries
 * of the fast form. The addon runs on this thread's own better-sqlite3 connection and on
 * better-sqlite3's own SQLite (db.loadExtension hands both over: native/writer/ext.c), never a
 * second copy. Lines it does not make in C go, a run at a time and in order, to
 * ChainWriter.appendRun inside the same transaction.
 *
 * Used when the addon loads and a start-up self-check passes (native-writer-check.ts: a few fixed
 * lines written by C and by ChainWriter into two in-memory databases must give the same rows);
 * MCP_WARDEN_NATIVE_WRITER=off keeps the JS writer. openNativeWriter says which and why.
 */
import { readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import type { BatchBounds, BatchResult, ChainWriter } from './chain-writer.js';
import { nativeWriterCheck } from './native-writer-check.js';
import { JournalLinesUnreadable, type JournalBatch, type JournalRange } from './journal-range.js';
import { RawEntryReader } from './raw-entry.js';
import { Redactor } from './redact.js';

const ADDON_PATH = '../../native/writer/build/Release/warden_writer.node';
/** The extension entry point (native/writer/ext.c). */
export const WRITER_ENTRY = 'sqlite3_wardenwriter_init';

/** native/writer/napi.c's exports. */
export interface WriterAddon {
  writerOpen(conn: null, cap: number, fields: readonly string[], key: Buffer | null): unknown;
  /** -> [committed, headSeq, inserted, unreadable, made in C, made in JS runs, headHash] */
  writerBatch(
    w: unknown,
    journalId: string,
    buf: Buffer,
    headOf: (json: string) => unknown,
    /** Bytes [from, to) of buf: lines C does not make (decoded and written by ChainWriter.appendRun). */
    runJs: (from: number, to: number, seq: number, hash: string, committed: number, ceiling: number, moved: boolean) => [number, string, number, number, number],
    /** BatchBounds.last, or -1: none. */
    last: number,
    /** BatchBounds.resumed. */
    resumed: boolean,
  ): [number, number, number, number, number, number, string];
  writerClose(w: unknown): void;
}

export interface NativeWriterOptions {
  redactFields: readonly string[];
  maxPayloadBytes: number;
  chainKey?: string;
}

export interface NativeWriter {
  writeBatch(journalId: string, batch: JournalBatch, bounds?: BatchBounds): BatchResult;
  /** Rows made in C and in JS runs so far. */
  readonly counts: { fast: number; slow: number };
  /** Finalizes the loop's statements: before db.close() (better-sqlite3 cannot close over them). */
  close(): void;
}

/** The addon and its file, or why it is not there. */
export function loadWriterAddon(): { addon: WriterAddon; file: string } | { why: string } {
  if (process.platform !== 'linux') return { why: 'the native writer is built on Linux only' };
  const file = fileURLToPath(new URL(ADDON_PATH, import.meta.url));
  try {
    return { addon: createRequire(import.meta.url)(file) as WriterAddon, file };
  } catch (err) {
    return { why: `native/writer is not built or does not load (${(err as Error).message.split('\n')[0]})` };
  }
}

/** loadExtension's entry point argument: better-sqlite3 takes it (its typings do not say so). */
export function loadWriterExtension(db: Database.Database, file: string): void {
  (db as unknown as { loadExtension(path: string, entry: string): void }).loadExtension(file, WRITER_ENTRY);
}

/** A head's values as the addon takes them (RawEntryReader's head()), or undefined: unreadable. */
export function headOfFor(reader: RawEntryReader): (json: string) => unknown {
  const head = (reader as unknown as { head(json: string): { whoJson: string; decidedJson: string; who: unknown[]; decided: unknown[]; decisionMicros: number; roles: unknown; rolesJson: string } | undefined }).head.bind(reader);
  return (json) => {
    const h = head(json);
    return h === undefined ? undefined : [h.whoJson, h.decidedJson, ...h.who, ...h.decided, h.decisionMicros, h.roles, h.rolesJson];
  };
}

/**
 * The native writer on `db` beside `chain` (the JS writer of the same connection: its runs), or why
 * not (MCP_WARDEN_NATIVE_WRITER=off, no addon, a failed self-check).
 */
export function openNativeWriter(db: Database.Database, chain: ChainWriter, options: NativeWriterOptions): { writer: NativeWriter } | { why: string } {
  if (process.env.MCP_WARDEN_NATIVE_WRITER === 'off') return { why: 'MCP_WARDEN_NATIVE_WRITER=off' };
  const loaded = loadWriterAddon();
  if ('why' in loaded) return loaded;
  const failed = nativeWriterCheck(loaded.addon, loaded.file, options);
  if (failed !== undefined) return { why: `its start-up self-check failed: ${failed}` };
  const { addon, file } = loaded;
  let w: unknown;
  try {
    loadWriterExtension(db, file);
    w = addon.writerOpen(null, options.maxPayloadBytes, options.redactFields, options.chainKey ? Buffer.from(options.chainKey, 'utf8') : null);
  } catch (err) {
    return { why: `it did not open on the audit database (${(err as Error).message})` };
  }
  const headOf = headOfFor(new RawEntryReader(new Redactor(options.redactFields), options.maxPayloadBytes));
  let buffer = Buffer.alloc(0);
  // Decoded as the JS writer decodes a batch's bytes (journal-range.ts), invalid UTF-8 included.
  const runJs = (from: number, to: number, seq: number, hash: string, committed: number, ceiling: number, moved: boolean) =>
    chain.appendRun(buffer.toString('utf8', from, to), seq, hash, committed, ceiling, moved);
  const counts = { fast: 0, slow: 0 };
  const writer: NativeWriter = {
    counts,
    writeBatch(journalId, batch, bounds) {
      const parts = Array.isArray(batch) ? batch : [batch];
      let total = 0;
      for (const p of parts) total += typeof p === 'string' ? Buffer.byteLength(p) : p.to - p.from;
      if (buffer.length < total) buffer = Buffer.allocUnsafe(Math.max(total, buffer.length * 2));
      let at = 0;
      for (const p of parts) {
        if (typeof p === 'string') at += buffer.write(p, at, 'utf8');
        else {
          readRange(p, buffer, at);
          at += p.to - p.from;
        }
      }
      // Lines C does not make, skipped ones included, are read by `chain` in its runs: it names them.
      chain.startBatch();
      const r = addon.writerBatch(w, journalId, buffer.subarray(0, at), headOf, runJs, bounds?.last ?? -1, bounds?.resumed === true);
      counts.fast += r[4];
      counts.slow += r[5];
      return { committed: r[0], headSeq: r[1], headHash: r[6], inserted: r[2], unreadable: r[3], skipped: chain.skipped };
    },
    close() {
      addon.writerClose(w);
    },
  };
  return { writer };
}

/** A segment file's lines [range.from, range.to) into buffer at `at`. */
function readRange(range: JournalRange, buffer: Buffer, at: number): void {
  for (let got = 0; got < range.to - range.from; ) {
    let n: number;
    try {
      n = readSync(range.fd, buffer, at + got, range.to - range.from - got, range.from + got);
    } catch (err) {
      throw new JournalLinesUnreadable(range.file, (err as Error).message);
    }
    if (n === 0) throw new JournalLinesUnreadable(range.file, 'it was cut short');
    got += n;
  }
}
