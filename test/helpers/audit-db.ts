/**
 * Audit databases for the writer tests: one opened as the writer thread opens it, and a dump of
 * everything a writer stores (rows with their SQLite types, the chain head, the journal marks), so
 * that two writers' databases compare as text.
 */
import Database from 'better-sqlite3';
import { chainKeying, checkChainKeying } from '../../src/audit/chain-key.js';
import { configureWriter, migrate } from '../../src/audit/schema.js';

/** The audit database at `file`, configured, migrated and chained (under `key`) as a writer opens it. */
export function openWriterDb(file: string, key?: string): Database.Database {
  const db = new Database(file);
  configureWriter(db);
  migrate(db);
  checkChainKeying(db, chainKeying(key), true);
  return db;
}

/** Every row (each value with its type), the meta rows and the journal marks, as JSON text. */
export function dumpAuditDb(db: Database.Database): string {
  const cols = db.prepare("SELECT name FROM pragma_table_info('audit_log')").pluck().all() as string[];
  const rows = db.prepare(`SELECT ${cols.map((c) => `${c}, typeof(${c})`).join(', ')} FROM audit_log ORDER BY seq`).raw().all();
  const meta = db.prepare('SELECT key, value, typeof(value) FROM audit_meta ORDER BY key').raw().all();
  const journal = db.prepare('SELECT id, committed, typeof(committed) FROM audit_journal ORDER BY id').raw().all();
  return JSON.stringify({ rows, meta, journal }, null, 1);
}
