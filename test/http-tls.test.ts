/**
 * serve terminating TLS itself (server.tls). Real `serve` processes with the checked-in test-only
 * certificates (test/fixtures/tls): MCP initialize, tools/list and tools/call as raw JSON-RPC over
 * node:https, and the SDK's own client (Streamable HTTP and legacy SSE) in a child process trusting
 * the test CA through NODE_EXTRA_CA_CERTS; plain HTTP to the TLS port gets nothing; loopback https
 * origins pass the Origin guard as http ones do. With server.tls.caFile, the handshake refuses a
 * client without a certificate or with one from another CA, and a client with the right certificate
 * still needs its API key (401 without). TLS files that are missing, damaged or do not match: exit 3
 * naming the file, before anything is opened.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import tls from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyEntry } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { INIT_BODY, INITIALIZED_BODY, answerMessages, toolCallBody } from './helpers/keyed-http.js';
import { ALLOW_ALL_POLICY, CLI, ROOT, startServe, tempDir, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { httpsRequest, pem, tlsFile, type TlsClient } from './helpers/tls.js';
import { until } from './helpers/wait.js';

const BACKEND = `backends:
  - { name: t, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`;
const TRUSTING: TlsClient = { ca: 'ca.pem' };
const session = (id: string) => ({ 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' });

/** initialize, initialized, tools/list and tools/call echo over one HTTPS client setup; the answers. */
async function mcpOverHttps(url: string, client: TlsClient, headers: Record<string, string> = {}) {
  const init = await httpsRequest(url, 'POST', INIT_BODY, headers, client);
  expect(init.status).toBe(200);
  const id = init.headers['mcp-session-id'] as string;
  expect((await httpsRequest(url, 'POST', INITIALIZED_BODY, { ...headers, ...session(id) }, client)).status).toBe(202);
  const list = await httpsRequest(url, 'POST', JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), { ...headers, ...session(id) }, client);
  const call = await httpsRequest(url, 'POST', toolCallBody(3, 'echo', { text: 'over tls' }), { ...headers, ...session(id) }, client);
  return { init: answerMessages(init.body)[0], list: answerMessages(list.body)[0] as { result?: { tools: Array<{ name: string }> } }, call: answerMessages(call.body)[0] };
}

/** The SDK client script in a process of its own, trusting the test CA only through NODE_EXTRA_CA_CERTS. */
function sdkClient(url: string, kind: 'streamable' | 'sse'): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, [join(ROOT, 'test/servers/sdk-https-client.mjs'), url, kind], { env: { ...process.env, NODE_EXTRA_CA_CERTS: tlsFile('ca.pem') }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, out })));
}

