/**
 * A request the proxy holds before forwarding it (a tools/call waiting for its tool's definition,
 * fetched first because the policy reads it) that its client's transport gives up meanwhile: the
 * credential sweep ends its answer when its key is revoked (or the client closes the connection).
 * The proxy was told (onabandon) but only looked for the request at the backends, where it was not
 * yet: once the tool list came, the call was forwarded anyway, ran at the backend after its key was
 * revoked, for nobody, and was audited as a normal call. Now it is dropped and audited cancelled.
 * Real `serve`, a keys file revoked while it runs, a backend whose tools/list waits for a file.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyEntry } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { CLI, startServe, type ServeProcess } from './helpers/proxy.js';
import { until } from './helpers/wait.js';

const run = promisify(execFile);
const HOLD_BACKEND = resolve(import.meta.dirname, 'servers/hold-backend.mjs');
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
const call = (id: number, name: string, args: Record<string, unknown> = {}) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolvePost, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...HEADERS, ...headers }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolvePost({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a held request given up before it is forwarded', { timeout: 60_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  const keys = { old: generateApiKey(), other: generateApiKey() };
  const entries: ApiKeyEntry[] = [
    { id: 'k_old', hash: hashApiKey(keys.old), client: 'alice', roles: [] },
    { id: 'k_other', hash: hashApiKey(keys.other), client: 'alice', roles: [] },
  ];
  const keysFile = () => join(dir, 'keys.yaml');
  const listFile = () => join(dir, 'tools-list');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-held-abandoned-'));
    writeKeysFile(keysFile(), entries);
    // A policy that reads the call (not allow-all alone): a tools/call waits for its tool's definition.
    writeFileSync(join(dir, 'p.rego'), 'package mcp.authz\n\nimport rego.v1\n\ndeny contains "no" if input.tool.name == "nothing"\n');
    serve = await startServe(`
server: { sessionIdleMs: 4000 }
backends:
  - { name: hold, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(HOLD_BACKEND)}], env: { HOLD_TOOLS_LIST_FILE: ${JSON.stringify(listFile())} } }
auth:
  keysFile: ${JSON.stringify(keysFile())}
policy: { paths: [allow-all, ${JSON.stringify(join(dir, 'p.rego'))}], watch: false }
audit: { path: audit.db }
`);
  });

  afterAll(async () => {
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('its key revoked while it waits for the tool list: answered 401, never forwarded, audited cancelled', async () => {
    const withKey = (key: string, session?: string) => ({ 'x-api-key': key, ...(session === undefined ? {} : { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' }) });
    const init = await post(serve.url, INIT, withKey(keys.old));
    expect(init.status).toBe(200);
    const session = init.headers['mcp-session-id'] as string;
    expect((await post(serve.url, '{"jsonrpc":"2.0","method":"notifications/initialized"}', withKey(keys.old, session))).status).toBe(202);

    const held = post(serve.url, call(2, 'hold', { key: 'x' }), withKey(keys.old, session));
    await until(() => existsSync(`${listFile()}.asked`), 'the proxy to ask for the tool list');
    writeKeysFile(keysFile(), [{ ...entries[0]!, revoked: new Date().toISOString() }, entries[1]!]);
    const answer = await held;
    expect(answer.status, answer.body).toBe(401);

    writeFileSync(listFile(), '');
    // Before the fix the call went on to the backend once the list came: held ["x"].
    const heldNow = await post(serve.url, call(3, 'held'), withKey(keys.other, session));
    expect(JSON.parse(heldNow.body).result.content[0].text).toBe('[]');

    type Row = { requestId: unknown; outcome: string; errorMessage: string | null };
    const rows = async () => JSON.parse((await run(process.execPath, [CLI, 'audit', 'query', '--db', join(serve.dir, 'audit.db'), '--json', '--tool', 'hold'])).stdout) as Row[];
    await until(async () => (await rows()).length === 1, 'the call to be audited');
    expect((await rows())[0]).toMatchObject({ requestId: 2, outcome: 'cancelled', errorMessage: 'the credential it was made with is no longer valid (revoked, expired or removed)' });
  });
});
