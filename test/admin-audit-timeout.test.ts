/**
 * Admin audit reads have a time limit (admin.queryTimeoutMs for query and stats,
 * admin.verifyTimeoutMs for verify). Before, a heavy free-text search kept the reader thread busy
 * until it ended and the request hung that long, with every admin read behind it (and a worker
 * thread cannot be stopped inside a SQLite statement: the reads now run in a process, killed). A real SQLite
 * file whose rows make a LIKE search slow on purpose (3,000 rows of 4,000 'a's, searched for 500
 * 'a's then a 'b': about a millisecond a row, seconds in all) and a 1.5 s limit: the search is
 * answered 503 within a second or two with a JSON body naming the limit and how to narrow it,
 * logged and counted; a read that waited behind it past its own limit is answered 503 too, as
 * never started; a verify asked meanwhile is not held behind it (verify has a process of its own:
 * test admin-verify-apart); the stopped reader process is gone at once (not scanning on); and the
 * next query is answered by a new one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenHash, registerAdminRoutes, type AdminRoutes } from '../src/admin/index.js';
import { formatMetrics } from '../src/admin/metrics.js';
import { openAuditStore, type AuditStore } from '../src/audit/index.js';
import { adminSchema } from '../src/config/admin.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';
import { keptLogger } from './helpers/kept-logger.js';
import { until } from './helpers/wait.js';

const TOKEN = 'adm-timeout-7d2f';
const ROWS = 3000;
const QUERY_LIMIT_MS = 1500;
const VERIFY_LIMIT_MS = 60_000;
/** Matches no row, after trying 500 characters at each of the 4,000 places of each row. */
const SLOW_TEXT = `${'a'.repeat(500)}b`;

