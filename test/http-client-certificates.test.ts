/**
 * TLS client certificates as identities (auth.clientCertificates), on a real `serve` over HTTPS
 * with the test CA as server.tls.caFile and a Rego policy that allows tools/call only to the role
 * "operator". A certificate pinned by fingerprint is its client (id, roles) for the policy and the
 * audit with no credential at all; one matched by its SAN URI and commonName is another client,
 * denied by the policy with a reason naming its id, auth method and subject (claims reach the
 * policy). A certificate from the CA that no entry maps identifies nobody: without a credential
 * it gets 401 saying so, with an API key it is that key's client. With a mapped certificate, a
 * valid credential of the same client identifies (auth api_key), one of another client is refused,
 * an invalid one is refused as ever. A session opened by one certificate's client cannot be used
 * by another's (Streamable HTTP and legacy SSE), and a JWT may not name a certificate client's id.
 * A TLS 1.2 renegotiation ends its connection (the connection's certificate cannot be swapped).
 * A certificate from another CA never gets an HTTP answer. With auth.anonymous, an unmapped
 * certificate is anonymous; a certificate matched by two entries is refused.
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditReader } from '../src/audit/index.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { INIT_BODY, INITIALIZED_BODY, answerMessages, toolCallBody } from './helpers/keyed-http.js';
import { startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { httpsRequest, pem, tlsFile, type TlsClient } from './helpers/tls.js';
import { sleep, until } from './helpers/wait.js';

const q = JSON.stringify;
const OPS: TlsClient = { ca: 'ca.pem', cert: 'ops-client.pem', key: 'ops-client.key' };
const CI: TlsClient = { ca: 'ca.pem', cert: 'ci-client.pem', key: 'ci-client.key' };
const UNMAPPED: TlsClient = { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' };
const FOREIGN: TlsClient = { ca: 'ca.pem', cert: 'other-client.pem', key: 'other-client.key' };
const SECRET = 'client-certificates-test-secret-0123456789abcdef';
const token = (sub: string) => new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setAudience('https://warden.test/mcp').setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
const session = (id: string) => ({ 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' });
/** The certificate's SHA-256 fingerprint as openssl prints it ("AB:CD:…"). */
const fingerprint = (name: string) => new X509Certificate(pem(name)).fingerprint256;

const POLICY = `package mcp.authz

import rego.v1

default allow := false

allow if input.method != "tools/call"

allow if "operator" in input.client.roles

deny contains msg if {
	input.phase == "request"
	input.method == "tools/call"
	not "operator" in input.client.roles
	msg := sprintf("client %s (auth %s, certificate %s) is not an operator", [input.client.id, input.client.auth, object.get(input.client.claims, "subject", "none")])
}
`;

const TLS = `tls: { certFile: ${q(tlsFile('server.pem'))}, keyFile: ${q(tlsFile('server.key'))}, caFile: ${q(tlsFile('ca.pem'))} }`;
const BACKEND = `backends:
  - { name: t, transport: stdio, command: ${q(process.execPath)}, args: [${q(TEST_BACKEND)}] }`;

/** Opens a session (initialize + initialized) with this certificate and headers; its id, or the refusal. */
async function open(url: string, client: TlsClient, headers: Record<string, string> = {}): Promise<{ status: number; id?: string; body: string }> {
  const init = await httpsRequest(url, 'POST', INIT_BODY, headers, client);
  if (init.status !== 200) return { status: init.status, body: init.body };
  const id = init.headers['mcp-session-id'] as string;
  expect((await httpsRequest(url, 'POST', INITIALIZED_BODY, { ...headers, ...session(id) }, client)).status).toBe(202);
  return { status: 200, id, body: init.body };
}

