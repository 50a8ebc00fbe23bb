/**
 * API keys and JWTs share one client-id space: the policy, per-client `data` (the qubinode pack's
 * categories), rate limits and session ownership key on `input.client.id` alone. A token's subject
 * is the identity provider's to choose (sometimes its users': preferred_username, email), so a valid
 * token whose client id is an API-key client's used to become that client, with its per-client
 * grants. Now such a token is refused (401 invalid_token, saying why) unless auth.jwt.sharedClientIds
 * lists the id, and so is a token naming an id mcp-warden gives itself ("anonymous", "local:*",
 * auth.stdioClient.id). A key added to the keys file while serving takes its client id from tokens
 * at once, cached tokens included. Real `serve` over Streamable HTTP, in front of the Qubinode test
 * server, with inline keys, a keys file and an HS256 issuer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { readRecords } from './helpers/credential-recorder.js';
import { startServe, type ServeProcess } from './helpers/proxy.js';

const RESOURCE = 'https://warden.test/mcp';
const SECRET = 'client-id-space-secret-0123456789-abcdefgh';
const keys = { ops: generateApiKey(), dashboard: generateApiKey(), revoked: generateApiKey(), later: generateApiKey() };

const token = (sub: string) =>
  new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setAudience(RESOURCE).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));

const API_KEY_CLIENT = 'token client id belongs to an API-key client (not listed in auth.jwt.sharedClientIds)';
const RESERVED = 'token client id is reserved';

describe('one client-id space for API keys and JWTs (serve, Streamable HTTP)', { timeout: 120_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  const keysFile = () => join(dir, 'keys.yaml');
  const record = () => join(dir, 'qubinode.jsonl');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-client-ids-'));
    writeKeysFile(keysFile(), [
      { id: 'k_dash', hash: hashApiKey(keys.dashboard), client: 'dashboard', roles: [] },
      // A revoked key still makes its client an API-key client (its per-client data is still there).
      { id: 'k_old', hash: hashApiKey(keys.revoked), client: 'retired', roles: [], revoked: '2025-01-01T00:00:00Z' },
    ]);
    serve = await startServe(`
backends:
  - { name: qubinode, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(join(process.cwd(), 'test/servers/qubinode-server.mjs'))}], env: { MCP_RECORD_FILE: ${JSON.stringify(record())} } }
auth:
  keysFile: ${JSON.stringify(keysFile())}
  apiKeys: [{ id: k_ops, hash: "${hashApiKey(keys.ops)}", client: ops-team }]
  stdioClient: { id: console }
  jwt: { secret: ${SECRET}, audience: ${JSON.stringify(RESOURCE)}, sharedClientIds: [dashboard, dashbaord, "local:backup"] }
policy:
  paths: [qubinode]
  watch: false
  data:
    warden:
      qubinode:
        clients:
          ops-team: { categories: [dags, vms, logs] }
          dashboard: { categories: [dags, logs], read_only: true }
          retired: { categories: ['*'] }
          alice: { categories: [logs] }
          anonymous: { categories: ['*'] }
audit: { enabled: false }
`);
  });

  afterAll(async () => {
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('warns at startup about a sharedClientIds entry no key is bound to and no reserved id is (a typo), naming only it', () => {
    const lines = serve
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; sharedClientIds?: string[] });
    const warned = lines.filter((l) => l.msg.startsWith('auth.jwt.sharedClientIds lists'));
    expect(warned).toHaveLength(1);
    // dashboard is a key's client, local:backup an id mcp-warden gives itself: both meaningful, not named.
    expect(warned[0]).toMatchObject({ level: 40, sharedClientIds: ['dashbaord'] });
    expect(warned[0]!.msg).toBe(
      'auth.jwt.sharedClientIds lists "dashbaord", which no API key (auth.apiKeys or the keys file) is bound to and mcp-warden does not give itself ("anonymous", "local:*", auth.stdioClient.id): listing it changes nothing (a token may carry such an id anyway); check for a typo against the keys\' client ids (mcp-warden keys list)',
    );
  });

  async function tools(headers: Record<string, string>): Promise<string[]> {
    const client = new Client({ name: 'ids', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url), { requestInit: { headers } }));
    try {
      return (await client.listTools()).tools.map((t) => t.name).sort();
    } finally {
      await client.close();
    }
  }

  /** POSTs an initialize, then a tools/call on a session the API key opened, with `headers`. */
  async function refused(headers: Record<string, string>): Promise<{ status: number; text: string; challenge: string | null }> {
    const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const res = await fetch(serve.url, { method: 'POST', headers: { ...base, ...headers }, body: JSON.stringify(init) });
    return { status: res.status, text: await res.text(), challenge: res.headers.get('www-authenticate') };
  }

  it('a token whose subject is an API-key client (inline key, or a key in the keys file even revoked) is refused with 401 invalid_token; nothing reaches the backend', async () => {
    for (const sub of ['ops-team', 'retired']) {
      const res = await refused({ authorization: `Bearer ${await token(sub)}` });
      expect(res.status, sub).toBe(401);
      expect(res.text, sub).toContain(API_KEY_CLIENT);
      expect(res.challenge, sub).toContain('error="invalid_token"');
    }
    // A session the API key opened is not reachable with such a token either (it is refused before the session lookup).
    const client = new Client({ name: 'ops', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(serve.url), { requestInit: { headers: { 'x-api-key': keys.ops } } });
    await client.connect(transport);
    const call = await fetch(serve.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': transport.sessionId!, authorization: `Bearer ${await token('ops-team')}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'create_vm', arguments: { name: 'by-token', image: 'rhel9' } } }),
    });
    expect(call.status).toBe(401);
    await client.close();
    expect(readRecords(record())).toEqual([]);
  });

  it('a token naming an id mcp-warden gives itself ("anonymous", "local:*", auth.stdioClient.id) is refused', async () => {
    for (const sub of ['anonymous', 'local:root', 'console']) {
      const res = await refused({ authorization: `Bearer ${await token(sub)}` });
      expect(res.status, sub).toBe(401);
      expect(res.text, sub).toContain(RESERVED);
    }
  });

  it('the API keys keep their clients; a listed id (sharedClientIds) is the same client with either credential; other subjects are their own clients', async () => {
    const opsTools = await tools({ 'x-api-key': keys.ops });
    expect(opsTools).toContain('create_vm');
    const dashboardTools = await tools({ 'x-api-key': keys.dashboard });
    expect(dashboardTools).not.toContain('create_vm');
    expect(dashboardTools).toContain('list_dags');
    // dashboard is listed in sharedClientIds: its token is the dashboard client, with the same categories.
    expect(await tools({ authorization: `Bearer ${await token('dashboard')}` })).toEqual(dashboardTools);
    expect(await tools({ authorization: `Bearer ${await token('alice')}` })).toEqual(['get_task_logs']);
  });

  it('a key added to the keys file while serving takes its client id from tokens at once, a token verified (cached) before included', async () => {
    const alice = await token('alice');
    expect(await tools({ authorization: `Bearer ${alice}` })).toEqual(['get_task_logs']);
    writeKeysFile(keysFile(), [
      { id: 'k_dash', hash: hashApiKey(keys.dashboard), client: 'dashboard', roles: [] },
      { id: 'k_old', hash: hashApiKey(keys.revoked), client: 'retired', roles: [], revoked: '2025-01-01T00:00:00Z' },
      { id: 'k_alice', hash: hashApiKey(keys.later), client: 'alice', roles: [] },
    ]);
    const res = await refused({ authorization: `Bearer ${alice}` });
    expect(res.status).toBe(401);
    expect(res.text).toContain(API_KEY_CLIENT);
    expect(await tools({ 'x-api-key': keys.later })).toEqual(['get_task_logs']);
  });
});
