/**
 * Identity end to end through the built CLI (`npm run build` first): `mcp-warden serve` with API
 * keys (keys file), a JWT issuer and OAuth metadata, in front of the Qubinode test server and two
 * credential recorders (stdio and Streamable HTTP). Over Streamable HTTP and legacy SSE: every bad
 * credential is refused with 401 (+ WWW-Authenticate) or 403 and nothing reaches a backend; two
 * keys get different decisions from the qubinode pack and the audit says who did what; backends
 * get their own credentials, never the client's; no secret appears in the log or the audit file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { readRecords, RECORDER, startHttpRecorder } from './helpers/credential-recorder.js';
import { CLI, startServe, type ServeProcess } from './helpers/proxy.js';

const run = promisify(execFile);
const RESOURCE = 'https://warden.test/mcp';
const ISSUER = 'https://as.test';
const JWT_SECRET = 'e2e-jwt-secret-0123456789-abcdefghijklmnopq';
const BACKEND_TOKEN = 'qubinode-backend-bearer-0123456789';
const BACKEND_HEADER = 'backend-header-secret-0123456789';
const BACKEND_ENV = 'backend-env-secret-0123456789';

const keys = { ops: generateApiKey(), dashboard: generateApiKey(), revoked: generateApiKey(), expired: generateApiKey(), staging: generateApiKey(), wrong: generateApiKey() };

async function jwt(claims: Record<string, unknown>, opts: { secret?: string; aud?: string; iss?: string; exp?: number } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setAudience(opts.aud ?? RESOURCE)
    .setIssuer(opts.iss ?? ISSUER)
    .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(new TextEncoder().encode(opts.secret ?? JWT_SECRET));
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

interface BadCase {
  name: string;
  headers: Record<string, string>;
  status: 401 | 403;
  message: string;
}

describe('identity end to end over `serve` (Streamable HTTP and SSE)', { timeout: 120_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  let httpRecorder: Awaited<ReturnType<typeof startHttpRecorder>>;
  let cases: BadCase[];
  let tokens: Record<string, string>;
  const files = () => ({ qubinode: join(dir, 'qubinode.jsonl'), recStdio: join(dir, 'rec-stdio.jsonl'), recHttp: join(dir, 'rec-http.jsonl'), audit: join(dir, 'audit.db') });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-identity-e2e-'));
    const f = files();
    writeKeysFile(join(dir, 'keys.yaml'), [
      { id: 'k_ops', hash: hashApiKey(keys.ops), client: 'ops-team', roles: ['vm-operator'] },
      { id: 'k_dash', hash: hashApiKey(keys.dashboard), client: 'dashboard', roles: ['reader'] },
      { id: 'k_revoked', hash: hashApiKey(keys.revoked), client: 'ops-team', roles: [], revoked: '2025-01-01T00:00:00Z' },
      { id: 'k_expired', hash: hashApiKey(keys.expired), client: 'ops-team', roles: [], expires: '2025-01-01T00:00:00Z' },
      { id: 'k_staging', hash: hashApiKey(keys.staging), client: 'ops-team', roles: [], deployment: 'staging' },
    ]);
    writeFileSync(join(dir, 'recorders.rego'), 'package mcp.authz\n\nimport rego.v1\n\nallow if input.backend.name in {"rec_stdio", "rec_http"}\n');
    httpRecorder = await startHttpRecorder(f.recHttp);
    tokens = {
      good: await jwt({ sub: 'ops-team', roles: ['vm-operator'] }),
      badSignature: await jwt({ sub: 'ops-team' }, { secret: 'another-secret-0123456789-abcdefghijklmnop' }),
      wrongAud: await jwt({ sub: 'ops-team' }, { aud: 'https://other.test/mcp' }),
      wrongIss: await jwt({ sub: 'ops-team' }, { iss: 'https://evil.test' }),
      expired: await jwt({ sub: 'ops-team' }, { exp: Math.floor(Date.now() / 1000) - 3600 }),
      none: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'ops-team', aud: RESOURCE, iss: ISSUER, exp: 9999999999 })}.`,
    };
    cases = [
      { name: 'no credentials', headers: {}, status: 401, message: 'authentication required' },
      { name: 'wrong key', headers: { 'x-api-key': keys.wrong }, status: 401, message: 'invalid API key' },
      { name: 'revoked key', headers: { authorization: `Bearer ${keys.revoked}` }, status: 401, message: 'API key revoked' },
      { name: 'expired key', headers: { 'x-api-key': keys.expired }, status: 401, message: 'API key expired' },
      { name: 'JWT bad signature', headers: { authorization: `Bearer ${tokens.badSignature}` }, status: 401, message: 'token signature invalid' },
      { name: 'JWT wrong aud', headers: { authorization: `Bearer ${tokens.wrongAud}` }, status: 401, message: 'token audience not accepted' },
      { name: 'JWT wrong iss', headers: { authorization: `Bearer ${tokens.wrongIss}` }, status: 401, message: 'token issuer not accepted' },
      { name: 'JWT alg none', headers: { authorization: `Bearer ${tokens.none}` }, status: 401, message: 'unsigned token (alg none) refused' },
      { name: 'JWT expired', headers: { authorization: `Bearer ${tokens.expired}` }, status: 401, message: 'token expired' },
      { name: 'key for another deployment', headers: { 'x-api-key': keys.staging }, status: 403, message: 'API key not valid for this deployment' },
    ];
    const node = JSON.stringify(process.execPath);
    const yaml = `
server: { host: 127.0.0.1 }
backends:
  - { name: qubinode, transport: stdio, command: ${node}, args: [${JSON.stringify(join(process.cwd(), 'test/servers/qubinode-server.mjs'))}], env: { MCP_RECORD_FILE: ${JSON.stringify(f.qubinode)} } }
  - { name: rec_stdio, transport: stdio, command: ${node}, args: [${JSON.stringify(RECORDER)}], env: { MCP_RECORD_FILE: ${JSON.stringify(f.recStdio)}, BACKEND_ENV_SECRET: ${BACKEND_ENV} } }
  - { name: rec_http, transport: streamable-http, url: ${JSON.stringify(httpRecorder.url)}, bearerToken: ${BACKEND_TOKEN}, headers: { X-Backend-Key: ${BACKEND_HEADER} } }
auth:
  deployment: prod
  keysFile: ${JSON.stringify(join(dir, 'keys.yaml'))}
  # ops-team is an API-key client: its tokens are the same client only because it is listed here.
  jwt: { secret: ${JWT_SECRET}, issuer: ${JSON.stringify(ISSUER)}, sharedClientIds: [ops-team] }
  oauth: { resource: ${JSON.stringify(RESOURCE)}, authorizationServers: [${JSON.stringify(ISSUER)}] }
policy:
  paths: [qubinode, ${JSON.stringify(join(dir, 'recorders.rego'))}]
  watch: false
  data:
    warden:
      qubinode:
        backends: [qubinode]
        clients:
          ops-team: { categories: [dags, vms, logs] }
          dashboard: { categories: [dags, logs], read_only: true }
audit: { enabled: true, path: ${JSON.stringify(f.audit)}, flushIntervalMs: 10 }
log: { level: debug }
`;
    // The client-side credential variable in serve's own environment must not reach stdio backends either.
    const saved = process.env.MCP_WARDEN_API_KEY;
    process.env.MCP_WARDEN_API_KEY = keys.ops;
    try {
      serve = await startServe(yaml);
    } finally {
      if (saved === undefined) delete process.env.MCP_WARDEN_API_KEY;
      else process.env.MCP_WARDEN_API_KEY = saved;
    }
  });

  afterAll(async () => {
    await serve?.stop();
    await httpRecorder?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function httpClient(headers: Record<string, string>): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const transport = new StreamableHTTPClientTransport(new URL(serve.url), { requestInit: { headers } });
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(transport);
    return { client, transport };
  }

  async function sseClient(headers: Record<string, string>): Promise<Client> {
    const client = new Client({ name: 'e2e-sse', version: '1' });
    await client.connect(new SSEClientTransport(new URL(serve.sseUrl), { requestInit: { headers } }));
    return client;
  }

  const toolCalls = () => readRecords(files().qubinode).length + readRecords(files().recStdio).filter((r) => r.kind === 'tool').length + readRecords(files().recHttp).filter((r) => r.kind === 'tool').length;

  it('serves the OAuth protected resource metadata without authentication', async () => {
    const base = new URL(serve.url).origin;
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ resource: RESOURCE, authorization_servers: [ISSUER] });
    }
  });

  it('acceptance 1, Streamable HTTP: each bad credential gets 401 + WWW-Authenticate or 403, on a new and on an open session, and nothing reaches a backend', async () => {
    const { client, transport } = await httpClient({ 'x-api-key': keys.ops });
    const sessionId = transport.sessionId!;
    expect(sessionId).toBeTruthy();
    const before = toolCalls();
    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'qubinode__create_vm', arguments: { name: 'intruder', image: 'rhel9' } } };
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    for (const c of cases) {
      for (const [body, session] of [[init, undefined], [call, sessionId]] as const) {
        const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...c.headers };
        if (session) headers['mcp-session-id'] = session;
        const res = await fetch(serve.url, { method: 'POST', headers, body: JSON.stringify(body) });
        const text = await res.text();
        expect(res.status, c.name).toBe(c.status);
        expect(text, c.name).toContain(c.message);
        const challenge = res.headers.get('www-authenticate');
        if (c.status === 401) {
          expect(challenge, c.name).toContain('Bearer realm="mcp-warden", resource_metadata="https://warden.test/.well-known/oauth-protected-resource/mcp"');
          expect(challenge?.includes('error="invalid_token"'), c.name).toBe(c.name !== 'no credentials');
        }
        for (const secret of Object.values(c.headers)) expect(text + (challenge ?? '')).not.toContain(secret.replace(/^Bearer /, ''));
      }
    }
    // A valid credential of another client on this session: the session does not exist for it.
    const hijack = await fetch(serve.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': sessionId, 'x-api-key': keys.dashboard },
      body: JSON.stringify(call),
    });
    expect(hijack.status).toBe(404);
    expect(toolCalls()).toBe(before);
    await client.close();
  });

  it('acceptance 1, legacy SSE: each bad credential is refused on GET /sse and on POST /messages; nothing reaches a backend', async () => {
    const before = toolCalls();
    // A valid SSE session, to prove that its messages endpoint checks credentials on every POST.
    const controller = new AbortController();
    const stream = await fetch(serve.sseUrl, { headers: { accept: 'text/event-stream', 'x-api-key': keys.dashboard }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let buffered = '';
    while (!/event: endpoint\ndata: (\S+)/.test(buffered)) buffered += new TextDecoder().decode((await reader.read()).value);
    const endpoint = new URL(/event: endpoint\ndata: (\S+)/.exec(buffered)![1]!, serve.sseUrl).toString();
    for (const c of cases) {
      const get = await fetch(serve.sseUrl, { headers: { accept: 'text/event-stream', ...c.headers } });
      expect(get.status, c.name).toBe(c.status);
      expect(await get.text(), c.name).toContain(c.message);
      if (c.status === 401) expect(get.headers.get('www-authenticate'), c.name).toContain('resource_metadata=');
      const post = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...c.headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'qubinode__delete_vm', arguments: { vm_name: 'rhel9-web' } } }),
      });
      expect(post.status, c.name).toBe(c.status);
      expect(await post.text(), c.name).toContain(c.message);
    }
    controller.abort();
    expect(toolCalls()).toBe(before);
  });

  it('a valid JWT is accepted: client id from sub, roles from the roles claim', async () => {
    const { client } = await httpClient({ authorization: `Bearer ${tokens.good}` });
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('qubinode__create_vm');
    await client.close();
  });

  it('acceptance 3: two keys on one endpoint get different decisions from the qubinode pack, and the audit says who did what', async () => {
    const { client: ops } = await httpClient({ authorization: `Bearer ${keys.ops}` });
    const dashboard = await sseClient({ 'x-api-key': keys.dashboard });
    const created = await ops.callTool({ name: 'qubinode__create_vm', arguments: { name: 'rhel9-db', image: 'rhel9' } });
    expect(created.isError).toBeFalsy();
    const refused = await dashboard.callTool({ name: 'qubinode__create_vm', arguments: { name: 'rhel9-x', image: 'rhel9' } });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain("Client 'dashboard' is not allowed VM operations");
    const listed = await dashboard.callTool({ name: 'qubinode__list_dags', arguments: {} });
    expect(listed.isError).toBeFalsy();
    expect(readRecords(files().qubinode).map((r) => [r.name, (r.arguments as { name?: string } | undefined)?.name])).toEqual([
      ['create_vm', 'rhel9-db'],
      ['list_dags', undefined],
    ]);
    await ops.close();
    await dashboard.close();

    let rows: Array<{ clientId: string; authMethod: string; transport: string; tool: string | null; decision: string }> = [];
    for (const deadline = Date.now() + 60_000; rows.length < 3 && Date.now() < deadline; ) {
      const { stdout } = await run(process.execPath, [CLI, 'audit', 'query', '--db', files().audit, '--method', 'tools/call', '--asc', '--json']);
      rows = JSON.parse(stdout) as typeof rows;
      if (rows.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows.map((r) => [r.clientId, r.authMethod, r.transport, r.tool, r.decision])).toEqual([
      ['ops-team', 'api_key', 'streamable-http', 'qubinode__create_vm', 'allow'],
      ['dashboard', 'api_key', 'sse', 'qubinode__create_vm', 'deny'],
      ['dashboard', 'api_key', 'sse', 'qubinode__list_dags', 'allow'],
    ]);
  });

  it('acceptance 4: backends get their own credential and never the client\'s', async () => {
    const { client } = await httpClient({ 'x-api-key': keys.ops });
    expect((await client.callTool({ name: 'rec_stdio__echo', arguments: { text: 'one' } })).isError).toBeFalsy();
    expect((await client.callTool({ name: 'rec_http__echo', arguments: { text: 'two' } })).isError).toBeFalsy();
    await client.close();
    const { client: viaJwt } = await httpClient({ authorization: `Bearer ${tokens.good}` });
    await viaJwt.callTool({ name: 'rec_http__echo', arguments: { text: 'three' } });
    await viaJwt.close();

    const stdioEnv = readRecords(files().recStdio).filter((r) => r.kind === 'env');
    expect(stdioEnv.length).toBeGreaterThan(0);
    for (const r of stdioEnv) {
      expect(r.env!.BACKEND_ENV_SECRET).toBe(BACKEND_ENV);
      expect(r.env!.MCP_WARDEN_API_KEY).toBeUndefined();
    }
    const httpRequests = readRecords(files().recHttp).filter((r) => r.kind === 'http');
    expect(httpRequests.length).toBeGreaterThan(2);
    for (const r of httpRequests) {
      expect(r.headers!.authorization).toBe(`Bearer ${BACKEND_TOKEN}`);
      expect(r.headers!['x-backend-key']).toBe(BACKEND_HEADER);
      expect(r.headers!['x-api-key']).toBeUndefined();
    }
    expect(readRecords(files().recHttp).filter((r) => r.kind === 'tool').map((r) => r.arguments)).toEqual([{ text: 'two' }, { text: 'three' }]);
    const everything = [files().qubinode, files().recStdio, files().recHttp].map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const secret of [...Object.values(keys), ...Object.values(tokens), JWT_SECRET]) expect(everything.includes(secret)).toBe(false);
  });

  it('keys created, rotated and revoked with the CLI take effect on the running server without a restart', async () => {
    const keysFile = join(dir, 'keys.yaml');
    const cli = async (...args: string[]) => (await run(process.execPath, [CLI, 'keys', ...args, '--keys-file', keysFile])).stdout.trim();
    const first = await cli('create', '--client', 'newcomer', '--roles', 'reader');
    const { client, transport } = await httpClient({ 'x-api-key': first });
    await expect(client.listTools()).resolves.toHaveProperty('tools');
    const second = await cli('rotate', '--client', 'newcomer', '--grace', '1h');
    await expect(client.listTools()).resolves.toHaveProperty('tools'); // the old key within its grace period
    const { client: rotated } = await httpClient({ authorization: `Bearer ${second}` });
    await expect(rotated.listTools()).resolves.toHaveProperty('tools');
    await cli('revoke', '--client', 'newcomer');
    for (const key of [first, second]) {
      const res = await fetch(serve.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId!, 'x-api-key': key },
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
      });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('API key revoked');
    }
    await expect(client.listTools()).rejects.toThrow();
    for (const key of [first, second]) {
      expect(readFileSync(keysFile, 'utf8')).not.toContain(key);
      expect(serve.stderr()).not.toContain(key);
    }
  });

  it('no secret in the log or the audit database', async () => {
    const log = serve.stderr();
    expect(log).toContain('authentication refused');
    const audit = readFileSync(files().audit);
    const secrets = { ...keys, ...tokens, JWT_SECRET, BACKEND_TOKEN, BACKEND_HEADER, BACKEND_ENV };
    for (const [name, secret] of Object.entries(secrets)) {
      expect(log.includes(secret), `${name} in the log`).toBe(false);
      expect(audit.includes(Buffer.from(secret)), `${name} in the audit database`).toBe(false);
    }
  });
});
