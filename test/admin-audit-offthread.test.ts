/**
 * The admin API's heavy reads (GET /admin/audit/verify walks and re-hashes the whole chain,
 * /admin/audit/stats groups the whole table, a `text` search scans every row's arguments) run off
 * the proxy's event loop. On it, one verify of a 100,000-row audit (~3 s here, scaling with the
 * rows) froze every MCP session of the process for that long: no call forwarded, no answer sent, no
 * keep-alive written. A real SQLite file and a real fastify listener; a /ping route on the same app
 * stands for the MCP traffic: it must be answered while verify and stats are still running.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenHash, registerAdminRoutes } from '../src/admin/index.js';
import { openAuditStore, type AuditStore } from '../src/audit/index.js';
import { adminSchema } from '../src/config/admin.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';

const ADMIN_TOKEN = 'adm-offthread-5c1e';
const ROWS = 60_000;
const CHAIN_KEY = 'offthread-chain-key-0123456789';

describe('admin audit reads off the event loop', () => {
  const tmp = tempDir();
  let store: AuditStore;
  let app: FastifyInstance;
  let base: string;
  /** Set by a test: called from the server's onRequest hook once an admin audit request is in. */
  let onAdminRequest: (() => void) | undefined;

  beforeAll(async () => {
    store = openAuditStore(auditConfig(`${tmp.dir}/audit.db`, { chainKey: CHAIN_KEY }));
    for (let i = 0; i < ROWS; i++) {
      store.record(sampleRecord({ time: Date.UTC(2026, 0, 1) + i, clientId: i % 3 ? 'bob' : 'alice', arguments: { vm: `vm-${i}` } }));
      if (i % 5000 === 4999) await store.flush();
    }
    await store.flush();
    app = Fastify();
    // The ping must leave once the slow request is in the server, not after a guessed delay: a fast
    // host counts 60,000 rows in well under 100 ms, and a timer would race the work it measures.
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith('/admin/audit/') && onAdminRequest) {
        const fire = onAdminRequest;
        onAdminRequest = undefined;
        fire();
      }
    });
    const admin = adminSchema.parse({ tokenHashes: [adminTokenHash(ADMIN_TOKEN)] });
    registerAdminRoutes(app, { store, config: { admin, audit: auditConfig(store.path, { chainKey: CHAIN_KEY }) } as never, logger: pino({ level: 'silent' }) });
    app.get('/ping', async () => ({ pong: true }));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
    tmp.cleanup();
  });

  const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

  /**
   * Starts `path`; the moment the server has it (its onRequest hook), a ping leaves. Work done on
   * the event loop holds the ping's answer until it ends; work off it lets the ping through within
   * a loopback round trip, long before 60,000 rows are hashed or grouped.
   */
  async function raceWithPing(path: string): Promise<{ order: string[]; body: unknown; status: number }> {
    const order: string[] = [];
    let ping: Promise<void> | undefined;
    const pinged = new Promise<void>((resolve) => {
      onAdminRequest = () => {
        ping = fetch(`${base}/ping`).then(async (r) => {
          order.push('ping');
          expect(await r.json()).toEqual({ pong: true });
        });
        resolve();
      };
    });
    const slow = get(path).then(async (r) => {
      order.push('slow');
      return { status: r.status, body: await r.json() };
    });
    await pinged;
    const [answer] = await Promise.all([slow, ping]);
    return { order, ...answer };
  }

  it('GET /admin/audit/verify: the chain is checked (HMAC keyed) while other requests are answered', async () => {
    const { order, status, body } = await raceWithPing('/admin/audit/verify');
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, rows: ROWS, headSeq: ROWS });
    expect(order).toEqual(['ping', 'slow']);
  }, 120_000);

  it('GET /admin/audit/stats: counted while other requests are answered', async () => {
    const { order, status, body } = await raceWithPing('/admin/audit/stats');
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: ROWS });
    expect((body as { byClient: Array<{ key: string; count: number }> }).byClient).toEqual([
      { key: 'bob', count: ROWS - ROWS / 3 },
      { key: 'alice', count: ROWS / 3 },
    ]);
    expect(order).toEqual(['ping', 'slow']);
  }, 120_000);

  it('queries, bad input and a tampered row answer as before', async () => {
    const page = (await (await get('/admin/audit?client=alice&limit=2&text=vm-5999')).json()) as { rows: Array<{ seq: number; clientId: string }> };
    expect(page.rows.map((r) => r.clientId)).toEqual(['alice', 'alice']);
    const bad = await get('/admin/audit?decision=maybe');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: expect.stringContaining('unknown decision "maybe"') });
    expect((await get('/admin/audit?limit=abc')).status).toBe(400);
    // Change one row behind the proxy's back: verify names it.
    const db = new Database(store.path);
    db.prepare('UPDATE audit_log SET client_id = ? WHERE seq = ?').run('mallory', 1234);
    db.close();
    const verify = (await (await get('/admin/audit/verify')).json()) as { ok: boolean; problem?: { kind: string; seq: number } };
    expect(verify).toMatchObject({ ok: false, problem: { kind: 'changed', seq: 1234 } });
  }, 120_000);
});
