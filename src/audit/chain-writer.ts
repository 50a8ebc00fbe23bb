/**
 * Appends journal entries to the audit chain. Each batch runs in one IMMEDIATE transaction that
 * reads the chain head, gives every entry the next sequence number, links it to the previous row's
 * hash, inserts it, and stores the new head together with how far this journal is committed. The
 * head is read inside the transaction, so several processes (e.g. one `wrap` per MCP server) can
 * share one database and one chain; entries at or below the journal's committed mark are skipped,
 * so importing a journal twice is harmless. A batch's rows are read, then hashed together (one
 * native call: chain-key.ts) and inserted, a chunk at a time. A line that is not one the proxy
 * wrote (cut short, damaged: line-check.ts) is skipped, never inserted and never a reason to fail the
 * batch: it is counted `unreadable` and named in `skipped` (its journal seq and why), for the
 * caller to log at error level (writer-worker.ts, store.ts).
 *
 * A damaged journal NUMBER never makes other lines vanish silently (docs/audit.md, "A damaged
 * journal line"): a batch holds numbers up to a ceiling (BatchBounds.last, the proxy's own number,
 * else the mark plus the batch's lines), a line beyond it is skipped and named (and takes the next
 * number once the mark has moved); a line at or below the mark is skipped silently only while the
 * mark has not moved (a committed prefix: a resend, an import overlapping what was committed),
 * after that it is named; the mark ends at least at BatchBounds.last.
 */
import type Database from 'better-sqlite3';
import type { ChainKeying } from './chain-key.js';
import { HeadInserts } from './head-insert.js';
import { rowFromBody, type StoredRow } from './journal-line.js';
import { refusal } from './line-check.js';
import { RAW_MARK, type RawEntryReader, type RawHead } from './raw-entry.js';
import { GENESIS_HASH, ROW_COLUMNS } from './schema.js';

export interface BatchResult {
  /** Highest journal sequence number of this journal now committed. */
  committed: number;
  /** Highest row sequence number in the database. */
  headSeq: number;
  /** That row's hash: the chain head. */
  headHash: string;
  inserted: number;
  /** Lines skipped: not journal lines the proxy wrote (a torn last line after a crash, a damaged line). */
  unreadable: number;
  /** The first MAX_SKIPPED of them: which and why (the same from both writers). */
  skipped: SkippedLine[];
}

/** A journal line skipped (BatchResult.skipped): its journal sequence number (null: none read) and why. */
export interface SkippedLine {
  seq: number | null;
  why: string;
}

/** What the caller knows of a batch's journal numbers (none: an import, a test). */
export interface BatchBounds {
  /**
   * The batch's last journal number as the proxy numbered it (its own count, not read from the
   * journal: the writer thread gets it with every batch). Lines numbered above it are damaged, and
   * the mark ends at least at it: every line up to it was written or named.
   */
  last?: number;
  /**
   * An earlier batch of this writer (an import: an earlier file of the same journal) moved this
   * journal's mark: no line at or below the mark can be a committed prefix any more.
   */
  resumed?: boolean;
}

/** How many skipped lines a batch names (it counts them all): a whole damaged segment is not a list in memory. */
export const MAX_SKIPPED = 16;
const NONE_SKIPPED: SkippedLine[] = [];

/**
 * Rows read but not yet inserted: hashed together (one native call) and inserted at CHUNK_ROWS rows
 * or CHUNK_CHARS characters of canonical lines (a batch of large rows is not all held at once), and
 * at the end of the batch. All in the batch's one transaction.
 */
const CHUNK_ROWS = 256;
const CHUNK_CHARS = 4 << 20;

interface Pending {
  /** The chain head: the last row inserted (read from audit_meta when the batch starts). */
  seq: number;
  hash: string;
  rows: number;
  chars: number;
  lines: string[];
  values: Array<Array<string | number | null> | undefined>;
  /** A raw entry's head (its own INSERT: head-insert.ts), or undefined. */
  heads: Array<RawHead | undefined>;
}

