/**
 * GET /admin/audit/verify runs in a reader process of its own, apart from the queries. Before, one
 * process answered every admin read in turn, so a query asked while a verify walked a large audit
 * waited for the whole verify (seconds here, minutes on a production audit). A real SQLite file
 * made large enough that its verify takes seconds (150,000 chained rows), a real fastify listener:
 * queries asked every 50 ms while the verify runs are each answered in a fraction of its time; a
 * second verify asked meanwhile gets 429 with a body saying one runs at a time, and one asked after
 * it is answered. admin.verifyTimeoutMs still stops a verify (503, counted in readTimeouts for the
 * metrics), and the queries asked meanwhile are answered.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenHash, registerAdminRoutes, type AdminRoutes } from '../src/admin/index.js';
import { formatMetrics } from '../src/admin/metrics.js';
import { openAuditStore, type AuditStore } from '../src/audit/index.js';
import { adminSchema } from '../src/config/admin.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';
import { keptLogger } from './helpers/kept-logger.js';
import { sleep, until } from './helpers/wait.js';

const TOKEN = 'adm-verify-apart-3b9a';
const ROWS = 150_000;
const CHAIN_KEY = 'verify-apart-chain-key-0123456789';

describe('admin audit verify apart from the queries', { timeout: 300_000 }, () => {
  const tmp = tempDir();
  const { logger } = keptLogger();
  let store: AuditStore;
  const apps: FastifyInstance[] = [];
  /** Verify requests that reached the routes (counted in preHandler, before the handler asks the reader). */
  let verifiesIn = 0;

  beforeAll(async () => {
    store = openAuditStore(auditConfig(`${tmp.dir}/audit.db`, { chainKey: CHAIN_KEY }));
    for (let i = 0; i < ROWS; i++) {
      store.record(sampleRecord({ time: Date.UTC(2026, 0, 1) + i, clientId: i % 3 ? 'bob' : 'alice', arguments: { vm: `vm-${i}` } }));
      if (i % 5000 === 4999) await store.flush();
    }
    await store.flush();
  }, 300_000);
  afterAll(async () => {
    for (const app of apps) await app.close();
    await store?.close();
    tmp.cleanup();
  });

  async function serveAdmin(limits: { queryTimeoutMs?: number; verifyTimeoutMs?: number } = {}): Promise<{ base: string; routes: AdminRoutes }> {
    const app = Fastify();
    app.addHook('preHandler', async (request) => {
      if (request.url.startsWith('/admin/audit/verify')) verifiesIn++;
    });
    const admin = adminSchema.parse({ tokenHashes: [adminTokenHash(TOKEN)], ...limits });
    const routes = registerAdminRoutes(app, { store, config: { admin, audit: auditConfig(store.path, { chainKey: CHAIN_KEY }) } as never, logger })!;
    apps.push(app);
    return { base: await app.listen({ port: 0, host: '127.0.0.1' }), routes };
  }

  const get = async (base: string, path: string) => {
    const started = Date.now();
    const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as Record<string, unknown>, started, ms: Date.now() - started };
  };

  /** Queries asked one after another, 50 ms apart, until `done()`: each one's latency. */
  async function queriesUntil(base: string, done: () => boolean): Promise<Array<{ status: number; ms: number }>> {
    const answers: Array<{ status: number; ms: number }> = [];
    for (let i = 0; !done(); i++) {
      const r = await get(base, `/admin/audit?client=alice&limit=5&order=${i % 2 ? 'asc' : 'desc'}`);
      answers.push({ status: r.status, ms: r.ms });
      await sleep(50);
    }
    return answers;
  }

  it('queries asked while a verify runs are answered promptly; a second verify meanwhile gets 429; one after it is answered', async () => {
    const { base, routes } = await serveAdmin();
    // The query process is up (from TypeScript sources it loads through tsx).
    expect((await get(base, '/admin/audit?limit=1')).status).toBe(200);

    const before = verifiesIn;
    let verifyDone = false;
    const verify = get(base, '/admin/audit/verify').finally(() => (verifyDone = true));
    await until(() => verifiesIn > before, 'the verify to reach its route');
    await sleep(20);
    const [second, queries] = await Promise.all([get(base, '/admin/audit/verify'), queriesUntil(base, () => verifyDone)]);
    const v = await verify;

    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true, rows: ROWS });
    // The verify is slow for real (else this test would show nothing).
    expect(v.ms).toBeGreaterThan(1000);

    // Several queries were answered while the verify ran, each in a fraction of its time (before:
    // the first one waited for the whole verify).
    expect(queries.length).toBeGreaterThanOrEqual(3);
    expect(queries.every((q) => q.status === 200)).toBe(true);
    expect(Math.max(...queries.map((q) => q.ms))).toBeLessThan(v.ms / 3);

    expect(second.status).toBe(429);
    expect(second.retryAfter).toBe('30');
    expect(second.body).toEqual({ error: 'an audit verify is already running (one runs at a time): retry once it is done', retryAfterSeconds: 30 });
    // Counted, and shown in the metrics.
    expect(routes.verifiesRefused()).toBe(1);
    expect(formatMetrics({ sessions: [], backends: [], decisions: [], adminVerifiesRefused: routes.verifiesRefused() })).toContain('\nmcp_warden_admin_verifies_refused_total 1\n');

    // The verify process is free again: the next verify is answered.
    const again = await get(base, '/admin/audit/verify');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ok: true, rows: ROWS });
  });

  it('admin.verifyTimeoutMs still stops a verify (503, counted), and the queries asked meanwhile are answered', async () => {
    const { base, routes } = await serveAdmin({ verifyTimeoutMs: 1500 });
    expect((await get(base, '/admin/audit?limit=1')).status).toBe(200);
    let verifyDone = false;
    const verify = get(base, '/admin/audit/verify').finally(() => (verifyDone = true));
    const queries = await queriesUntil(base, () => verifyDone);
    const v = await verify;
    expect(v.status).toBe(503);
    expect(v.body).toMatchObject({ limitMs: 1500, setting: 'admin.verifyTimeoutMs' });
    // Stopped while running, or (its process still starting under load) never started.
    expect(v.body.error).toMatch(/^audit verify (took longer than 1500 ms and was stopped|not started within 1500 ms)/);
    expect(v.ms).toBeLessThan(1500 + 2000);
    const counted = routes.readTimeouts();
    expect(counted.running + counted.queued).toBe(1);
    expect(queries.every((q) => q.status === 200)).toBe(true);
    expect(Math.max(...queries.map((q) => q.ms))).toBeLessThan(1000);
  });
});
