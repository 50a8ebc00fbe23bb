/**
 * A policy's redact pattern masks what it matches everywhere the audit stores text the client or
 * the backend wrote: the arguments, the result, the error message, the deny reasons, and the
 * resource URI of a resources/read. The URI was the one left out: a pattern that keeps container
 * addresses from the model masked them in the result (`contents[].uri`, the text) and left them in
 * the row's `resource` column. Real `wrap` with a Rego policy over a real backend, the real SQLite
 * file searched.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseBytes, runCli, tempDir } from './helpers/audit.js';
import { connectCli, TEST_BACKEND } from './helpers/proxy.js';

const POLICY = `package mcp.authz

import rego.v1

allow := true

# Container addresses are not for the model, nor for the audit.
redact contains {"pattern": "10\\\\.0\\\\.3\\\\.[0-9]+", "replacement": "[address]"}
`;

describe('audit of a resource URI under a policy redact pattern', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('masks the pattern in the resource column as in the result', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'audit.db');
    const policy = join(tmp.dir, 'redact.rego');
    writeFileSync(policy, POLICY);
    const conn = await connectCli(['wrap', '--policy', policy, '--audit', db, '--', process.execPath, TEST_BACKEND]);
    const read = await conn.client.readResource({ uri: 'test://shared/hosts/10.0.3.77' });
    expect(read.contents[0]!.uri).toBe('test://shared/hosts/[address]'); // the client's copy is masked
    await conn.close();
    const rows = async () => JSON.parse((await runCli(['audit', 'query', '--db', db, '--json', '--method', 'resources/read'])).stdout) as Array<{ resource: string; result: unknown }>;
    await expect.poll(async () => (await rows()).length, { timeout: 30_000 }).toBe(1);
    const [row] = await rows();
    expect(row!.resource).toBe('test://shared/hosts/[address]');
    expect(JSON.stringify(row!.result)).toContain('test://shared/hosts/[address]');
    expect(databaseBytes(db).includes(Buffer.from('10.0.3.77'))).toBe(false);
  });
});
