/**
 * The audit database layout: one row per request in `audit_log` (the columns of AuditRecord plus
 * the hash chain), a key/value `audit_meta` table holding the chain anchor (hash of the last row
 * removed by retention) and head, `audit_journal` (how far each writer's journal is committed),
 * and forward-only migrations keyed on PRAGMA user_version.
 */
import type Database from 'better-sqlite3';

/**
 * Scalar row columns in canonical order. A row's canonical line (what its hash covers) is
 * JSON.stringify of these values (and, last, of the roles text when it is not null: ROLES_COLUMN),
 * a tab, the arguments JSON text, a tab, and the result JSON text
 * (either may be empty for null). JSON text never contains a raw tab or newline, so the line is
 * unambiguous, and payloads are not escaped a second time. A journal entry is the same line
 * without `seq`, which the writer assigns when it appends the row to the chain (journal-line.ts).
 */
export const SCALAR_COLUMNS = [
  'seq',
  'time',
  'client_id',
  'client_name',
  'auth_method',
  'session_id',
  'transport',
  'backend',
  'method',
  'request_id',
  'tool',
  'resource',
  'prompt',
  'arguments_bytes',
  'arguments_sha256',
  'decision',
  'reasons',
  'policy_version',
  'outcome',
  'error_code',
  'error_message',
  'is_error',
  'result_bytes',
  'result_sha256',
  'decision_micros',
  'backend_micros',
  'request_bytes',
  'response_bytes',
] as const;

/**
 * The client's roles (schema 4): a JSON array text, or null when the client had none (anonymous,
 * a local user without configured roles, a row written before schema 4 or by a writer that predates
 * it). The canonical line holds it as one more scalar after `response_bytes` only when it is not
 * null; a null leaves the line exactly as before schema 4 (docs/audit.md, "Tamper evidence").
 */
export const ROLES_COLUMN = 'roles';

/** Every stored column except the chain's: the scalars, roles, then the two payloads. */
export const ROW_COLUMNS = [...SCALAR_COLUMNS, ROLES_COLUMN, 'arguments', 'result'] as const;

/** One row's scalar values in SCALAR_COLUMNS order: strings, integers or null. */
export type ScalarValues = Array<string | number | null>;

/** The row's hash input starts from this "previous hash" when nothing was ever removed. */
export const GENESIS_HASH = '0'.repeat(64);

const MIGRATIONS: string[] = [
  // 1: initial layout.
  `CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY,
     time INTEGER NOT NULL,
     client_id TEXT NOT NULL,
     client_name TEXT NOT NULL,
     auth_method TEXT NOT NULL,
     session_id TEXT NOT NULL,
     transport TEXT NOT NULL,
     backend TEXT,
     method TEXT NOT NULL,
     request_id TEXT,
     tool TEXT,
     resource TEXT,
     prompt TEXT,
     arguments TEXT,
     arguments_bytes INTEGER,
     arguments_sha256 TEXT,
     decision TEXT NOT NULL,
     reasons TEXT NOT NULL,
     policy_version TEXT,
     outcome TEXT NOT NULL,
     error_code INTEGER,
     error_message TEXT,
     is_error INTEGER,
     result TEXT,
     result_bytes INTEGER,
     result_sha256 TEXT,
     decision_micros INTEGER NOT NULL,
     backend_micros INTEGER,
     request_bytes INTEGER,
     response_bytes INTEGER,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   -- Every index entry also carries the rowid (seq), so "WHERE tool = ? ORDER BY seq DESC" walks one index.
   CREATE INDEX audit_log_time ON audit_log(time);
   CREATE INDEX audit_log_client ON audit_log(client_id);
   CREATE INDEX audit_log_tool ON audit_log(tool);
   CREATE INDEX audit_log_decision ON audit_log(decision);
   CREATE TABLE audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   -- Per writing process: the last journal sequence number committed (makes journal import idempotent).
   CREATE TABLE audit_journal (id TEXT PRIMARY KEY, committed INTEGER NOT NULL);
   INSERT INTO audit_meta(key, value) VALUES
     ('anchor_seq', '0'), ('anchor_hash', '${GENESIS_HASH}'), ('head_seq', '0'), ('head_hash', '${GENESIS_HASH}');`,
  // 2: how the chain is hashed (plain SHA-256 or HMAC-SHA256 under audit.chainKey; see chain-key.ts).
  `INSERT OR IGNORE INTO audit_meta(key, value) VALUES ('chain_mode', 'sha256'), ('chain_key_id', '');`,
  // 3: two index entries per allowed call instead of four (each index is one more B-tree insert
  // per row on the writer thread). The decision index holds only the rows that were not allowed
  // (the rare ones a query looks for; buildWhere repeats the index's condition so the planner uses
  // it); allowed rows are most rows, found by walking seq. The client index is dropped: the client
  // filter matches client_id OR client_name, which that index cannot serve, so it was never used
  // by a query (only by `audit stats`, which reads every row either way).
  `DROP INDEX IF EXISTS audit_log_client;
   DROP INDEX IF EXISTS audit_log_decision;
   CREATE INDEX audit_log_not_allowed ON audit_log(decision) WHERE decision <> 'allow';`,
  // 4: the client's roles at the time of the call (ROLES_COLUMN). No index: `--role` is a filter
  // over rows read newest first, like `--client`. Rows already stored keep null, and with it their
  // canonical line and hash; a writer of an earlier version still running on this database writes
  // null too (its INSERT names its columns), and its rows verify the same way.
  `ALTER TABLE audit_log ADD COLUMN roles TEXT;`,
];