describe('serve over TLS', { timeout: 90_000 }, () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(`server: { tls: { certFile: ${JSON.stringify(tlsFile('server.pem'))}, keyFile: ${JSON.stringify(tlsFile('server.key'))} } }
auth: { anonymous: true }
${BACKEND}`);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('listens on https:// and says which certificate it serves (no key material)', () => {
    expect(serve.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(serve.sseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/sse$/);
    expect(serve.stderr()).toMatch(/"subject":"CN=localhost","issuer":"CN=mcp-warden test CA","serial":"1001","notAfter":"2126-[^"]+","clientCertificates":false,"minVersion":"TLSv1.2","msg":"tls: certificate in force"/);
    expect(serve.stderr()).not.toContain('PRIVATE KEY');
  });

  it('answers initialize, tools/list and tools/call over HTTPS', async () => {
    const { init, list, call } = await mcpOverHttps(serve.url, TRUSTING);
    expect(init).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25' } });
    expect(list.result?.tools.map((t) => t.name)).toContain('echo');
    expect(call).toMatchObject({ id: 3, result: { content: [{ type: 'text', text: 'a:over tls' }] } });
  });

  it('a client that does not trust the test CA refuses the certificate (verification is real)', async () => {
    await expect(httpsRequest(serve.url, 'POST', INIT_BODY, {}, {})).rejects.toThrow(/certificate/);
  });

  it('the SDK client works over Streamable HTTP and legacy SSE with the CA from NODE_EXTRA_CA_CERTS', async () => {
    for (const [url, kind] of [[serve.url, 'streamable'], [serve.sseUrl, 'sse']] as const) {
      const run = await sdkClient(url, kind);
      expect({ code: run.code, answer: JSON.parse(run.out) as unknown }).toEqual({ code: 0, answer: { tools: expect.arrayContaining(['echo']) as unknown, text: `a:hello over ${kind}` } });
    }
  });

  it('plain http to the TLS port gets no answer, and the refused handshake is logged', async () => {
    const plain = serve.url.replace('https://', 'http://');
    const outcome = await new Promise<string>((resolve) => {
      const req = http.request(plain, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (err) => resolve(`error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      req.end(INIT_BODY);
    });
    expect(outcome).toMatch(/^error /);
    await until(() => serve.stderr().includes('"reason":"ERR_SSL_HTTP_REQUEST","msg":"http: TLS handshake refused"'), 'the refused handshake in the log');
  });

  it('loopback https origins are accepted as http ones are; a foreign https origin is refused', async () => {
    const port = new URL(serve.url).port;
    for (const origin of [`https://localhost:${port}`, `https://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      expect((await httpsRequest(serve.url, 'POST', INIT_BODY, { origin }, TRUSTING)).status, origin).toBe(200);
    }
    const foreign = await httpsRequest(serve.url, 'POST', INIT_BODY, { origin: 'https://evil.example' }, TRUSTING);
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain('Origin \\"https://evil.example\\" is not allowed');
  });
});

describe('serve over TLS with client certificates (server.tls.caFile) and API keys', { timeout: 90_000 }, () => {
  let serve: ServeProcess;
  const key = generateApiKey();
  beforeAll(async () => {
    const dir = await tempDir();
    const entries: ApiKeyEntry[] = [{ id: 'k_a', hash: hashApiKey(key), client: 'alice', roles: [] }];
    writeKeysFile(join(dir, 'keys.yaml'), entries);
    serve = await startServe(
      `server:
  tls: { certFile: ${JSON.stringify(tlsFile('server.pem'))}, keyFile: ${JSON.stringify(tlsFile('server.key'))}, caFile: ${JSON.stringify(tlsFile('ca.pem'))}, minVersion: TLSv1.3 }
auth: { keysFile: keys.yaml }
${BACKEND}`,
      [],
      { dir },
    );
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('no client certificate: the handshake is refused (no HTTP answer at all)', async () => {
    await expect(httpsRequest(serve.url, 'POST', INIT_BODY, { 'x-api-key': key }, TRUSTING)).rejects.toThrow(/certificate required|ECONNRESET|socket hang up/);
  });

  it('a client certificate from another CA: the handshake is refused', async () => {
    await expect(httpsRequest(serve.url, 'POST', INIT_BODY, { 'x-api-key': key }, { ca: 'ca.pem', cert: 'other-client.pem', key: 'other-client.key' })).rejects.toThrow(/unknown ca|ECONNRESET|socket hang up/);
  });

  it('a client certificate from the right CA but expired: the handshake is refused', async () => {
    await expect(httpsRequest(serve.url, 'POST', INIT_BODY, { 'x-api-key': key }, { ca: 'ca.pem', cert: 'expired-client.pem', key: 'expired-client.key' })).rejects.toThrow(/certificate expired|ECONNRESET|socket hang up/);
  });

  it('minVersion TLSv1.3: a TLS 1.2 client is refused, whatever its certificate', async () => {
    await expect(httpsRequest(serve.url, 'POST', INIT_BODY, { 'x-api-key': key }, { ca: 'ca.pem', cert: 'client.pem', key: 'client.key', maxVersion: 'TLSv1.2' })).rejects.toThrow(/protocol version|alert/i);
  });

  it('no ALPN protocol is agreed (HTTP/1.1 only, no h2)', async () => {
    const { hostname, port } = new URL(serve.url);
    const alpn = await new Promise<string | false | null>((resolve, reject) => {
      const socket = tls.connect({ host: hostname, port: Number(port), servername: 'localhost', ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key'), ALPNProtocols: ['h2', 'http/1.1'] }, () => {
        resolve(socket.alpnProtocol);
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(alpn === false || alpn === 'http/1.1').toBe(true);
  });

  it('the right client certificate and the API key: served', async () => {
    const { call } = await mcpOverHttps(serve.url, { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' }, { 'x-api-key': key });
    expect(call).toMatchObject({ id: 3, result: { content: [{ type: 'text', text: 'a:over tls' }] } });
  });

  it('the right client certificate without an API key: 401 (the certificate is a gate, not an identity)', async () => {
    const answer = await httpsRequest(serve.url, 'POST', INIT_BODY, {}, { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' });
    expect(answer.status).toBe(401);
  });

  it('refused handshakes are logged with their reason', () => {
    expect(serve.stderr()).toContain('"msg":"tls: certificate in force"');
    expect(serve.stderr()).toMatch(/"reason":"[^"]+","msg":"http: TLS handshake refused"/);
  });
});

describe('serve with TLS files it cannot use: exit 3 naming the file', { timeout: 60_000 }, () => {
  function serveOnce(yaml: string): Promise<{ code: number | null; stderr: string; dir: string }> {
    return tempDir().then((dir) => {
      writeFileSync(join(dir, 'warden.yaml'), yaml);
      const env: NodeJS.ProcessEnv = { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' };
      const proc = spawn(process.execPath, [CLI, 'serve', '--config', join(dir, 'warden.yaml'), '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stderr, dir })));
    });
  }
  const tlsYaml = (tls: string) => `server: { tls: ${tls} }\nauth: { anonymous: true }\naudit: { path: data/audit.db }\n${BACKEND.replace('audit: { enabled: false }\n', '')}`;

  it('a certFile that does not exist (relative to the config file)', async () => {
    const run = await serveOnce(tlsYaml(`{ certFile: missing.pem, keyFile: ${JSON.stringify(tlsFile('server.key'))} }`));
    expect(run.stderr).toBe(`mcp-warden: server.tls.certFile ${join(run.dir, 'missing.pem')}: cannot read file: no such file\n`);
    expect(run.code).toBe(3);
    expect(existsSync(join(run.dir, 'data'))).toBe(false); // nothing opened before the check
  });

  it('a keyFile that does not belong to the certificate', async () => {
    const run = await serveOnce(tlsYaml(`{ certFile: ${JSON.stringify(tlsFile('server.pem'))}, keyFile: ${JSON.stringify(tlsFile('server2.key'))} }`));
    expect(run.stderr).toBe(`mcp-warden: server.tls.keyFile ${tlsFile('server2.key')}: does not match the certificate in ${tlsFile('server.pem')} (the first certificate there must be the one this key belongs to)\n`);
    expect(run.code).toBe(3);
  });

  it('a certFile that is not a certificate, a keyFile that is not a key, a caFile that is not one', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'junk.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'empty.pem'), '');
    const cert = await serveOnce(tlsYaml(`{ certFile: ${JSON.stringify(join(dir, 'junk.pem'))}, keyFile: ${JSON.stringify(tlsFile('server.key'))} }`));
    expect(cert.stderr).toBe(`mcp-warden: server.tls.certFile ${join(dir, 'junk.pem')}: certificate 1 is not a valid X.509 certificate (truncated or damaged?)\n`);
    expect(cert.code).toBe(3);
    const key = await serveOnce(tlsYaml(`{ certFile: ${JSON.stringify(tlsFile('server.pem'))}, keyFile: ${JSON.stringify(tlsFile('server.pem'))} }`));
    expect(key.stderr).toBe(`mcp-warden: server.tls.keyFile ${tlsFile('server.pem')}: no valid PEM private key in it (truncated or damaged?)\n`);
    expect(key.code).toBe(3);
    const ca = await serveOnce(tlsYaml(`{ certFile: ${JSON.stringify(tlsFile('server.pem'))}, keyFile: ${JSON.stringify(tlsFile('server.key'))}, caFile: ${JSON.stringify(join(dir, 'empty.pem'))} }`));
    expect(ca.stderr).toBe(`mcp-warden: server.tls.caFile ${join(dir, 'empty.pem')}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)\n`);
    expect(ca.code).toBe(3);
  });
});
