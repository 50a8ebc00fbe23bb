/**
 * GET /admin/audit/verify on a database chained otherwise than audit.chainKey says (the file
 * replaced by one rewritten as a plain SHA-256 chain, which anyone can recompute: a downgrade) was
 * a 500 "internal error", which a monitor reads as "admin API down", not as "the audit failed its
 * check". It is now 409 with the reason (the CLI's exit 3). Real SQLite file, real listener.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenHash, registerAdminRoutes } from '../src/admin/index.js';
import { openAuditStore } from '../src/audit/index.js';
import { adminSchema } from '../src/config/admin.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';

const TOKEN = 'adm-chain-key-7d1f0c';
const KEY = 'the-chain-key-of-this-proxy-0001';

describe('admin verify on a database chained with another key', () => {
  const tmp = tempDir();
  const path = `${tmp.dir}/audit.db`;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    const store = openAuditStore(auditConfig(path));
    for (let i = 0; i < 3; i++) store.record(sampleRecord({ requestId: i }));
    await store.flush();
    await store.close();
    app = Fastify();
    const admin = adminSchema.parse({ tokenHashes: [adminTokenHash(TOKEN)] });
    registerAdminRoutes(app, { store: { path } as never, config: { admin, audit: auditConfig(path, { chainKey: KEY }) } as never, logger: pino({ level: 'silent' }) });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    tmp.cleanup();
  });

  it('answers 409 naming the mismatch, not 500', async () => {
    const r = await fetch(`${base}/admin/audit/verify`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: string }).error).toContain('this audit database is chained with plain SHA-256 (no key), not HMAC-SHA256');
  });
});
