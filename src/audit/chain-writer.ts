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
import { canonicalFromBody } from './row.js';
import { GENESIS_HASH, ROW_COLUMNS, SCALAR_COLUMNS } from './schema.js';

export interface BatchResult {
  /** Highest journal sequence number of this journal now committed. */
  committed: number;
  /** Highest row sequence number in the database. */
  headSeq: number;
  inserted: number;
  /** Lines that could not be read (a torn last line after a crash). */
  unreadable: number;
}

/** Journal line: "<journal seq> <body>" where body is the canonical line without the row seq. */
function splitJournalLine(line: string): [number, string] | undefined {
  const space = line.indexOf(' ');
  if (space <= 0) return undefined;
  const local = Number(line.slice(0, space));
  if (!Number.isSafeInteger(local) || line.charCodeAt(space + 1) !== 91 /* [ */) return undefined;
  return [local, line.slice(space + 1)];
}

/** Rows per multi-row INSERT: fewer statement executions per batch (the tail goes one row at a time). */
const ROWS_PER_INSERT = 32;
const INSERT_COLUMNS = [...ROW_COLUMNS, 'prev_hash', 'hash'];
const PER_ROW = INSERT_COLUMNS.length;
/** Scalars in a journal body: every scalar column but seq. */
const BODY_SCALARS = SCALAR_COLUMNS.length - 1;

/**
 * Appends the stored values of one journal body (see toJournalBody) to `out` at `at`: seq, the
 * scalars, the two payloads. Returns false (writing nothing meaningful) when the body is malformed.
 */
function fillRow(out: unknown[], at: number, seq: number, body: string): boolean {
  const tab1 = body.indexOf('\t');
  const tab2 = tab1 < 0 ? -1 : body.indexOf('\t', tab1 + 1);
  if (tab2 < 0) return false;
  let scalars: unknown;
  try {
    scalars = JSON.parse(body.slice(0, tab1));
  } catch {
    return false;
  }
  if (!Array.isArray(scalars) || scalars.length !== BODY_SCALARS || typeof scalars[0] !== 'number') return false;
  out[at] = seq;
  for (let i = 0; i < BODY_SCALARS; i++) {
    const v: unknown = scalars[i];
    if (v !== null && typeof v !== 'string' && typeof v !== 'number') return false;
    out[at + 1 + i] = v;
  }
  const args = body.slice(tab1 + 1, tab2);
  const result = body.slice(tab2 + 1);
  out[at + 1 + BODY_SCALARS] = args === '' ? null : args;
  out[at + 2 + BODY_SCALARS] = result === '' ? null : result;
  return true;
}

export class ChainWriter {
  private readonly insertOne: Database.Statement;
  private readonly insertMany: Database.Statement;
  /** Parameters of one multi-row INSERT, reused across batches. */
  private readonly params: unknown[] = new Array(PER_ROW * ROWS_PER_INSERT);
  private readonly getMeta: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly getJournal: Database.Statement;
  private readonly setJournal: Database.Statement;
  private readonly run: { immediate(journalId: string, lines: string[]): BatchResult };

  constructor(
    db: Database.Database,
    private readonly keying: ChainKeying,
  ) {
    const row = `(${INSERT_COLUMNS.map(() => '?').join(', ')})`;
    const insert = `INSERT INTO audit_log (${INSERT_COLUMNS.join(', ')}) VALUES `;
    this.insertOne = db.prepare(insert + row);
    this.insertMany = db.prepare(insert + new Array<string>(ROWS_PER_INSERT).fill(row).join(', '));
    this.getMeta = db.prepare('SELECT value FROM audit_meta WHERE key = ?').pluck();
    this.setMeta = db.prepare('UPDATE audit_meta SET value = ? WHERE key = ?');
    this.getJournal = db.prepare('SELECT committed FROM audit_journal WHERE id = ?').pluck();
    this.setJournal = db.prepare(
      'INSERT INTO audit_journal (id, committed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET committed = excluded.committed',
    );
    this.run = db.transaction((journalId: string, lines: string[]) => this.insertLines(journalId, lines));
  }

  /** Appends the newline-separated journal lines of `journalId` in one transaction. */
  writeBatch(journalId: string, text: string): BatchResult {
    return this.run.immediate(journalId, text.split('\n'));
  }

  private insertLines(journalId: string, lines: string[]): BatchResult {
    let seq = Number(this.getMeta.get('head_seq') ?? 0);
    let hash = String(this.getMeta.get('head_hash') ?? GENESIS_HASH);
    const before = (this.getJournal.get(journalId) as number | undefined) ?? 0;
    const params = this.params;
    let committed = before;
    let inserted = 0;
    let unreadable = 0;
    let buffered = 0;
    for (const line of lines) {
      if (line.length === 0) continue;
      const entry = splitJournalLine(line);
      if (!entry) {
        unreadable++;
        continue;
      }
      if (entry[0] <= committed) continue;
      const at = buffered * PER_ROW;
      if (!fillRow(params, at, seq + 1, entry[1])) {
        unreadable++;
        continue;
      }
      const rowHash = this.keying.hash(hash, canonicalFromBody(seq + 1, entry[1]));
      params[at + PER_ROW - 2] = hash;
      params[at + PER_ROW - 1] = rowHash;
      if (++buffered === ROWS_PER_INSERT) {
        this.insertMany.run(params);
        buffered = 0;
      }
      seq++;
      hash = rowHash;
      committed = entry[0];
      inserted++;
    }
    for (let i = 0; i < buffered; i++) this.insertOne.run(params.slice(i * PER_ROW, (i + 1) * PER_ROW));
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