export class ChainWriter {
  private readonly insert: Database.Statement;
  private readonly getMeta: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly getJournal: Database.Statement;
  private readonly setJournal: Database.Statement;
  private readonly run: { immediate(journalId: string, text: string | readonly string[], bounds: BatchBounds | undefined): BatchResult };
  /** Raw entries' heads with an INSERT of their own (the head's ten columns not bound per row). */
  private readonly headInserts: HeadInserts;
  private readonly pending: Pending = { seq: 0, hash: GENESIS_HASH, rows: 0, chars: 0, lines: [], values: [], heads: [] };
  /** The lines skipped since startBatch() (the first MAX_SKIPPED). */
  private skippedLines: SkippedLine[] = [];

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
    this.run = db.transaction((journalId: string, text: string | readonly string[], bounds: BatchBounds | undefined) => this.insertLines(journalId, text, bounds));
  }

  /**
   * Appends the newline-separated journal lines of `journalId` in one transaction: one text, or
   * pieces of whole lines in order (journal-range.ts: a batch read from a segment file).
   */
  writeBatch(journalId: string, text: string | readonly string[], bounds?: BatchBounds): BatchResult {
    this.startBatch();
    return this.run.immediate(journalId, text, bounds);
  }

  /** Forgets the lines skipped so far: a batch starts (native-writer.ts calls it before its C loop's runs). */
  startBatch(): void {
    if (this.skippedLines.length > 0) this.skippedLines = [];
  }

  /** The lines skipped since startBatch() (BatchResult.skipped). */
  get skipped(): SkippedLine[] {
    return this.skippedLines.length === 0 ? NONE_SKIPPED : this.skippedLines;
  }

  /**
   * Inside a transaction the caller holds (native/writer's batch loop hands over the lines it does
   * not make itself, in order): appends the journal lines of `text` after the chain head (seq,
   * hash), past the mark `committed` under the batch's `ceiling` (`moved`: the mark has moved in
   * this batch, or BatchBounds.resumed), and stores nothing else (no head, no mark).
   * Returns the new [head seq, head hash, committed, inserted, unreadable].
   */
  appendRun(text: string, seq: number, hash: string, committed: number, ceiling: number, moved: boolean): [number, string, number, number, number] {
    const b = this.pending;
    this.reset(seq, hash);
    const r = this.appendLines(text, committed, ceiling, moved);
    return [b.seq, b.hash, r.committed, r.inserted, r.unreadable];
  }

  private reset(seq: number, hash: string): void {
    const b = this.pending;
    // Nothing left over from a batch that threw (its transaction was rolled back).
    b.rows = 0;
    b.chars = 0;
    b.lines.length = 0;
    b.values.length = 0;
    b.heads.length = 0;
    b.seq = seq;
    b.hash = hash;
  }

  private insertLines(journalId: string, pieces: string | readonly string[], bounds: BatchBounds | undefined): BatchResult {
    const b = this.pending;
    this.reset(Number(this.getMeta.get('head_seq') ?? 0), String(this.getMeta.get('head_hash') ?? GENESIS_HASH));
    const before = (this.getJournal.get(journalId) as number | undefined) ?? 0;
    const last = bounds?.last;
    const r = this.appendLines(pieces, before, last ?? before + countLines(pieces), bounds?.resumed === true);
    const { inserted, unreadable } = r;
    // Every line up to the proxy's last number was in this batch or an earlier one: written or named.
    const committed = last !== undefined && last > r.committed ? last : r.committed;
    if (inserted > 0) {
      this.setMeta.run(String(b.seq), 'head_seq');
      this.setMeta.run(b.hash, 'head_hash');
    }
    if (committed !== before) this.setJournal.run(journalId, committed);
    return { committed, headSeq: b.seq, headHash: b.hash, inserted, unreadable, skipped: this.skipped };
  }

  /**
   * The rows of the lines after `committed` (the mark) and up to `ceiling` read, hashed and
   * inserted after the pending head. `moved`: the mark has moved (earlier in this batch, or
   * BatchBounds.resumed). Per line only integer comparisons decide which number is damaged.
   */
  private appendLines(pieces: string | readonly string[], committed: number, ceiling: number, moved: boolean): { committed: number; inserted: number; unreadable: number } {
    const b = this.pending;
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
          this.skip(null, 'it does not start with a journal sequence number and a space');
          continue;
        }
        if (local <= committed) {
          // Before the mark moved: a committed prefix (a resend, an import's overlap), skipped as
          // committed. After: this number is damaged, or one before it was (it took this line's).
          if (moved) {
            unreadable++;
            this.skip(local, `its journal number ${local} is not after ${committed}, the journal's number before it (a damaged number, or a line out of place)`);
          }
          continue;
        }
        if (local > ceiling) {
          // More than the batch can hold: damaged. It takes the next number (the line that had it),
          // unless still in a committed prefix (where it may have been a committed line).
          unreadable++;
          this.skip(local, `its journal number ${local} is beyond ${ceiling}, the last this batch can hold`);
          if (moved) committed++;
          continue;
        }
        moved = true;
        const body = text.slice(i + 1, end);
        const raw = body.charCodeAt(0) === RAW_MARK;
        const row = this.rowOf(raw, b.seq + b.rows + 1, body);
        if (!row) {
          unreadable++;
          this.skip(local, refusal.why);
          // Its number is plausible: the line that had it is this one, named.
          committed = local;
          continue;
        }
        b.lines[b.rows] = row[0];
        b.values[b.rows] = row[1];
        b.heads[b.rows] = raw ? this.raw.rowHead : undefined;
        b.chars += row[0].length;
        b.rows++;
        committed = local;
        inserted++;
        if (b.rows >= CHUNK_ROWS || b.chars >= CHUNK_CHARS) this.flush();
      }
    }
    this.flush();
    return { committed, inserted, unreadable };
  }

  /**
   * The row of a line's body, or undefined (refusal.why says why): whatever a damaged line holds,
   * reading it never throws out of the batch (a batch that throws is retried, forever).
   */
  private rowOf(raw: boolean, seq: number, body: string): StoredRow | undefined {
    try {
      return raw ? this.raw.row(seq, body) : rowFromBody(seq, body);
    } catch (err) {
      refusal.why = `reading it failed (${(err as Error).message})`;
      return undefined;
    }
  }

  private skip(seq: number | null, why: string): void {
    if (this.skippedLines.length < MAX_SKIPPED) this.skippedLines.push({ seq, why });
  }

  /** Hashes the rows read so far (one call for all: ChainKeying.hashes) and inserts them. */
  private flush(): void {
    const b = this.pending;
    const n = b.rows;
    if (n === 0) return;
    b.lines.length = n;
    const hashes = this.keying.hashes(b.hash, b.lines);
    let prev = b.hash;
    for (let i = 0; i < n; i++) {
      const values = b.values[i]!;
      const rowHash = hashes[i]!;
      const head = b.heads[i];
      const own = head !== undefined ? this.headInserts.of(head) : undefined;
      // The row's values then its chain columns; with the head's own statement, all but the head's.
      if (own !== undefined) HeadInserts.run(own, values, prev, rowHash);
      else runBound(this.insert, values, prev, rowHash);
      prev = rowHash;
    }
    b.seq += n;
    b.hash = prev;
    b.rows = 0;
    b.chars = 0;
    // Let the rows go (the arrays are kept for the next chunk).
    b.lines.length = 0;
    b.values.fill(undefined, 0, n);
    b.heads.fill(undefined, 0, n);
  }
}

