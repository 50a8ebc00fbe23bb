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
const call = toolCallBody;

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
    const withKey = keyHeaders;
    const session = await openKeyedSession(serve.url, keys.old);

    const held = postOnce(serve.url, call(2, 'hold', { key: 'x' }), withKey(keys.old, session));
    await until(() => existsSync(`${listFile()}.asked`), 'the proxy to ask for the tool list');
    writeKeysFile(keysFile(), [{ ...entries[0]!, revoked: new Date().toISOString() }, entries[1]!]);
    const answer = await held;
    expect(answer.status, answer.body).toBe(401);

    writeFileSync(listFile(), '');
    // Before the fix the call went on to the backend once the list came: held ["x"].
    const heldNow = await postOnce(serve.url, call(3, 'held'), withKey(keys.other, session));
    expect(JSON.parse(heldNow.body).result.content[0].text).toBe('[]');

    type Row = { requestId: unknown; outcome: string; errorMessage: string | null };
    const rows = async () => JSON.parse((await run(process.execPath, [CLI, 'audit', 'query', '--db', join(serve.dir, 'audit.db'), '--json', '--tool', 'hold'])).stdout) as Row[];
    await until(async () => (await rows()).length === 1, 'the call to be audited');
    expect((await rows())[0]).toMatchObject({ requestId: 2, outcome: 'cancelled', errorMessage: 'the credential it was made with is no longer valid (revoked, expired or removed)' });
  });
});