/** The pids of the live reader processes of this process (Linux: /proc), or undefined where /proc is not there. */
function readerProcesses(): string[] | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const pids: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && state !== 'Z' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('reader-child')) pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('admin audit reads: time limit', { timeout: 120_000 }, () => {
  const tmp = tempDir();
  const { logger, lines } = keptLogger();
  let store: AuditStore;
  let app: FastifyInstance;
  let base: string;
  let routes: AdminRoutes;

  beforeAll(async () => {
    store = openAuditStore(auditConfig(`${tmp.dir}/audit.db`));
    const note = 'a'.repeat(4000);
    for (let i = 0; i < ROWS; i++) {
      store.record(sampleRecord({ time: Date.UTC(2026, 0, 1) + i, arguments: { note } }));
      if (i % 500 === 499) await store.flush();
    }
    await store.flush();
    app = Fastify();
    const admin = adminSchema.parse({ tokenHashes: [adminTokenHash(TOKEN)], queryTimeoutMs: QUERY_LIMIT_MS, verifyTimeoutMs: VERIFY_LIMIT_MS });
    routes = registerAdminRoutes(app, { store, config: admin, logger })!;
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
    tmp.cleanup();
  });

  const get = async (path: string) => {
    const started = Date.now();
    const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as Record<string, unknown>, ms: Date.now() - started };
  };

  /**
   * A quick read, asked again while it is answered 503: from TypeScript sources the reader process
   * loads through tsx, and on a loaded machine that and the read may take longer than the short
   * limit of this test (counted from the read's arrival).
   */
  async function answered(path: string) {
    for (let i = 0; ; i++) {
      const r = await get(path);
      if (r.status !== 503 || i === 30) return r;
    }
  }

  it('the limit is configurable, 10 s for queries and 10 min for verify by default', () => {
    expect(adminSchema.parse({})).toMatchObject({ queryTimeoutMs: 10_000, verifyTimeoutMs: 600_000 });
    expect(adminSchema.safeParse({ queryTimeoutMs: 0 }).success).toBe(false);
  });

  it('a slow search is answered 503 at its limit, a read waiting behind it too; a verify asked meanwhile is not held; the next query is answered', async () => {
    // A quick query first: the reader process is up and the rows are there.
    const first = await answered('/admin/audit?limit=1');
    expect(first.status).toBe(200);
    expect((first.body.rows as unknown[]).length).toBe(1);
    const queryProcess = readerProcesses();
    if (queryProcess !== undefined) expect(queryProcess.length).toBe(1);

    const slow = get(`/admin/audit?text=${SLOW_TEXT}&limit=10`);
    // Sent once the search runs: it waits behind it until its own limit (the search's process is
    // killed 50 ms before, and a new one is not up 50 ms later).
    await new Promise((r) => setTimeout(r, 50));
    const waiting = get('/admin/audit/stats');
    const verify = get('/admin/audit/verify');
    const [s, w, v] = await Promise.all([slow, waiting, verify]);

    expect(s.status).toBe(503);
    expect(s.retryAfter).toBe('5');
    expect(s.body).toMatchObject({
      error: `audit query took longer than ${QUERY_LIMIT_MS} ms and was stopped`,
      limitMs: QUERY_LIMIT_MS,
      setting: 'admin.queryTimeoutMs',
      queued: false,
    });
    expect(s.body.hint).toMatch(/^narrow the query: a shorter since\/until window/);
    // Answered at the limit, not when the scan ends (seconds later).
    expect(s.ms).toBeLessThan(QUERY_LIMIT_MS + 2000);

    expect(w.status).toBe(503);
    expect(w.body).toMatchObject({ limitMs: QUERY_LIMIT_MS, setting: 'admin.queryTimeoutMs', queued: true });
    expect(w.body.error).toBe(`audit stats not started within ${QUERY_LIMIT_MS} ms: other admin reads kept the reader busy (or it was starting); retry later`);

    // The verify ran in its own process, not behind the search.
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true, rows: ROWS });

    // The stopped process is gone now, not scanning on.
    if (queryProcess !== undefined) await until(() => !readerProcesses()!.includes(queryProcess[0]!), 'the stopped reader process to be gone', 5000);
    // A new reader process answers the next read.
    const next = await answered('/admin/audit?limit=2&order=asc');
    expect(next.status).toBe(200);
    expect((next.body.rows as Array<{ seq: number }>).map((r) => r.seq)).toEqual([1, 2]);

    // Logged (warn, the parameters named, not their values) and counted for the metrics.
    await until(() => lines.some((l) => l.level === 40 && l.queued === false), 'the warning');
    const warned = lines.filter((l) => l.level === 40);
    expect(warned.find((l) => l.queued === false)).toMatchObject({ msg: `admin: audit query took longer than ${QUERY_LIMIT_MS} ms and was stopped`, limitMs: QUERY_LIMIT_MS, params: ['limit', 'text'] });
    expect(JSON.stringify(warned)).not.toContain(SLOW_TEXT);
    const counted = routes.readTimeouts();
    expect(counted.running).toBe(1);
    // The stats, and any quick read asked again while a reader process was starting.
    expect(counted.queued).toBeGreaterThanOrEqual(1);
    const text = formatMetrics({ sessions: [], backends: [], decisions: [], adminReadTimeouts: counted });
    expect(text).toContain('mcp_warden_admin_reads_timed_out_total{stage="running"} 1\n');
    expect(text).toContain(`mcp_warden_admin_reads_timed_out_total{stage="queued"} ${counted.queued}\n`);
  });

  it('stats: the same limit', async () => {
    const started = Date.now();
    // Shorter: stats scans the rows several times (and on the code before, took minutes here).
    const s = await get(`/admin/audit/stats?text=${'a'.repeat(100)}b`);
    expect(s.status).toBe(503);
    expect(s.body).toMatchObject({ limitMs: QUERY_LIMIT_MS, setting: 'admin.queryTimeoutMs' });
    // Stopped, or (its reader still starting after the stop above) never started.
    expect(s.body.error).toMatch(new RegExp(`^audit stats (took longer than ${QUERY_LIMIT_MS} ms and was stopped|not started within ${QUERY_LIMIT_MS} ms)`));
    expect(Date.now() - started).toBeLessThan(QUERY_LIMIT_MS + 2000);
  });
});