/** The condition of the partial index audit_log_not_allowed (query.ts repeats it word for word). */
export const NOT_ALLOWED = "decision <> 'allow'";

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The page size of a database made by this version (SQLite's default is 4096). */
export const PAGE_SIZE = 16384;

/** The writing connection's page cache, KiB (PRAGMA cache_size takes it negative). */
const WRITER_CACHE_KIB = 4096;

/** How long a writing connection waits for another process's lock (busy_timeout, and switching to WAL). */
const BUSY_WAIT_MS = 5000;

/**
 * Pragmas for the writing connection: WAL, commits survive a process crash, fsync at checkpoints.
 * busy_timeout comes first, and the switch to WAL is retried while another process holds the
 * database: switching needs an exclusive lock, and SQLite answers SQLITE_BUSY at once (without
 * its busy handler) when processes opening a new database together would otherwise deadlock.
 */
export function configureWriter(db: Database.Database): void {
  db.pragma(`busy_timeout = ${BUSY_WAIT_MS}`);
  // A database made now gets 16 KiB pages (it takes effect only before the first page is written:
  // an existing database keeps its own). A batch's rows then go to the WAL in a quarter of the
  // frames, each a write() or two and a checkpoint copy: ~5-10% less of the writer's CPU per row
  // (bench/audit-writer-ab.mjs, batches of 256-1024 rows).
  db.pragma(`page_size = ${PAGE_SIZE}`);
  switchToWal(db);
  db.pragma('synchronous = NORMAL');
  // The writer appends: it reads back only the right-hand edge of each b-tree and the meta rows, so
  // a page cache of a few MiB holds a batch's pages (SQLite spills a larger batch to the WAL before
  // its commit). better-sqlite3's default of 16 MiB kept growing, a fresh page's first touch a page
  // fault, for the first ~50,000 rows of every process (~0.07 faults per row at 4,000 calls/s:
  // 10-12% of the writer's CPU per row until full), and then held 12 MiB more per process than this.
  db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
  // What retention removes is overwritten, not only unlinked: a deleted row's bytes otherwise stay
  // in the file (in free pages, and in the free space of pages in use) until SQLite reuses that
  // space, and a copy of the file (a backup, a snapshot) still holds them. On from the start, so
  // that the copies a page split leaves behind (a table's first page keeps its first rows' bytes
  // when it becomes the root above them) are zeroed too. The writer appends: nothing else is freed
  // but the small cells of the meta and journal rows it updates, zeroed within pages it writes anyway.
  db.pragma('secure_delete = ON');
}

function switchToWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
    }
    Atomics.wait(pause, 0, 0, wait);
  }
}

/** Brings the database to SCHEMA_VERSION; refuses a database written by a newer mcp-warden. */
export function migrate(db: Database.Database): void {
  const version = () => {
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v > SCHEMA_VERSION) throw new Error(`audit database schema version ${v} is newer than this mcp-warden supports (${SCHEMA_VERSION})`);
    return v;
  };
  if (version() === SCHEMA_VERSION) return;
  // Each step in an IMMEDIATE transaction that reads the version again: processes opening a new
  // database at once (an MCP client starting several wraps) take turns, and each step runs once.
  const step = db.transaction(() => {
    const v = version();
    if (v >= SCHEMA_VERSION) return false;
    db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${v + 1}`);
    return true;
  });
  while (step.immediate()) {
    // next step
  }
}

export interface ChainMeta {
  anchorSeq: number;
  anchorHash: string;
  headSeq: number;
  headHash: string;
}

export function readMeta(db: Database.Database): ChainMeta {
  const rows = db.prepare('SELECT key, value FROM audit_meta').all() as Array<{ key: string; value: string }>;
  const m = new Map(rows.map((r) => [r.key, r.value]));
  return {
    anchorSeq: Number(m.get('anchor_seq') ?? 0),
    anchorHash: m.get('anchor_hash') ?? GENESIS_HASH,
    headSeq: Number(m.get('head_seq') ?? 0),
    headHash: m.get('head_hash') ?? GENESIS_HASH,
  };
}
