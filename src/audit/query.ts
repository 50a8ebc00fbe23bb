/**
 * Read side of the audit log: filtered, cursor-paginated queries (who/what/when/decision plus free
 * text on arguments), the rows after a sequence number (tail), and counts by client, tool and
 * decision. Works on any connection, including a read-only one opened by the CLI.
 */
import type Database from 'better-sqlite3';
import { decodeRow, type AuditEntry } from './row.js';
import { NOT_ALLOWED } from './schema.js';

export interface AuditFilter {
  /** Client id or name; `*` is a wildcard. */
  client?: string;
  /** A role the client had when it called (one of the row's roles); `*` is a wildcard. */
  role?: string;
  /** Tool name; `*` is a wildcard. */
  tool?: string;
  backend?: string;
  /** One decision or several separated by commas: allow, deny, shadow-deny, error. */
  decision?: string;
  method?: string;
  outcome?: string;
  /** Milliseconds since the epoch, inclusive. */
  since?: number;
  /** Milliseconds since the epoch, exclusive. */
  until?: number;
  /** Substring of the (redacted) arguments JSON. */
  text?: string;
}

export interface QueryOptions extends AuditFilter {
  /** Newest first (default) or oldest first. */
  order?: 'desc' | 'asc';
  /** Only rows with seq below this (desc paging) or above it (asc paging). */
  cursor?: number;
  limit?: number;
}

export interface QueryPage {
  rows: AuditEntry[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: number;
}

export const DECISIONS = ['allow', 'deny', 'shadow-deny', 'error'] as const;
export const MAX_LIMIT = 10_000;

function likePattern(value: string, wildcardsOnly: boolean): string {
  const escaped = value.replace(/[\\%_]/g, (c) => `\\${c}`);
  return wildcardsOnly ? escaped.replaceAll('*', '%') : `%${escaped}%`;
}

function matchClause(column: string, value: string, params: unknown[]): string {
  if (value.includes('*')) {
    params.push(likePattern(value, true));
    return `${column} LIKE ? ESCAPE '\\'`;
  }
  params.push(value);
  return `${column} = ?`;
}

/**
 * Whether the database records roles (schema 4 on). A database of an earlier schema, read by a
 * reader that does not migrate it (the CLI opens it read-only), has no roles column: no row of it
 * had a role, so a role filter matches nothing there instead of failing on the missing column.
 */
function recordsRoles(db: Database.Database): boolean {
  return db.prepare(`SELECT 1 FROM pragma_table_info('audit_log') WHERE name = 'roles'`).get() !== undefined;
}

/** SQL WHERE clause and parameters for a filter; rejects unknown decisions. `roles`: recordsRoles(). */
export function buildWhere(filter: AuditFilter, roles = true): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.client) {
    const byId = matchClause('client_id', filter.client, params);
    const byName = matchClause('client_name', filter.client, params);
    clauses.push(`(${byId} OR ${byName})`);
  }
  if (filter.role && !roles) clauses.push('0');
  else if (filter.role) {
    // One of the row's roles (a JSON array text, or null: no roles). A roles text that is not JSON
    // (a row edited by hand; `audit verify` names it) matches nothing instead of failing the query.
    const match = matchClause('value', filter.role, params);
    clauses.push(`roles IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(roles) THEN roles END) WHERE ${match})`);
  }
  if (filter.tool) clauses.push(matchClause('tool', filter.tool, params));
  if (filter.backend) clauses.push(matchClause('backend', filter.backend, params));
  if (filter.method) clauses.push(matchClause('method', filter.method, params));
  if (filter.outcome) clauses.push(matchClause('outcome', filter.outcome, params));
  if (filter.decision) {
    const list = filter.decision.split(',').map((d) => d.trim()).filter(Boolean);
    for (const d of list) {
      if (!(DECISIONS as readonly string[]).includes(d)) throw new Error(`unknown decision "${d}" (expected one of ${DECISIONS.join(', ')})`);
    }
    clauses.push(`decision IN (${list.map(() => '?').join(', ')})`);
    params.push(...list);
    // Implied by the list; spelled as the partial index's condition so that the planner uses it.
    if (!list.includes('allow')) clauses.push(NOT_ALLOWED);
  }
  timeClauses(filter, clauses, params);
  if (filter.text) {
    clauses.push("arguments LIKE ? ESCAPE '\\'");
    params.push(likePattern(filter.text, false));
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** The filter's time window as clauses on `time` (since inclusive, until exclusive). */
function timeClauses(filter: AuditFilter, clauses: string[], params: unknown[]): void {
  if (filter.since !== undefined) {
    clauses.push('time >= ?');
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    clauses.push('time < ?');
    params.push(filter.until);
  }
}

/**
 * A time window holding at most this many rows is read through the time index (then sorted by seq).
 * SQLite otherwise walks the whole table in seq order for a one-sided bound (`since` alone): it
 * cannot know that rows come in time order, so `--since 1h --asc`, or `--since 1h` with a filter no
 * row of the last hour matches, read every row of the database (~0.4 s per million rows, per page).
 * A wider window keeps the seq walk, which stops after one page instead of sorting the window.
 */
export const TIME_INDEX_MAX_ROWS = 20_000;

/** Whether the filter's time window is small enough for the time index (an index-only count, bounded). */
function smallTimeWindow(db: Database.Database, filter: AuditFilter): boolean {
  const clauses: string[] = [];
  const params: unknown[] = [];
  timeClauses(filter, clauses, params);
  if (clauses.length === 0) return false;
  const sql = `SELECT COUNT(*) FROM (SELECT 1 FROM audit_log INDEXED BY audit_log_time WHERE ${clauses.join(' AND ')} LIMIT ${TIME_INDEX_MAX_ROWS + 1})`;
  return (db.prepare(sql).pluck().get(...params) as number) <= TIME_INDEX_MAX_ROWS;
}

/** The SELECT a query runs and its parameters (tests read its plan). */
export function auditQuerySql(db: Database.Database, options: QueryOptions = {}): { sql: string; params: unknown[]; limit: number } {
  const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 100)), MAX_LIMIT);
  const order = options.order ?? 'desc';
  const { where, params } = buildWhere(options, recordsRoles(db));
  let sql = `SELECT * FROM audit_log${smallTimeWindow(db, options) ? ' INDEXED BY audit_log_time' : ''} ${where}`;
  if (options.cursor !== undefined) {
    sql += `${where ? ' AND' : ' WHERE'} seq ${order === 'desc' ? '<' : '>'} ?`;
    params.push(options.cursor);
  }
  sql += ` ORDER BY seq ${order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`;
  params.push(limit + 1);
  return { sql, params, limit };
}

