/**
 * A secret under the key `value` of a name/value pair (a container's environment variable
 * `{"name": "DB_PASSWORD", "value": ...}`, a header list `{"key": "Authorization", ...}`, the
 * argument of `completion/complete` for a prompt argument named `password`): the key-based
 * redaction saw only the key `value` and stored the secret. Real `wrap`, real backend, the real
 * SQLite file with its -wal and journal directory searched.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseBytes, runCli, tempDir } from './helpers/audit.js';
import { connectCli, TEST_BACKEND } from './helpers/proxy.js';

const SECRETS = ['SEKRIT-env-31ab', 'SEKRIT-hdr-82cd', 'SEKRIT-complete-47ef'];

describe('audit redaction of name/value pairs', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  for (const policy of ['default', 'allow-all']) {
    it(`masks the value of a pair whose name is sensitive (${policy} policy)`, async () => {
      const tmp = tempDir();
      cleanups.push(tmp.cleanup);
      const db = join(tmp.dir, 'audit.db');
      const conn = await connectCli(['wrap', ...(policy === 'allow-all' ? ['--policy', 'allow-all'] : []), '--audit', db, '--', process.execPath, TEST_BACKEND]);
      const env = [
        { name: 'DB_PASSWORD', value: SECRETS[0] },
        { name: 'HOME', value: '/root' },
      ];
      await conn.client.callTool({ name: 'echo', arguments: { text: 'x', env, headers: [{ key: 'Authorization', value: `Bearer ${SECRETS[1]}` }] } });
      await conn.client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'password', value: SECRETS[2] } });
      await conn.close();
      const query = async () => JSON.parse((await runCli(['audit', 'query', '--db', db, '--json', '--asc'])).stdout) as Array<{ method: string; arguments: unknown }>;
      await expect.poll(async () => (await query()).some((r) => r.method === 'completion/complete'), { timeout: 30_000 }).toBe(true);
      const rows = await query();
      expect(rows.find((r) => r.method === 'tools/call')!.arguments).toEqual({
        text: 'x',
        env: [
          { name: 'DB_PASSWORD', value: '[REDACTED]' },
          { name: 'HOME', value: '/root' },
        ],
        headers: [{ key: 'Authorization', value: '[REDACTED]' }],
      });
      expect(rows.find((r) => r.method === 'completion/complete')!.arguments).toEqual({ name: 'password', value: '[REDACTED]' });
      const bytes = databaseBytes(db);
      for (const s of SECRETS) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
      expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
    });
  }
});