/** The non-empty lines of a batch (each piece holds whole lines), as appendLines and native/writer's batch.c count them. */
function countLines(pieces: string | readonly string[]): number {
  let n = 0;
  const count = typeof pieces === 'string' ? 1 : pieces.length;
  for (let p = 0; p < count; p++) {
    const text = typeof pieces === 'string' ? pieces : pieces[p]!;
    for (let at = 0; at < text.length; ) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      if (end > at) n++;
      at = end + 1;
    }
  }
  return n;
}

/** Inserts row `v` (ROW_COLUMNS values) and its chain hashes, every column bound: arguments one by one (a spread of the array costs more). */
function runBound(insert: Database.Statement, v: ReadonlyArray<string | number | null>, prevHash: string, hash: string): void {
  insert.run(
    v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15],
    v[16], v[17], v[18], v[19], v[20], v[21], v[22], v[23], v[24], v[25], v[26], v[27], v[28], v[29], v[30],
    prevHash, hash,
  );
}

if (ROW_COLUMNS.length !== 31) throw new Error('chain-writer.ts: runBound binds 31 row columns');

/** Forgets a journal whose files are gone (after a clean close or an import). */
export function forgetJournal(db: Database.Database, journalId: string): void {
  db.prepare('DELETE FROM audit_journal WHERE id = ?').run(journalId);
}
