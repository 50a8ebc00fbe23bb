/**
 * A time window is read through the time index when it is small. SQLite planned `since` alone (a
 * one-sided range) as a walk of the whole table in seq order: `audit query --since 1h --asc`, an
 * export of the last hour, or `--since 1h` with a filter no row of that hour matches (`--text`,
 * `--client`) read every row of the database, per page and per admin request (about 0.4 s per
 * million rows here). 200,000 rows written through the store into a real SQLite file; the plan is
 * asserted (EXPLAIN QUERY PLAN), the timings are only printed.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { auditQuerySql, queryAudit, type QueryOptions } from '../src/audit/query.js';
import { auditConfig, runCli, sampleRecord, tempDir } from './helpers/audit.js';

const ROWS = 200_000;
const T0 = Date.UTC(2026, 0, 1);

describe('time filters use the time index', { timeout: 300_000 }, () => {
  const tmp = tempDir();
  const path = `${tmp.dir}/audit.db`;
  let db: Database.Database;

  beforeAll(async () => {
    const store = openAuditStore(auditConfig(path));
    for (let i = 0; i < ROWS; i++) {
      store.record(sampleRecord({ time: T0 + i * 1000, clientId: i % 7 ? 'bob' : 'alice', arguments: { vm: `vm-${i}` }, requestId: i }));
      if (i % 5000 === 4999) await store.flush();
    }
    await store.flush();
    await store.close();
    db = new Database(path, { readonly: true });
  }, 300_000);
  afterAll(() => {
    db?.close();
    tmp.cleanup();
  });

  const plan = (options: QueryOptions): string => {
    const { sql, params } = auditQuerySql(db, options);
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
  };
  /** The same rows the slow way: every row read, no index. */
  const reference = (options: QueryOptions & { since: number }): number[] => {
    const asc = options.order === 'asc';
    const text = options.text === undefined ? '' : ` AND arguments LIKE '%' || ? || '%'`;
    const client = options.client === undefined ? '' : ' AND client_id = ?';
    const args = [options.since, ...(options.text === undefined ? [] : [options.text]), ...(options.client === undefined ? [] : [options.client]), options.limit ?? 100];
    return db.prepare(`SELECT seq FROM audit_log NOT INDEXED WHERE time >= ?${text}${client} ORDER BY seq ${asc ? 'ASC' : 'DESC'} LIMIT ?`).pluck().all(...args) as number[];
  };

  it('a recent window (the last hour) is searched through the time index, asc and desc, with filters', () => {
    const lastHour = T0 + (ROWS - 3600) * 1000;
    const cases: QueryOptions[] = [
      { since: lastHour, order: 'asc' },
      { since: lastHour, order: 'desc' },
      { since: lastHour, text: 'no-such-argument' },
      { since: lastHour, client: 'nobody' },
      { since: lastHour, client: 'alice', order: 'asc', limit: 50 },
    ];
    for (const options of cases) {
      const p = plan(options);
      expect(p, JSON.stringify(options)).toContain('USING INDEX audit_log_time');
      expect(p).not.toMatch(/^SCAN audit_log(?! USING)/);
      const started = performance.now();
      const got = queryAudit(db, options).rows.map((r) => r.seq);
      const ms = performance.now() - started;
      expect(got, JSON.stringify(options)).toEqual(reference(options as QueryOptions & { since: number }));
      console.log(`info: ${JSON.stringify(options)}: ${got.length} rows in ${ms.toFixed(1)} ms`);
    }
  });

  it('a wide window keeps the walk in seq order (one page read, not the window sorted)', () => {
    const p = plan({ since: T0, order: 'desc' });
    expect(p).not.toContain('TEMP B-TREE');
    expect(queryAudit(db, { since: T0, limit: 3 }).rows.map((r) => r.seq)).toEqual([ROWS, ROWS - 1, ROWS - 2]);
  });

  it('the CLI answers the last hour oldest first (timing printed)', async () => {
    const since = new Date(T0 + (ROWS - 3600) * 1000).toISOString();
    const started = performance.now();
    const r = await runCli(['audit', 'query', '--db', path, '--since', since, '--asc', '--limit', '2', '--ndjson']);
    console.log(`info: audit query --since <last hour> --asc on ${ROWS} rows: ${(performance.now() - started).toFixed(0)} ms (process included)`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([ROWS - 3599, ROWS - 3598]);
  });
});
