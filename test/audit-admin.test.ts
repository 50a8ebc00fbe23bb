/** GET /admin/audit on a real fastify listener: admin-token auth (401 without), filters, cursor paging, bad input, a 500 logged. */
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenHash, registerAdminRoutes } from '../src/admin/index.js';
import { openAuditStore, type AuditStore } from '../src/audit/index.js';
import { registerMetricsRoute } from '../src/admin/metrics.js';
import { adminSchema } from '../src/config/admin.js';
import { REDACTED_PATHS, type Logger } from '../src/log/logger.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';

const ADMIN_TOKEN = 'adm-4f9c2b7e1d';
const silent = pino({ level: 'silent' });

/** A pino logger as createLogger makes it (same redaction), writing its lines where the test reads them. */
function capturedLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>>; text: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
  return { logger, text: () => text, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('admin audit API', () => {
  const tmp = tempDir();
  let store: AuditStore;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    store = openAuditStore(auditConfig(`${tmp.dir}/audit.db`));
    for (let i = 0; i < 25; i++) {
      store.record(
        sampleRecord({
          time: Date.UTC(2026, 0, 1) + i * 1000,
          clientId: i % 2 ? 'bob' : 'alice',
          tool: i % 5 === 0 ? 'delete_vm' : 'list_vms',
          decision: i % 5 === 0 ? 'deny' : 'allow',
          arguments: { vm: `vm-${i}` },
        }),
      );
    }
    await store.flush();
    app = Fastify();
    registerAdminRoutes(app, { store, config: { admin: adminSchema.parse({ tokenHashes: [adminTokenHash(ADMIN_TOKEN)] }) }, logger: silent });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    tmp.cleanup();
  });

  const get = (path: string, token: string | null = ADMIN_TOKEN) =>
    fetch(`${base}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  it('refuses requests without a valid admin token', async () => {
    const none = await get('/admin/audit', null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="mcp-warden-admin"');
    expect(await none.json()).toEqual({ error: 'admin token required' });
    expect((await get('/admin/audit', 'not-the-token')).status).toBe(401);
    expect((await get('/admin/audit/stats', 'not-the-token')).status).toBe(401);
    const basic = await fetch(`${base}/admin/audit`, { headers: { authorization: `Basic ${Buffer.from(`x:${ADMIN_TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
  });

  it('filters and paginates with a cursor', async () => {
    const denied = await get('/admin/audit?decision=deny&tool=delete_vm');
    expect(denied.status).toBe(200);
    const body = (await denied.json()) as { rows: Array<{ seq: number; clientId: string; decision: string }>; nextCursor?: number };
    expect(body.rows.map((r) => [r.seq, r.clientId, r.decision])).toEqual([
      [21, 'alice', 'deny'],
      [16, 'bob', 'deny'],
      [11, 'alice', 'deny'],
      [6, 'bob', 'deny'],
      [1, 'alice', 'deny'],
    ]);
    expect(body.nextCursor).toBeUndefined();
    const bob = (await (await get('/admin/audit?client=bob&text=vm-1')).json()) as { rows: Array<{ seq: number }> };
    expect(bob.rows.map((r) => r.seq)).toEqual([20, 18, 16, 14, 12, 2]);
    const since = new Date(Date.UTC(2026, 0, 1) + 20_000).toISOString();
    const recent = (await (await get(`/admin/audit?since=${encodeURIComponent(since)}&order=asc`)).json()) as { rows: Array<{ seq: number }> };
    expect(recent.rows.map((r) => r.seq)).toEqual([21, 22, 23, 24, 25]);
    const seen: number[] = [];
    let cursor: number | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = (await (await get(`/admin/audit?limit=10${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { rows: Array<{ seq: number }>; nextCursor?: number };
      seen.push(...page.rows.map((r) => r.seq));
      cursor = page.nextCursor;
      if (cursor === undefined) break;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
  });

  it('serves stats and verify', async () => {
    const stats = (await (await get('/admin/audit/stats?client=alice')).json()) as { total: number; byDecision: unknown };
    expect(stats.total).toBe(13);
    expect(stats.byDecision).toEqual([
      { key: 'allow', count: 10 },
      { key: 'deny', count: 3 },
    ]);
    const verified = (await (await get('/admin/audit/verify')).json()) as { ok: boolean; rows: number; headSeq: number; headHash: string };
    expect(verified).toMatchObject({ ok: true, rows: 25, headSeq: 25 });
    // A head kept elsewhere: held by the chain, or not (another hash at that row, or beyond its end).
    expect(await (await get(`/admin/audit/verify?expect=25:${verified.headHash}`)).json()).toMatchObject({ ok: true });
    expect(await (await get(`/admin/audit/verify?expect=25:${'0'.repeat(64)}`)).json()).toMatchObject({ ok: false, problem: { kind: 'replaced', seq: 25 } });
    expect(await (await get(`/admin/audit/verify?expect=30:${verified.headHash}`)).json()).toMatchObject({ ok: false, problem: { kind: 'deleted', seq: 26 } });
  });

  it('stats lists are cut to their `top` largest groups (1,000 unless asked), and the answer says which were cut', async () => {
    const all = (await (await get('/admin/audit/stats')).json()) as Record<string, unknown>;
    expect(all.truncated).toBeUndefined();
    expect(all.byTool).toEqual([
      { key: 'list_vms', count: 20 },
      { key: 'delete_vm', count: 5 },
    ]);
    const top1 = (await (await get('/admin/audit/stats?top=1')).json()) as Record<string, unknown>;
    expect(top1.total).toBe(25);
    expect(top1.byTool).toEqual([{ key: 'list_vms', count: 20 }]);
    expect(top1.byClient).toEqual([{ key: 'alice', count: 13 }]);
    expect(top1.byClientToolDecision).toEqual([{ client: 'alice', tool: 'list_vms', decision: 'allow', count: 10 }]);
    // Every list had more than one group but byRole (the sample's clients all have the same roles).
    expect(top1.truncated).toEqual(['byClient', 'byTool', 'byDecision', 'byClientToolDecision']);
    expect(((await (await get('/admin/audit/stats?top=2')).json()) as Record<string, unknown>).truncated).toEqual(['byClientToolDecision']);
  });

  it('answers 400 with the reason for bad parameters', async () => {
    const cases: Array<[string, string]> = [
      ['/admin/audit?decision=maybe', 'unknown decision "maybe" (expected one of allow, deny, shadow-deny, error)'],
      ['/admin/audit?limit=0', 'limit: expected a positive integer, got "0"'],
      ['/admin/audit?limit=5000', 'limit: at most 1000'],
      ['/admin/audit?since=soonish', 'since: cannot read "soonish" as a time'],
      ['/admin/audit?order=sideways', 'order: expected asc or desc, got "sideways"'],
      ['/admin/audit?client=a&client=b', 'client: give it once'],
      // A misspelt filter used to be ignored: every row came back as if it had matched.
      ['/admin/audit?clinet=alice', 'unknown parameter "clinet" (expected: client, role, tool, backend, decision, method, outcome, text, since, until, limit, cursor, order)'],
      ['/admin/audit/stats?limit=5&foo=1', 'unknown parameters "limit", "foo" (expected: client, role, tool, backend, decision, method, outcome, text, since, until, top)'],
      ['/admin/audit/stats?top=0', 'top: expected a positive integer, got "0"'],
      ['/admin/audit/stats?top=100001', 'top: at most 100000, got 100001'],
      // verify took any parameter and ignored it: `expect` misspelt, or malformed, answered ok.
      ['/admin/audit/verify?expected=25:abc', 'unknown parameter "expected" (expected: expect)'],
      ['/admin/audit/verify?expect=25', 'expect: expected SEQ:HASH'],
    ];
    for (const [path, message] of cases) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(((await r.json()) as { error: string }).error).toContain(message);
    }
  });

  it('refuses everything when no admin token is configured, and rejects malformed hashes at startup', async () => {
    const bare = Fastify();
    registerAdminRoutes(bare, { store, config: adminSchema.parse({}), logger: silent });
    const r = await bare.inject({ method: 'GET', url: '/admin/audit', headers: { authorization: 'Bearer anything' } });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toEqual({ error: 'admin API has no credentials configured (admin.tokenHashes)' });
    await bare.close();
    // The config schema refuses a malformed hash, and so does the plugin when given one in code.
    expect(adminSchema.safeParse({ tokenHashes: ['md5:abc'] }).error?.issues[0]?.message).toBe(
      'expected "sha256:" followed by 64 hex digits (sha256 of the admin token)',
    );
    expect(() => registerAdminRoutes(Fastify(), { store, config: { ...adminSchema.parse({}), tokenHashes: ['md5:abc'] }, logger: silent })).toThrow(
      'admin.tokenHashes[0]: expected "sha256:" followed by 64 hex digits',
    );
  });

  it('logs a 500 at error level with its route and error, answers it without detail, and logs no credential', async () => {
    // A real fault: the audit "database" is a file SQLite cannot read. Before, the 500 went out with
    // SQLite's message as its body and nothing was logged (fastify's own logger is off).
    const broken = `${tmp.dir}/not-a-database.db`;
    writeFileSync(broken, 'this is not an SQLite database, it is a text file long enough for SQLite to read a header from\n'.repeat(4));
    const log = capturedLogger();
    const failing = Fastify();
    const admin = adminSchema.parse({ tokenHashes: [adminTokenHash(ADMIN_TOKEN)] });
    registerAdminRoutes(failing, { store: { path: broken } as AuditStore, config: { admin }, logger: log.logger });
    registerMetricsRoute(failing, admin, () => {
      throw new Error('snapshot failed: proxy closed');
    }, log.logger);
    const url = await failing.listen({ port: 0, host: '127.0.0.1' });
    try {
      const r = await fetch(`${url}/admin/audit/stats?client=alice`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, cookie: 'sid=cookie-secret-77' } });
      expect(r.status).toBe(500);
      const body = (await r.json()) as { error: string; requestId: string };
      expect(body.error).toBe('internal error (logged on the server)');
      expect(JSON.stringify(body)).not.toContain('database');
      const m = await fetch(`${url}/admin/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(m.status).toBe(500);
      const metricsBody = (await m.json()) as { requestId: string };
      const errors = log.lines().filter((l) => l.level === 50);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatchObject({ msg: 'admin: request failed', component: 'admin', requestId: body.requestId, method: 'GET', route: '/admin/audit/stats' });
      expect((errors[0]!.err as { message: string }).message).toBe('file is not a database');
      expect((errors[0]!.err as { stack: string }).stack).toContain('Error');
      expect(errors[1]).toMatchObject({ route: '/admin/metrics', requestId: metricsBody.requestId, err: { message: 'snapshot failed: proxy closed' } });
      // Neither the admin token, nor its hash, nor a cookie, nor the query string reaches the log.
      for (const secret of [ADMIN_TOKEN, adminTokenHash(ADMIN_TOKEN).slice(7), 'cookie-secret-77', 'client=alice', 'authorization']) expect(log.text()).not.toContain(secret);
      // A 4xx stays as it was (not logged as a fault).
      expect((await fetch(`${url}/admin/audit?limit=0`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(400);
      expect(log.lines().filter((l) => l.level === 50)).toHaveLength(2);
    } finally {
      await failing.close();
    }
  });
});
