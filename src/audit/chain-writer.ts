/**
 * The single writer of the audit table: takes canonical journal lines in sequence order, links each
 * to the previous row's hash, and inserts a whole batch in one transaction together with the new
 * chain head. Lines at or below the head are skipped, so replaying a journal twice is harmless.
 */
import type Database from 'better-sqlite3';
import { chainHash, parseCanonicalLine } from './row.js';
import { ROW_COLUMNS, readMeta } from './schema.js';

export interface BatchResult {
  /** Highest sequence number now in the database. */
  headSeq: number;
  inserted: number;
  /** Lines that were not valid JSON rows (a torn last line after a crash). */
  unreadable: number;
  /** Sequence numbers that were expected but never seen (the row before `seq` is missing). */
  gaps: number[];
}

export class ChainWriter {
  headSeq: number;
  headHash: string;
  private readonly insert: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly writeLines: (lines: string[]) => BatchResult;

  constructor(private readonly db: Database.Database) {
    const meta = readMeta(db);
    this.headSeq = meta.headSeq;
    this.headHash = meta.headHash;
    const cols = [...ROW_COLUMNS, 'prev_hash', 'hash'];
    this.insert = db.prepare(`INSERT INTO audit_log (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    this.setMeta = db.prepare('UPDATE audit_meta SET value = ? WHERE key = ?');
    this.writeLines = db.transaction((lines: string[]) => this.insertLines(lines));
  }

  /** Inserts newline-separated canonical lines in one transaction. */
  writeBatch(text: string): BatchResult {
    return this.writeLines(text.split('\n'));
  }

  private insertLines(lines: string[]): BatchResult {
    let seq = this.headSeq;
    let hash = this.headHash;
    let inserted = 0;
    let unreadable = 0;
    const gaps: number[] = [];
    for (const line of lines) {
      if (line.length === 0) continue;
      const values = parseCanonicalLine(line);
      if (!values) {
        unreadable++;
        continue;
      }
      const rowSeq = values[0] as number;
      if (rowSeq <= seq) continue;
      if (rowSeq !== seq + 1) gaps.push(seq + 1);
      const rowHash = chainHash(hash, line);
      this.insert.run(...values, hash, rowHash);
      seq = rowSeq;
      hash = rowHash;
      inserted++;
    }
    if (inserted > 0) {
      this.setMeta.run(String(seq), 'head_seq');
      this.setMeta.run(hash, 'head_hash');
    }
    // Assigned only after the statements succeeded; a failed transaction leaves the head unchanged.
    this.headSeq = seq;
    this.headHash = hash;
    return { headSeq: seq, inserted, unreadable, gaps };
  }

  get database(): Database.Database {
    return this.db;
  }
}
