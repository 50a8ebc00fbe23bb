/**
 * A request the proxy holds before forwarding it (a tools/call waiting for its tool's definition,
 * fetched first because the policy reads it) that the client cancels meanwhile with
 * notifications/cancelled. The proxy looked for the request at the backends only, where it was not
 * yet: the client's HTTP exchange was released (202), but once the tool list came the call was
 * forwarded anyway and ran at the backend, cancelled, for nobody. Now it is dropped and audited
 * cancelled with the client's reason, as a held request given up by its transport already was.
 * Real `serve`, a backend whose tools/list waits for a file (test/servers/hold-backend.mjs).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyEntry } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { CLI, startServe, type ServeProcess } from './helpers/proxy.js';
import { HOLD_BACKEND, keyHeaders, openKeyedSession, postOnce, toolCallBody } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

const run = promisify(execFile);

describe('a held request the client cancels before it is forwarded', { timeout: 60_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  const key = generateApiKey();
  const entries: ApiKeyEntry[] = [{ id: 'k_alice', hash: hashApiKey(key), client: 'alice', roles: [] }];
  const listFile = () => join(dir, 'tools-list');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-held-cancelled-'));
    writeKeysFile(join(dir, 'keys.yaml'), entries);
    // A policy that reads the call (not allow-all alone): a tools/call waits for its tool's definition.
    writeFileSync(join(dir, 'p.rego'), 'package mcp.authz\n\nimport rego.v1\n\ndeny contains "no" if input.tool.name == "nothing"\n');
    serve = await startServe(`
backends:
  - { name: hold, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(HOLD_BACKEND)}], env: { HOLD_TOOLS_LIST_FILE: ${JSON.stringify(listFile())} } }
auth:
  keysFile: ${JSON.stringify(join(dir, 'keys.yaml'))}
policy: { paths: [allow-all, ${JSON.stringify(join(dir, 'p.rego'))}], watch: false }
audit: { path: audit.db }
`);
  });

  afterAll(async () => {
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is never forwarded, and is audited cancelled with the client\'s reason', async () => {
    const session = await openKeyedSession(serve.url, key);
    const held = postOnce(serve.url, toolCallBody(2, 'hold', { key: 'x' }), keyHeaders(key, session));
    await until(() => existsSync(`${listFile()}.asked`), 'the proxy to ask for the tool list');

    const cancel = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2, reason: 'the user changed their mind' } });
    expect((await postOnce(serve.url, cancel, keyHeaders(key, session))).status).toBe(202);
    expect((await held).status).toBe(202); // its exchange released: no answer is due

    writeFileSync(listFile(), '');
    // Before the fix the call went on to the backend once the list came: held ["x"].
    const heldNow = await postOnce(serve.url, toolCallBody(3, 'held'), keyHeaders(key, session));
    expect(JSON.parse(heldNow.body).result.content[0].text).toBe('[]');

    type Row = { requestId: unknown; outcome: string; errorMessage: string | null };
    const rows = async () => JSON.parse((await run(process.execPath, [CLI, 'audit', 'query', '--db', join(serve.dir, 'audit.db'), '--json', '--tool', 'hold'])).stdout) as Row[];
    await until(async () => (await rows()).length === 1, 'the call to be audited');
    expect((await rows())[0]).toMatchObject({ requestId: 2, outcome: 'cancelled', errorMessage: 'the user changed their mind' });
  });
});
