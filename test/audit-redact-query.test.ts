/**
 * Secrets in query parameters (`?token=`, `&api_key=`, `Access-Token=`) are under no JSON key, so
 * the key-based redaction did not see them: a resource URI, a link the backend answered with, an
 * argument or an error message carried them into the audit database. Real `wrap` over a real
 * backend, the real SQLite file, its -wal and journal directory searched for the secrets.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, databaseBytes, runCli, sampleRecord, tempDir } from './helpers/audit.js';
import { connectCli, TEST_BACKEND } from './helpers/proxy.js';

const SECRETS = ['SEKRIT-uri-4c1d', 'SEKRIT-arg-77e0', 'SEKRIT-link-9a2b', 'SEKRIT-msg-5f3c', 'SEKRIT-pw-0d4e'];

interface Row {
  method: string;
  tool: string | null;
  resource: string | null;
  arguments: unknown;
  result: unknown;
  errorMessage: string | null;
}

async function rows(db: string): Promise<Row[]> {
  const r = await runCli(['audit', 'query', '--db', db, '--json', '--asc', '--limit', '1000']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

describe('audit redaction of query parameters', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  for (const policy of ['default', 'allow-all']) {
    it(`masks them in resource URIs, arguments and results through wrap (${policy} policy)`, async () => {
      const tmp = tempDir();
      cleanups.push(tmp.cleanup);
      const db = join(tmp.dir, 'audit.db');
      const conn = await connectCli(['wrap', ...(policy === 'allow-all' ? ['--policy', 'allow-all'] : []), '--audit', db, '--', process.execPath, TEST_BACKEND]);
      const uri = `test://shared?token=${SECRETS[0]}&page=2`;
      const read = await conn.client.readResource({ uri });
      expect(read.contents[0]!.uri).toBe(uri); // the client's answer is not changed
      await conn.client.callTool({ name: 'echo', arguments: { text: `see https://h.example/p?x=1&API_KEY=${SECRETS[1]}` } });
      await conn.client.callTool({ name: 'link', arguments: { uri: `https://h.example/f;Access-Token=${SECRETS[2]}#top` } });
      await conn.close();
      await expect.poll(async () => (await rows(db)).filter((r) => r.method === 'tools/call').length, { timeout: 30_000 }).toBe(2);

      const all = await rows(db);
      const readRow = all.find((r) => r.method === 'resources/read')!;
      expect(readRow.resource).toBe('test://shared?token=[REDACTED]&page=2');
      expect(JSON.stringify(readRow.result)).toContain('?token=[REDACTED]&page=2');
      const [echo, link] = all.filter((r) => r.method === 'tools/call');
      expect(echo!.arguments).toEqual({ text: 'see https://h.example/p?x=1&API_KEY=[REDACTED]' });
      expect(link!.arguments).toEqual({ uri: 'https://h.example/f;Access-Token=[REDACTED]#top' });
      // The default pack denies `link` (no readOnlyHint); allowed, its answer holds the link.
      if (policy === 'allow-all') expect(JSON.stringify(link!.result)).toContain(';Access-Token=[REDACTED]#top');
      const bytes = databaseBytes(db);
      for (const s of SECRETS) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
      expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
    });
  }

  it('masks them in a backend error message, and a `name=value` in free text', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    const store = openAuditStore(auditConfig(db));
    store.record(
      sampleRecord({
        outcome: 'rpc_error',
        errorCode: -32603,
        errorMessage: `fetch https://api.example/v1?token=${SECRETS[3]} failed; retry with password=${SECRETS[4]}`,
        result: undefined,
      }),
    );
    await store.flush();
    await store.close();
    const [row] = await rows(db);
    expect(row!.errorMessage).toBe('fetch https://api.example/v1?token=[REDACTED] failed; retry with password=[REDACTED]');
    const bytes = databaseBytes(db);
    for (const s of SECRETS) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
  });
});
