/**
 * Opening the audit database: the writing store used by the proxy (migrations, import of journal
 * lines a killed process left behind, then the recorder with its writer thread; several processes
 * may write one database) and the
 * read-only reader used by the CLI. Both expose the same query, stats and verify operations.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditConfig } from '../config/audit.js';
import type { Logger } from '../log/logger.js';
import type { Recorder } from '../types.js';
import { chainKeying, checkChainKeying, type ChainKeying } from './chain-key.js';
import { ChainWriter } from './chain-writer.js';
import { auditStats, queryAudit, type AuditStats, type QueryOptions, type QueryPage, type StatsOptions } from './query.js';
import { RawEntryReader } from './raw-entry.js';
import { AuditRecorder, type AuditCounters } from './recorder.js';
import { Redactor } from './redact.js';
import { configureWriter, migrate, readMeta, SCHEMA_VERSION, type ChainMeta } from './schema.js';
import { claimOrphan, isJournalLive } from './journal-lock.js';
import { journalDir, listJournals, readSegment, removeFile, type JournalFiles } from './journal-files.js';
import { Spool } from './spool.js';
import { logSkipped } from './writer-link.js';
import { prepareJournalDir } from './journal-dir.js';
import { verifyChain, type ExpectedHead, type VerifyResult } from './verify.js';
import { makeDirs, MakeDirsError } from '../shared/make-dirs.js';

export interface AuditReader {
  readonly path: string;
  query(options?: QueryOptions): QueryPage;
  stats(options?: StatsOptions): AuditStats;
  /** `expect`: a head printed by an earlier verify, that the chain must still hold (verify.ts). */
  verify(expect?: ExpectedHead): VerifyResult;
  meta(): ChainMeta;
}

export interface AuditStore extends AuditReader, Recorder {
  /** Resolves once every row recorded so far is committed. */
  flush(): Promise<void>;
  /** Rows accepted but not yet committed. */
  readonly queued: number;
  /** What the recorder has done so far (the metrics endpoint). */
  counters(): AuditCounters;
}

export interface OpenOptions {
  /** Relative `audit.path` values are resolved against this directory (the config file's). */
  baseDir?: string;
  logger?: Logger;
  /** Told once when rows can no longer reach the database (RecorderOptions.onFailure): stop the process. */
  onFailure?: (err: Error) => void;
}

function readerOn(db: Database.Database, path: string, keying: ChainKeying): AuditReader {
  return {
    path,
    query: (options) => queryAudit(db, options),
    stats: (options) => auditStats(db, options),
    verify: (expect) => verifyChain(db, keying, expect),
    meta: () => readMeta(db),
  };
}

/** Journals left by processes that are gone (killed, crashed), whose lines may not all be committed. */
function orphanedJournals(dbPath: string): JournalFiles[] {
  return listJournals(dbPath).filter((j) => !isJournalLive(j));
}

/**
 * Moves the lines of orphaned journals into the database and removes them; returns the rows imported
 * and the lines skipped as damaged. Each is claimed first (journal-lock.ts: its lock is held here
 * while it is imported).
 */
function importJournals(db: Database.Database, dbPath: string, keying: ChainKeying, config: AuditConfig, logger?: Logger): { inserted: number; skipped: number } {
  let writer: ChainWriter | undefined;
  let inserted = 0;
  let skipped = 0;
  for (const journal of listJournals(dbPath)) {
    const claim = claimOrphan(journal);
    if (claim === undefined) continue;
    try {
      writer ??= new ChainWriter(db, keying, new RawEntryReader(new Redactor(config.redactFields), config.maxPayloadBytes));
      // Its segments as they are now that it is claimed: since the listing, another importer (or its
      // writer, closing) may have imported and removed them, or its writer added one before dying.
      const files = claim === null ? journal.files : (listJournals(dbPath).find((j) => j.id === journal.id)?.files ?? []);
      // The journal's mark before this import: once a file moved it, no later file of the journal
      // can hold committed lines (ChainWriter's BatchBounds.resumed: they are named, not skipped).
      const start = (db.prepare('SELECT committed FROM audit_journal WHERE id = ?').pluck().get(journal.id) as number | undefined) ?? 0;
      let mark = start;
      for (const file of files) {
        const text = readSegmentIfPresent(file);
        if (text === undefined) continue; // removed once its lines were committed (no lock: pid liveness)
        const result = writer.writeBatch(journal.id, text, { resumed: mark > start });
        mark = result.committed;
        inserted += result.inserted;
        if (result.unreadable > 0) logSkipped(logger, { file }, result.unreadable, result.skipped);
        skipped += result.unreadable;
      }
      // The journal's committed mark stays in audit_journal, so a process importing the same files
      // (one that cannot take locks) skips them instead of inserting them twice.
      for (const file of files) removeFile(file);
      claim?.release(true);
    } finally {
      // On a failure the journal stays, unlocked, for the next writer to import.
      claim?.release(false);
    }
  }
  if (inserted > 0) logger?.info({ rows: inserted }, 'audit journal: imported rows recorded by a process that stopped without closing');
  return { inserted, skipped };
}

