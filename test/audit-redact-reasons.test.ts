/**
 * A policy's deny reasons may quote what the client sent: the orchestrator pack writes
 * `Resource '<uri>' is not an orchestrator:// resource: denied`, and a URI may carry a secret
 * (`?token=`, userinfo). Resource URIs, arguments and error messages were masked in the audit; the
 * reasons column was stored as the policy wrote it. Real `wrap` with the shipped orchestrator
 * pack, the real SQLite file with its -wal and journal directory searched.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseBytes, runCli, tempDir } from './helpers/audit.js';
import { connectCli, TEST_BACKEND } from './helpers/proxy.js';

const SECRETS = ['SEKRIT-reason-query-4e1a', 'SEKRIT-reason-user-8b2c'];

describe('audit redaction of deny reasons', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('masks secrets a reason quotes from the request', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    const conn = await connectCli(['wrap', '--policy', 'orchestrator', '--audit', db, '--', process.execPath, TEST_BACKEND]);
    const uri = `test://ops:${SECRETS[1]}@shared/x?token=${SECRETS[0]}`;
    await expect(conn.client.readResource({ uri })).rejects.toThrow(/not an orchestrator:\/\/ resource/);
    await conn.close();
    const query = async () => JSON.parse((await runCli(['audit', 'query', '--db', db, '--json', '--asc'])).stdout) as Array<{ method: string; reasons: string[] }>;
    await expect.poll(async () => (await query()).some((r) => r.method === 'resources/read'), { timeout: 30_000 }).toBe(true);
    const row = (await query()).find((r) => r.method === 'resources/read')!;
    expect(row.reasons).toContain("Resource 'test://ops:[REDACTED]@shared/x?token=[REDACTED]' is not an orchestrator:// resource: denied");
    const bytes = databaseBytes(db);
    for (const s of SECRETS) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
  });
});
