/**
 * Appends journal entries to the audit chain. Each batch runs in one IMMEDIATE transaction that
 * reads the chain head, gives every entry the next sequence number, links it to the previous row's
 * hash, inserts it, and stores the new head together with how far this journal is committed. The
 * head is read inside the transaction, so several processes (e.g. one `wrap` per MCP server) can
 * share one database and one chain; entries at or below the journal's committed mark are skipped,
 * so importing a journal twice is harmless.
 */
import type Database from 'better-sqlite3';
import type { ChainKeying } from './chain-key.js';
import { HeadInserts } from './head-insert.js';
import { rowFromBody } from './journal-line.js';
import { RAW_MARK, type RawEntryReader } from './raw-entry.js';
import { GENESIS_HASH, ROW_COLUMNS } from './schema.js';

export interface BatchResult {
  /** Highest journal sequence number of this journal now committed. */
  committed: number;
  /** Highest row sequence number in the database. */
  headSeq: number;
  inserted: number;
  /** Lines that could not be read (a torn last line after a crash). */
  unreadable: number;
}

export class ChainWriter {
  private readonly insert: Database.Statement;
  private readonly getMeta: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly getJournal: Database.Statement;
  private readonly setJournal: Database.Statement;
  private readonly run: { immediate(journalId: string, text: string | readonly string[]): BatchResult };
  /** Raw entries' heads with an INSERT of their own (the head's ten columns not bound per row). */
  private readonly headInserts: HeadInserts;

  constructor(
    db: Database.Database,
    private readonly keying: ChainKeying,
    /** Makes the rows of raw entries (raw-entry.ts). */
    private readonly raw: RawEntryReader,
    /** Rows of a head before it gets its own INSERT (head-insert.ts; tests: 1, or Infinity for never). */
    headInsertAfter?: number,
  ) {
    this.headInserts = new HeadInserts(db, headInsertAfter);
    const cols = [...ROW_COLUMNS, 'prev_hash', 'hash'];
    this.insert = db.prepare(`INSERT INTO audit_log (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    this.getMeta = db.prepare('SELECT value FROM audit_meta WHERE key = ?').pluck();
    this.setMeta = db.prepare('UPDATE audit_meta SET value = ? WHERE key = ?');
    this.getJournal = db.prepare('SELECT committed FROM audit_journal WHERE id = ?').pluck();
    this.setJournal = db.prepare(
      'INSERT INTO audit_journal (id, committed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET committed = excluded.committed',
    );
    this.run = db.transaction((journalId: string, text: string | readonly string[]) => this.insertLines(journalId, text));
  }

  /**
   * Appends the newline-separated journal lines of `journalId` in one transaction: one text, or
   * pieces of whole lines in order (journal-range.ts: a batch read from a segment file).
   */
  writeBatch(journalId: string, text: string | readonly string[]): BatchResult {
    return this.run.immediate(journalId, text);
  }

  private insertLines(journalId: string, pieces: string | readonly string[]): BatchResult {
    let seq = Number(this.getMeta.get('head_seq') ?? 0);
    let hash = String(this.getMeta.get('head_hash') ?? GENESIS_HASH);
    const before = (this.getJournal.get(journalId) as number | undefined) ?? 0;
    let committed = before;
    let inserted = 0;
    let unreadable = 0;
    const count = typeof pieces === 'string' ? 1 : pieces.length;
    for (let p = 0; p < count; p++) {
      const text = typeof pieces === 'string' ? pieces : pieces[p]!;
      const length = text.length;
      // Journal line: "<journal seq> <body>\n" (see journal-line.ts); read in place, no array of lines.
      for (let at = 0; at < length; ) {
        let end = text.indexOf('\n', at);
        if (end < 0) end = length;
        const from = at;
        at = end + 1;
        if (end === from) continue;
        let local = 0;
        let i = from;
        let c = text.charCodeAt(i);
        while (c >= 0x30 && c <= 0x39 && i - from < 16) {
          local = local * 10 + (c - 0x30);
          c = text.charCodeAt(++i);
        }
        if (i === from || c !== 0x20 /* space */ || !Number.isSafeInteger(local)) {
          unreadable++;
          continue;
        }
        if (local <= committed) continue;
        const body = text.slice(i + 1, end);
        const raw = body.charCodeAt(0) === RAW_MARK;
        const row = raw ? this.raw.row(seq + 1, body) : rowFromBody(seq + 1, body);
        if (!row) {
          unreadable++;
          continue;
        }
        const values = row[1];
        const rowHash = this.keying.hash(hash, row[0]);
        const own = raw ? this.headInserts.of(this.raw.rowHead!) : undefined;
        // The row's values then its chain columns; with the head's own statement, all but the head's.
        if (own !== undefined) HeadInserts.run(own, values, hash, rowHash);
        else this.insert.run(...values, hash, rowHash);
        seq++;
        hash = rowHash;
        committed = local;
        inserted++;
      }
    }
    if (inserted > 0) {
      this.setMeta.run(String(seq), 'head_seq');
      this.setMeta.run(hash, 'head_hash');
    }
    if (committed !== before) this.setJournal.run(journalId, committed);
    return { committed, headSeq: seq, inserted, unreadable };
  }
}

/** Forgets a journal whose files are gone (after a clean close or an import). */
export function forgetJournal(db: Database.Database, journalId: string): void {
  db.prepare('DELETE FROM audit_journal WHERE id = ?').run(journalId);
}
