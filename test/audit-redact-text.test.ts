/**
 * MCP tools answer structured data as text (`content[].text` holding JSON), and a header dump or
 * a YAML file names its secrets as `Name: value`: the key-based redaction saw none of them, so a
 * secret a backend echoed in text reached the audit database. Real `wrap`, real backends (ours, and
 * server-everything echoing what a client's user typed into an elicitation form), the real SQLite
 * file with its -wal and journal directory searched.
 */
import { join } from 'node:path';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseBytes, runCli, tempDir } from './helpers/audit.js';
import { connectCli, EVERYTHING, TEST_BACKEND, testClient } from './helpers/proxy.js';

interface Row {
  method: string;
  tool: string | null;
  arguments: unknown;
  result: unknown;
}

async function rows(db: string): Promise<Row[]> {
  const r = await runCli(['audit', 'query', '--db', db, '--json', '--asc', '--limit', '1000']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

describe('audit redaction of secrets named inside text', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('masks JSON members and `Name: value` lines written in strings (echoed by the backend)', async () => {
    const secrets = ['SEKRIT-json-1a2b', 'SEKRIT-hdr-3c4d', 'SEKRIT-yaml-5e6f', 'SEKRIT-kv-7a8b'];
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    const conn = await connectCli(['wrap', '--policy', 'allow-all', '--audit', db, '--', process.execPath, TEST_BACKEND]);
    const text = [
      JSON.stringify({ user: 'al', api_key: secrets[0], n: 1 }),
      `GET / HTTP/1.1\r\nHost: h.example\r\nAuthorization: Bearer ${secrets[1]}\r\n`,
      `db:\n  user: app\n  password: ${secrets[2]}\n`,
      `login user=admin password=${secrets[3]}`,
    ].join('\n');
    const answer = await conn.client.callTool({ name: 'echo', arguments: { text } });
    expect(JSON.stringify(answer)).toContain(secrets[0]); // the client's answer is not changed
    await conn.close();
    await expect.poll(async () => (await rows(db)).some((r) => r.method === 'tools/call'), { timeout: 30_000 }).toBe(true);
    const call = (await rows(db)).find((r) => r.method === 'tools/call')!;
    const stored = (call.arguments as { text: string }).text;
    expect(stored).toContain('{"user":"al","api_key":"[REDACTED]","n":1}');
    expect(stored).toContain('Host: h.example\r\nAuthorization: [REDACTED]\r\n');
    expect(stored).toContain('  user: app\n  password: [REDACTED]\n');
    expect(stored).toContain('user=admin password=[REDACTED]');
    const bytes = databaseBytes(db);
    for (const s of secrets) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
    expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
  });

  it("masks what a user typed into an elicitation form, in the client's answer and in the tool's result", async () => {
    const secret = 'SEKRIT-elicit-9d0e';
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    const client = testClient();
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Al', check: true, email: 'al@example.com', password: secret } }));
    const conn = await connectCli(['wrap', '--policy', 'allow-all', '--audit', db, '--', process.execPath, EVERYTHING, 'stdio'], client);
    const result = await conn.client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(JSON.stringify(result)).toContain(secret); // server-everything echoes the raw answer as text
    await conn.close();
    await expect.poll(async () => (await rows(db)).some((r) => r.tool === 'trigger-elicitation-request'), { timeout: 30_000 }).toBe(true);
    const all = await rows(db);
    expect(all.find((r) => r.method === 'elicitation/create')?.result).toMatchObject({ content: { password: '[REDACTED]' } });
    expect(JSON.stringify(all.find((r) => r.tool === 'trigger-elicitation-request')!.result)).toContain('\\"password\\": \\"[REDACTED]\\"');
    expect(databaseBytes(db).includes(Buffer.from(secret))).toBe(false);
  });
});