/** A legacy SSE stream opened over HTTPS with this certificate: the text so far, and close(). */
function openSseStream(url: string, client: TlsClient): Promise<{ text: () => string; close: () => void }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const req = https.request(url, { method: 'GET', headers: { accept: 'text/event-stream' }, agent: false, ca: pem(client.ca!), cert: pem(client.cert!), key: pem(client.key!) }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`));
      res.on('data', (c: Buffer) => (text += c.toString()));
      resolve({ text: () => text, close: () => req.destroy() });
    });
    req.on('error', (err) => (text === '' ? reject(err) : undefined));
    req.end();
  });
}

/** tools/call echo in a session: the HTTP status and the tool result (or error). */
async function echo(url: string, id: string, client: TlsClient, text: string, headers: Record<string, string> = {}) {
  const answer = await httpsRequest(url, 'POST', toolCallBody(7, 'echo', { text }), { ...headers, ...session(id) }, client);
  const message = answer.status === 200 ? answerMessages(answer.body)[0] : undefined;
  return { status: answer.status, result: message?.result as { isError?: boolean; content: Array<{ text: string }> } | undefined, body: answer.body };
}

describe('client certificates as identities (auth.clientCertificates)', { timeout: 120_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  const keys = { alice: generateApiKey(), ops: generateApiKey() };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-client-certs-'));
    writeFileSync(join(dir, 'operators.rego'), POLICY);
    writeKeysFile(join(dir, 'keys.yaml'), [
      { id: 'k_alice', hash: hashApiKey(keys.alice), client: 'alice', roles: ['operator'] },
      { id: 'k_ops', hash: hashApiKey(keys.ops), client: 'ops-bot', roles: ['operator'] },
    ]);
    serve = await startServe(`server:
  ${TLS}
${BACKEND}
auth:
  keysFile: ${q(join(dir, 'keys.yaml'))}
  jwt: { secret: ${SECRET}, audience: "https://warden.test/mcp" }
  clientCertificates:
    - client: ops-bot
      name: Ops bot
      roles: [operator]
      match: { fingerprint: ${q(fingerprint('ops-client.pem'))} }
    - client: ci
      roles: [ci]
      match: { uri: "spiffe://warden.test/ci-runner", commonName: ci-runner }
    - client: nobody
      match: { uri: "spiffe://warden.test/ci-runner", commonName: someone-else }
policy: { paths: [${q(join(dir, 'operators.rego'))}], watch: false }
audit: { path: ${q(join(dir, 'audit.db'))}, flushIntervalMs: 10 }
`);
  });
  afterAll(async () => {
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says at startup how many certificate identities are configured', () => {
    expect(serve.stderr()).toContain('"clientCertificates":3,"anonymous":false,"msg":"auth: client identification configured"');
  });

  it('a certificate pinned by fingerprint is its client with no credential: the policy sees its role and allows the call', async () => {
    const s = await open(serve.url, OPS);
    expect(s.status).toBe(200);
    const call = await echo(serve.url, s.id!, OPS, 'by certificate');
    expect(call.result).toMatchObject({ content: [{ text: 'a:by certificate' }] });
    expect(call.result?.isError).toBeUndefined();
  });

  it('a certificate matched by SAN URI and commonName is its client, and the policy sees auth "certificate" and the subject in the claims', async () => {
    const s = await open(serve.url, CI);
    const call = await echo(serve.url, s.id!, CI, 'not mine');
    expect(call.result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('client ci (auth certificate, certificate CN=ci-runner) is not an operator') as unknown }] });
  });

  it('a certificate from the CA that no entry maps identifies nobody: 401 without a credential, saying so', async () => {
    const refused = await httpsRequest(serve.url, 'POST', INIT_BODY, {}, UNMAPPED);
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('authentication required (the client certificate is not one auth.clientCertificates maps to a client)');
  });

  it('an unmapped certificate with an API key: the key identifies, as without client certificates', async () => {
    const headers = { 'x-api-key': keys.alice };
    const s = await open(serve.url, UNMAPPED, headers);
    expect(s.status).toBe(200);
    expect((await echo(serve.url, s.id!, UNMAPPED, 'alice', headers)).result).toMatchObject({ content: [{ text: 'a:alice' }] });
  });

  it('a mapped certificate with a credential: one of the same client identifies, one of another client is refused, an invalid one is refused', async () => {
    const same = await open(serve.url, OPS, { authorization: `Bearer ${keys.ops}` });
    expect(same.status).toBe(200);
    const other = await httpsRequest(serve.url, 'POST', INIT_BODY, { authorization: `Bearer ${keys.alice}` }, OPS);
    expect(other.status).toBe(401);
    expect(other.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(other.body).toContain('the credential and the client certificate identify different clients');
    const invalid = await httpsRequest(serve.url, 'POST', INIT_BODY, { 'x-api-key': 'mcpw_not-a-real-key' }, OPS);
    expect(invalid.status).toBe(401);
    expect(invalid.body).toContain('invalid API key');
    await until(() => serve.stderr().includes('"certificateClient":"ops-bot","credentialClient":"alice","credentialId":"k_alice","msg":"authentication refused: the credential and the client certificate identify different clients"'), 'the mismatch in the log');
  });

  it('one client-id space: a valid JWT whose subject is a certificate client\'s id is refused; another subject is accepted', async () => {
    const taken = await httpsRequest(serve.url, 'POST', INIT_BODY, { authorization: `Bearer ${await token('ci')}` }, UNMAPPED);
    expect(taken.status).toBe(401);
    expect(taken.body).toContain('token client id belongs to a client-certificate client (auth.clientCertificates; not listed in auth.jwt.sharedClientIds)');
    expect((await httpsRequest(serve.url, 'POST', INIT_BODY, { authorization: `Bearer ${await token('carol')}` }, UNMAPPED)).status).toBe(200);
  });

  it('each request is identified again: a session of one certificate\'s client is not another\'s (404), the same client with its key may use it', async () => {
    const s = await open(serve.url, OPS);
    expect((await echo(serve.url, s.id!, CI, 'hijack')).status).toBe(404);
    const byKey = await echo(serve.url, s.id!, UNMAPPED, 'same client, by key', { 'x-api-key': keys.ops });
    expect(byKey.result).toMatchObject({ content: [{ text: 'a:same client, by key' }] });
  });

  it('legacy SSE: the stream and each POST are identified by their certificates; another certificate\'s client cannot post to the session (404)', async () => {
    const stream = await openSseStream(serve.sseUrl, OPS);
    try {
      await until(() => /event: endpoint\ndata: (\S+)/.test(stream.text()), 'the endpoint event');
      const endpoint = new URL(/event: endpoint\ndata: (\S+)/.exec(stream.text())![1]!, serve.sseUrl).toString();
      expect((await httpsRequest(endpoint, 'POST', INIT_BODY, {}, OPS)).status).toBe(202);
      expect((await httpsRequest(endpoint, 'POST', INITIALIZED_BODY, {}, OPS)).status).toBe(202);
      expect((await httpsRequest(endpoint, 'POST', toolCallBody(8, 'echo', { text: 'hijack over sse' }), {}, CI)).status).toBe(404);
      expect((await httpsRequest(endpoint, 'POST', toolCallBody(9, 'echo', { text: 'over sse' }), {}, OPS)).status).toBe(202);
      await until(() => stream.text().includes('a:over sse'), 'the answer on the stream');
      expect(stream.text()).not.toContain('hijack over sse');
    } finally {
      stream.close();
    }
  });

  it('a TLS 1.2 renegotiation (which could swap the connection\'s certificate) ends the connection; serve goes on', async () => {
    const { port } = new URL(serve.url);
    const socket = tls.connect({ host: '127.0.0.1', port: Number(port), servername: 'localhost', maxVersion: 'TLSv1.2', ca: pem('ca.pem'), cert: pem('ops-client.pem'), key: pem('ops-client.key') });
    await once(socket, 'secureConnect');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined); // the client sees its write fail (EPROTO) or the connection reset
    let renegotiated = false;
    socket.renegotiate({ rejectUnauthorized: true }, (err) => (renegotiated = err === null || err === undefined));
    // The renegotiation goes on with the connection's traffic.
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await Promise.race([closed.then(() => 'closed'), sleep(10_000).then(() => 'still open')])).toBe('closed');
    expect(renegotiated).toBe(false);
    expect((await open(serve.url, OPS)).status).toBe(200);
  });

  it('a certificate from another CA never connects (the handshake is refused)', async () => {
    await expect(httpsRequest(serve.url, 'POST', INIT_BODY, { 'x-api-key': keys.alice }, FOREIGN)).rejects.toThrow(/unknown ca|ECONNRESET|socket hang up|certificate/);
  });

  it('the audit rows carry the certificate identity: client id, name, auth method, roles', async () => {
    const audit = openAuditReader(join(dir, 'audit.db'));
    try {
      const calls = () => audit.query({ method: 'tools/call', order: 'asc', limit: 100 }).rows;
      await until(() => calls().length >= 5, 'the tools/call rows');
      const seen = calls().map((r) => ({ client: r.clientId, name: r.clientName, auth: r.authMethod, roles: r.roles, decision: r.decision }));
      expect(seen).toEqual(
        expect.arrayContaining([
          { client: 'ops-bot', name: 'Ops bot', auth: 'certificate', roles: ['operator'], decision: 'allow' },
          { client: 'ci', name: 'ci', auth: 'certificate', roles: ['ci'], decision: 'deny' },
          { client: 'alice', name: 'alice', auth: 'api_key', roles: ['operator'], decision: 'allow' },
          { client: 'ops-bot', name: 'ops-bot', auth: 'api_key', roles: ['operator'], decision: 'allow' },
        ]),
      );
    } finally {
      audit.close();
    }
  });

  it('no key material in the log', () => {
    expect(serve.stderr()).not.toContain('PRIVATE KEY');
  });
});

describe('client certificates with anonymous access, and a certificate two entries match', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(`server:
  ${TLS}
${BACKEND}
auth:
  anonymous: true
  clientCertificates:
    - { client: by-dns, match: { dns: OPS-BOT.internal } }
    - { client: by-email, match: { email: ops-bot@WARDEN.test } }
    - { client: ci, match: { fingerprint: ${q('sha256:' + fingerprint('ci-client.pem').replace(/:/g, '').toLowerCase())} } }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('an unmapped certificate is anonymous when auth.anonymous allows it', async () => {
    expect((await open(serve.url, UNMAPPED)).status).toBe(200);
  });

  it('a certificate two entries match is refused (401 invalid_request), and the log names the entries', async () => {
    const refused = await httpsRequest(serve.url, 'POST', INIT_BODY, {}, OPS);
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('the client certificate matches more than one auth.clientCertificates entry');
    await until(() => serve.stderr().includes('authentication refused: the client certificate matches auth.clientCertificates[0], auth.clientCertificates[1]: one certificate must identify one client (narrow their match)'), 'the ambiguity in the log');
  });

  it('a fingerprint written as "sha256:<hex>" pins as the openssl form does', async () => {
    const s = await open(serve.url, CI);
    expect(s.status).toBe(200);
  });
});