export function queryAudit(db: Database.Database, options: QueryOptions = {}): QueryPage {
  const { sql, params, limit } = auditQuerySql(db, options);
  const raw = db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
  const more = raw.length > limit;
  const rows = (more ? raw.slice(0, limit) : raw).map(decodeRow);
  return more ? { rows, nextCursor: rows[rows.length - 1]!.seq } : { rows };
}

export interface CountRow {
  key: string | null;
  count: number;
}

export interface AuditStats {
  total: number;
  byClient: CountRow[];
  byTool: CountRow[];
  byDecision: CountRow[];
  /** Rows per role the client had (a row counts once for each of its roles; key null: rows with none). */
  byRole: CountRow[];
  /** Counts per client, tool and decision together. */
  byClientToolDecision: Array<{ client: string; tool: string | null; decision: string; count: number }>;
  /** The lists cut to their `top` largest groups (StatsOptions.top); absent when none was. */
  truncated?: StatsList[];
}

export type StatsList = 'byClient' | 'byTool' | 'byDecision' | 'byRole' | 'byClientToolDecision';

export interface StatsOptions extends AuditFilter {
  /**
   * Most groups in each list, the largest first (ties by key): a client can make as many distinct
   * tool names as it likes, and each would be a group. Absent: every group.
   */
  top?: number;
}

export function auditStats(db: Database.Database, options: StatsOptions = {}): AuditStats {
  const roles = recordsRoles(db);
  const { where, params } = buildWhere(options, roles);
  const top = options.top;
  // One more than asked for tells whether the list was cut.
  const limit = top === undefined ? '' : ` LIMIT ${Math.floor(top) + 1}`;
  const truncated: StatsList[] = [];
  const cut = <T>(list: StatsList, rows: T[]): T[] => {
    if (top === undefined || rows.length <= top) return rows;
    truncated.push(list);
    return rows.slice(0, top);
  };
  const group = (list: StatsList, column: string): CountRow[] =>
    cut(list, db.prepare(`SELECT ${column} AS key, COUNT(*) AS count FROM audit_log ${where} GROUP BY ${column} ORDER BY count DESC, key${limit}`).all(...params) as CountRow[]);
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM audit_log ${where}`).get(...params) as { n: number }).n;
  const byClient = group('byClient', 'client_id');
  const byTool = group('byTool', 'tool');
  const byDecision = group('byDecision', 'decision');
  const byRoleRows = cut('byRole', roles ? byRole(db, where, params, limit) : noRoles(total));
  const combined = cut(
    'byClientToolDecision',
    db
      .prepare(
        `SELECT client_id AS client, tool, decision, COUNT(*) AS count FROM audit_log ${where}
       GROUP BY client_id, tool, decision ORDER BY count DESC, client, tool, decision${limit}`,
      )
      .all(...params) as AuditStats['byClientToolDecision'],
  );
  const stats: AuditStats = { total, byClient, byTool, byDecision, byRole: byRoleRows, byClientToolDecision: combined };
  if (truncated.length > 0) stats.truncated = truncated;
  return stats;
}

/** Rows per role (json_each over each row's roles; a roles text that is not JSON counts as none). */
function byRole(db: Database.Database, where: string, params: unknown[], limit: string): CountRow[] {
  return db
    .prepare(
      `WITH picked AS (SELECT CASE WHEN json_valid(roles) THEN roles END AS roles FROM audit_log ${where})
       SELECT r.value AS key, COUNT(*) AS count FROM picked, json_each(picked.roles) AS r GROUP BY r.value
       UNION ALL
       SELECT NULL AS key, COUNT(*) AS count FROM picked WHERE roles IS NULL OR json_array_length(roles) = 0 HAVING COUNT(*) > 0
       ORDER BY count DESC, key${limit}`,
    )
    .all(...params) as CountRow[];
}

/** byRole of a database that records no roles: every row has none. */
function noRoles(total: number): CountRow[] {
  return total > 0 ? [{ key: null, count: total }] : [];
}
