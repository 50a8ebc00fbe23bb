/**
 * Retention: removes the oldest rows (older than `days`, or beyond the newest `rows`) as a prefix of
 * the chain, and records the last removed row's sequence number and hash as the new anchor so that
 * `audit verify` still checks the remaining chain from its first row. The removed rows' bytes are
 * overwritten as they are freed: the writing connection runs with SQLite's secure_delete on
 * (schema.ts configureWriter).
 */
import type Database from 'better-sqlite3';

export interface RetentionRule {
  days?: number;
  rows?: number;
}

/** Deletes the expired prefix in one transaction; returns how many rows were removed. */
export function applyRetention(db: Database.Database, rule: RetentionRule, now: number = Date.now()): number {
  const run = db.transaction((): number => {
    const head = db.prepare('SELECT MAX(seq) AS seq FROM audit_log').get() as { seq: number | null };
    if (head.seq === null) return 0;
    let cut = 0;
    if (rule.rows !== undefined) cut = Math.max(cut, head.seq - rule.rows);
    if (rule.days !== undefined) {
      const cutoff = now - rule.days * 86_400_000;
      // Keep everything from the first row inside the window on: only a prefix is removed.
      const firstKept = db.prepare('SELECT MIN(seq) AS seq FROM audit_log WHERE time >= ?').get(cutoff) as { seq: number | null };
      cut = Math.max(cut, firstKept.seq === null ? head.seq : firstKept.seq - 1);
    }
    if (cut <= 0) return 0;
    const last = db.prepare('SELECT seq, hash FROM audit_log WHERE seq <= ? ORDER BY seq DESC LIMIT 1').get(cut) as
      | { seq: number; hash: string }
      | undefined;
    if (!last) return 0;
    const removed = db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(last.seq).changes;
    const setMeta = db.prepare('UPDATE audit_meta SET value = ? WHERE key = ?');
    setMeta.run(String(last.seq), 'anchor_seq');
    setMeta.run(last.hash, 'anchor_hash');
    return removed;
  });
  return run();
}
