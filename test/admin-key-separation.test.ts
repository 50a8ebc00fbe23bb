/**
 * Admin tokens (admin.tokenHashes: the audit API, /admin/metrics) and MCP client keys are separate
 * credentials, but nothing held them apart: a token whose hash was also an API key's (an operator
 * reusing one secret, or pasting the admin hash into the keys file) let that key's MCP client read
 * every client's audit rows, and the admin token's holder act as that client on /mcp. Now such a
 * key is refused: inline or in the keys file at startup (exit 3, naming the key), and a keys file
 * that comes to hold one while serving is refused as an unreadable one is (its keys stop working,
 * fail closed) until it is fixed. Real `serve` processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminTokenHash } from '../src/admin/index.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { MCP_HEADERS, raw } from './helpers/http-fixture.js';
import { startServe, TEST_BACKEND, waitFor, type ServeProcess } from './helpers/proxy.js';

const ADMIN = 'admin-token-for-separation-tests-0123456789';
const OTHER = generateApiKey();
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'sep', version: '1' } } });

const yaml = (auth: string) => `
backends:
  - { name: test, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
auth:
${auth}
admin: { tokenHashes: ["${adminTokenHash(ADMIN)}"] }
policy: { paths: [allow-all], watch: false }
`;

/** Starts serve expecting it to refuse the config: its exit message. Fails (stopping it) if it serves. */
async function refusedStart(config: string): Promise<string> {
  const outcome = await startServe(config).then(
    (s) => s,
    (err: Error) => err,
  );
  if (!(outcome instanceof Error)) {
    await outcome.stop();
    throw new Error('serve started with an API key that is also an admin token');
  }
  return outcome.message;
}

describe('admin tokens are not MCP client keys', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-admin-sep-'));
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an inline API key with an admin token hash: serve exits 3 naming the key', async () => {
    const message = await refusedStart(yaml(`  apiKeys: [{ id: k_dup, hash: "${hashApiKey(ADMIN)}", client: ops }]`));
    expect(message).toMatch(/exited with 3/);
    expect(message).toContain('auth.apiKeys: API key k_dup (client ops) has the hash of an admin token (admin.tokenHashes)');
    expect(message).not.toContain(ADMIN);
  });

  it('a keys file entry with an admin token hash: serve exits 3 naming the file and the key', async () => {
    const file = join(dir, 'startup-keys.yaml');
    writeKeysFile(file, [{ id: 'k_file', hash: hashApiKey(ADMIN), client: 'robot', roles: [] }]);
    const message = await refusedStart(yaml(`  keysFile: ${JSON.stringify(file)}`));
    expect(message).toMatch(/exited with 3/);
    expect(message).toContain(`keys file ${file}: API key k_file (client robot) has the hash of an admin token`);
  });

  it('a keys file that comes to hold an admin token hash while serving is refused (fail closed); the admin token still opens the admin API only', async () => {
    const file = join(dir, 'live-keys.yaml');
    writeKeysFile(file, [{ id: 'k_other', hash: hashApiKey(OTHER), client: 'robot', roles: [] }]);
    serve = await startServe(yaml(`  keysFile: ${JSON.stringify(file)}`));
    const mcp = (key: string) => raw(serve!.url, { headers: { ...MCP_HEADERS, 'x-api-key': key }, body: INIT });
    const adminAudit = (token: string) => raw(serve!.url.replace(/\/mcp$/, '/admin/audit/stats'), { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect((await mcp(OTHER)).status).toBe(200);
    expect((await mcp(ADMIN)).status).toBe(401);

    writeKeysFile(file, [
      { id: 'k_other', hash: hashApiKey(OTHER), client: 'robot', roles: [] },
      { id: 'k_pasted', hash: hashApiKey(ADMIN), client: 'ops', roles: ['admin'] },
    ]);
    // The admin token is never an MCP credential, and the file's keys are refused until it is fixed.
    expect((await mcp(ADMIN)).status).toBe(401);
    expect((await mcp(OTHER)).status).toBe(401);
    await waitFor(() => serve!.stderr().includes('API key k_pasted (client ops) has the hash of an admin token'), 30_000, 'the refusal logged');
    expect((await adminAudit(ADMIN)).status).toBe(200);
    expect((await adminAudit(OTHER)).status).toBe(401);

    writeKeysFile(file, [{ id: 'k_other', hash: hashApiKey(OTHER), client: 'robot', roles: [] }]);
    expect((await mcp(OTHER)).status).toBe(200);
    expect(serve.stderr()).not.toContain(ADMIN);
  });
});
