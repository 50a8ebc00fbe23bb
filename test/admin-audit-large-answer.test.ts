/**
 * A large admin audit answer is not rebuilt on the proxy's thread. The reads run in a process of
 * their own (reader-process.ts), but their answers came back as objects: decoding a page of 1,000
 * rows of large payloads from the channel and serializing it again for the HTTP answer took the
 * proxy's thread ~1 s of CPU on a 2-core machine, in one piece (the event loop stalled 1.2-1.4 s;
 * a stats of a million distinct tool names ~4 s), every MCP session of the process waiting; what
 * the rows hold is any MCP client's to choose. The reader now answers the JSON text, which the
 * proxy sends as it is (stalls of ~0.5 s remain here, part of it the 30 MB write). A real SQLite file, a
 * real reader process, a real fastify listener, the HTTP client in a process of its own. What is
 * checked is that the text passes through untouched (a CPU-time bound would be a timed test).
 */
import { execFile } from 'node:child_process';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenHash, registerAdminRoutes } from '../src/admin/index.js';
import { AuditReaderProcess } from '../src/admin/reader-process.js';
import { openAuditStore, type AuditStore } from '../src/audit/index.js';
import { adminSchema } from '../src/config/admin.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';

const ADMIN_TOKEN = 'adm-large-answer-7d2a';
const ROWS = 1000;

/** ~15 KB of JSON in 300 small objects: under the default payload cap (16 KiB), stored whole. */
const payload = (i: number) => ({ items: Array.from({ length: 300 }, (_, k) => ({ k, row: i, v: 'abcdefghijklmnopqrst' })) });

/** GETs `url` from another process; resolves with the body's length. */
function fetchElsewhere(url: string): Promise<number> {
  const script = `fetch(process.argv[1], { headers: { authorization: 'Bearer ${ADMIN_TOKEN}' } }).then(async (r) => { if (r.status !== 200) throw new Error(String(r.status)); process.stdout.write(String((await r.arrayBuffer()).byteLength)); })`;
  return new Promise((resolve, reject) => execFile(process.execPath, ['-e', script, url], { maxBuffer: 1024 }, (err, stdout) => (err ? reject(err) : resolve(Number(stdout)))));
}

describe('admin audit answers of many large rows', () => {
  const tmp = tempDir();
  let store: AuditStore;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    store = openAuditStore(auditConfig(`${tmp.dir}/audit.db`));
    for (let i = 0; i < ROWS; i++) store.record(sampleRecord({ requestId: i, arguments: payload(i), result: payload(-i) }));
    await store.flush();
    app = Fastify();
    const admin = adminSchema.parse({ tokenHashes: [adminTokenHash(ADMIN_TOKEN)] });
    registerAdminRoutes(app, { store, config: admin, logger: pino({ level: 'silent' }) });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    // The reader process is up and its connection open before anything is measured.
    await fetchElsewhere(`${base}/admin/audit?limit=1`);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
    tmp.cleanup();
  });

  it('the reader process answers JSON text, which GET /admin/audit?limit=1000 sends as it is: the page is never decoded and serialized again on the proxy thread', async () => {
    // The reader alone: what it resolves with is a string (before, the page's objects, decoded from
    // the channel on this thread, for fastify to serialize again: ~1 s of CPU here for 30 MB).
    const reader = new AuditReaderProcess({ path: store.path });
    try {
      const text = await reader.query({ limit: ROWS });
      expect(typeof text).toBe('string');
      const page = JSON.parse(text) as { rows: Array<{ requestId: number; arguments: unknown }> };
      expect(page.rows).toHaveLength(ROWS);
      expect(page.rows[0]!.arguments).toEqual(payload(page.rows[0]!.requestId));
      // The route sends that text byte for byte.
      const bytes = await fetchElsewhere(`${base}/admin/audit?limit=${ROWS}`);
      expect(bytes).toBe(Buffer.byteLength(text));
      expect(bytes).toBeGreaterThan(ROWS * 2 * 14_000);
    } finally {
      await reader.close();
    }
  }, 120_000);

  it('answers the same JSON as before: rows, filters and the next cursor', async () => {
    const r = await fetch(`${base}/admin/audit?limit=2&order=asc`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const page = (await r.json()) as { rows: Array<{ seq: number; requestId: number; arguments: unknown }>; nextCursor?: number };
    expect(page.rows.map((row) => [row.seq, row.requestId])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(page.rows[1]!.arguments).toEqual(payload(1));
    expect(page.nextCursor).toBe(2);
    const stats = (await (await fetch(`${base}/admin/audit/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { total: number };
    expect(stats.total).toBe(ROWS);
    const verify = (await (await fetch(`${base}/admin/audit/verify`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { ok: boolean; rows: number };
    expect(verify).toMatchObject({ ok: true, rows: ROWS });
  }, 120_000);
});