/** The lines of a segment, or undefined when it no longer exists. */
function readSegmentIfPresent(file: string): string | undefined {
  try {
    return readSegment(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Creates `path` empty and owner-only (SQLite takes an empty file for a new database); false when it exists. */
function createOwnerOnly(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx', 0o600));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Opens (creating if needed) the audit database for writing and starts the recorder. */
export function openAuditStore(config: AuditConfig, logger?: Logger, options: OpenOptions = {}): AuditStore {
  const log = logger ?? options.logger;
  const path = resolve(options.baseDir ?? process.cwd(), config.path);
  const keying = chainKeying(config.chainKey);
  try {
    makeDirs(dirname(path));
  } catch (err) {
    const why = err instanceof MakeDirsError ? err.message : ((err as NodeJS.ErrnoException).code ?? String(err));
    throw new Error(`cannot create the directory of the audit database ${path} (${why}): set audit.path (wrap: --audit PATH or --no-audit)`);
  }
  // Its journals are imported as our own records: refused when another user may write to it (journal-dir.ts).
  prepareJournalDir(journalDir(path));
  let db: Database.Database | undefined;
  let recorder: AuditRecorder;
  let importSkipped = 0;
  try {
    // The audit holds who did what: owner-only from the start (SQLite gives -wal and -shm the same
    // mode). Made by SQLite it was 0644 until a chmod, and a descriptor another user opened in
    // between would read every row committed later.
    const created = createOwnerOnly(path);
    db = new Database(path);
    if (created) chmodSync(path, 0o600);
    configureWriter(db);
    migrate(db);
    checkChainKeying(db, keying, true);
    importSkipped = importJournals(db, path, keying, config, log).skipped;
    recorder = new AuditRecorder({
      dbPath: path,
      chainKey: config.chainKey,
      spool: new Spool(path, { logger: log }),
      redactFields: config.redactFields,
      maxPayloadBytes: config.maxPayloadBytes,
      flushIntervalMs: config.flushIntervalMs,
      maxQueue: config.maxQueue,
      backpressure: config.backpressure,
      retention: config.retention,
      retentionIntervalMs: (config.retention?.intervalSeconds ?? 600) * 1000,
      writerNice: config.writerNice,
      writerIdle: config.writerIdle,
      headLogMs: config.headLogSeconds * 1000,
      logger: log,
      onClosed: () => db!.close(),
      onFailure: options.onFailure,
    });
  } catch (err) {
    db?.close();
    throw err;
  }
  const reader = readerOn(db, path, keying);
  return {
    ...reader,
    record: (entry) => recorder.record(entry),
    rawSafe: (text) => recorder.rawSafe(text),
    recordRaw: (head, time, backendMicros, request, requestBytes, answer, responseBytes) =>
      recorder.recordRaw(head, time, backendMicros, request, requestBytes, answer, responseBytes),
    // Bound, not wrapped: called twice per call on the raw path.
    rawSafeBytes: recorder.rawSafeBytes.bind(recorder),
    recordRawBytes: recorder.recordRawBytes.bind(recorder),
    // The raw path's one-pass scans (raw-audit.ts), and their native form when the addon has it.
    rawNames: recorder.rawNames,
    rawToolCallScan: recorder.rawToolCallScan,
    recordRawAnswer: recorder.recordRawAnswer,
    flush: () => recorder.flush(),
    close: () => recorder.close(),
    get queued() {
      return recorder.queued;
    },
    counters: () => recorder.counters(importSkipped),
  };
}

/** Opens an existing audit database read-only (CLI queries); never imports or writes. */
export interface AuditFileReader extends AuditReader {
  close(): void;
  /** Journals of processes that stopped without closing, not imported yet (the next writer imports them). */
  orphanedJournals(): number;
}

export function openAuditReader(dbPath: string, options: { chainKey?: string } = {}): AuditFileReader {
  const path = resolve(dbPath);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new Error(`cannot open audit database ${path}: ${(err as Error).message}`);
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < 1 || version > SCHEMA_VERSION) {
    db.close();
    throw new Error(`${path} is not an mcp-warden audit database (schema version ${version})`);
  }
  return { ...readerOn(db, path, chainKeying(options.chainKey)), close: () => db.close(), orphanedJournals: () => orphanedJournals(path).length };
}
