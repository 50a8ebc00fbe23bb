/**
 * INSERT statements of their own for the heads that come up often. The rows of one session and
 * decision (a raw entry's head: raw-entry.ts) share ten column values (client_id .. backend,
 * decision .. policy_version, roles); binding those nine strings and the roles again for every row
 * is about a quarter of the writer's SQLite work per row. Once a head has had HEAD_INSERT_AFTER rows,
 * its values are written into a statement of its own as constants and each row binds only the other 23. The
 * constants are hex blob literals cast to text (`CAST(X'…' AS TEXT)`): nothing of a value is ever
 * read by SQLite as SQL, and the stored text is the value's UTF-8 bytes, exactly what binding the
 * string stores (the head's strings are well-formed: raw-entry.ts normalizes them). A value with a
 * NUL character or not a string or null, or values over 64 KiB of SQL, keep the head on the bound
 * statement. A blob cast to text is read in the database's encoding: a database made UTF-16 (a file
 * created beforehand) keeps every head on the bound statement.
 */
import type Database from 'better-sqlite3';
import type { RawHead } from './raw-entry.js';
import { ROW_COLUMNS } from './schema.js';

/** Rows of one head before it gets a statement of its own (preparing one costs tens of µs). */
export const HEAD_INSERT_AFTER = 32;
/** Heads counted at most; all are forgotten (and their statements released) at this many. */
const HEAD_INSERTS = 64;
/** The longest head literals (in characters of SQL) written into a statement; longer heads stay bound. */
const MAX_SQL_CHARS = 64 * 1024;

/** ROW_COLUMNS positions of a head's values: client_id .. backend (who), decision .. policy_version (decided), roles. */
const WHO_AT = 2;
const DECIDED_AT = 15;
const ROLES_AT = 28;

interface Counted {
  rows: number;
  /** undefined: not yet; null: the head cannot have one (a NUL, or a value not a string). */
  insert: Database.Statement | null | undefined;
}

function literal(value: unknown): string | undefined {
  if (value === null) return 'NULL';
  if (typeof value !== 'string' || value.includes('\u0000')) return undefined;
  return `CAST(X'${Buffer.from(value, 'utf8').toString('hex')}' AS TEXT)`;
}

/**
 * The INSERT of a head's rows (its values as constants), or null when it cannot have one: a value
 * that cannot be a literal, values too long to be worth it (the statement's text would be over
 * MAX_SQL_CHARS; SQLite also refuses statements past its length limit), or a statement SQLite refuses.
 * Never throws: a failure here would fail the batch, and every retry of it, for good.
 */
function prepareHeadInsert(db: Database.Database, head: RawHead): Database.Statement | null {
  const cols = [...ROW_COLUMNS, 'prev_hash', 'hash'];
  const values: string[] = cols.map(() => '?');
  const fixed: Array<[number, unknown]> = [
    ...head.who.map((v, i): [number, unknown] => [WHO_AT + i, v]),
    ...head.decided.map((v, i): [number, unknown] => [DECIDED_AT + i, v]),
    [ROLES_AT, head.roles],
  ];
  let chars = 0;
  for (const [at, value] of fixed) {
    const sql = literal(value);
    if (sql === undefined) return null;
    chars += sql.length;
    if (chars > MAX_SQL_CHARS) return null;
    values[at] = sql;
  }
  try {
    return db.prepare(`INSERT INTO audit_log (${cols.join(', ')}) VALUES (${values.join(', ')})`);
  } catch {
    return null;
  }
}

export class HeadInserts {
  private readonly heads = new Map<RawHead, Counted>();
  /** Rows of a head before it gets its statement (tests: 1, or Infinity for never). */
  private readonly after: number;

  constructor(
    private readonly db: Database.Database,
    after = HEAD_INSERT_AFTER,
  ) {
    // The literals are UTF-8 bytes: in a UTF-16 database they would be read as other text.
    this.after = db.pragma('encoding', { simple: true }) === 'UTF-8' ? after : Infinity;
  }

  /** The statement of `head`'s rows (HeadInserts.run), or undefined: bind every column. */
  of(head: RawHead): Database.Statement | undefined {
    let c = this.heads.get(head);
    if (c === undefined) {
      if (this.heads.size >= HEAD_INSERTS) this.heads.clear();
      c = { rows: 0, insert: undefined };
      this.heads.set(head, c);
    }
    if (c.insert === undefined && ++c.rows >= this.after) c.insert = prepareHeadInsert(this.db, head);
    return c.insert ?? undefined;
  }

  /** Inserts row `v` (ROW_COLUMNS values) and its chain hashes with a head's statement: all but the head's ten. */
  static run(insert: Database.Statement, v: ReadonlyArray<string | number | null>, prevHash: string, hash: string): void {
    insert.run(
      v[0], v[1], v[8], v[9], v[10], v[11], v[12], v[13], v[14],
      v[18], v[19], v[20], v[21], v[22], v[23], v[24], v[25], v[26], v[27], v[29], v[30],
      prevHash, hash,
    );
  }
}
