/**
 * auth.clientCertificates follows a reload of warden.yaml while `serve` runs (the file is watched;
 * SIGHUP reads it too): a real `serve` over HTTPS with the test CA as server.tls.caFile, requests
 * made with a real TLS client certificate (test/fixtures/tls client.pem, CN=test-client). A new
 * mapping (the file replaced by rename, as deploy tools do) identifies the certificate as its new
 * client from the next request on, without restart; a mapping that does not validate (two entries
 * pinning the same certificate), or a file other users may write, keeps the mapping in force and
 * logs an error naming the problem; a change to another section is not applied and said so; a mapping removed ends the
 * legacy SSE stream its certificate opened (as a revoked key's) and its requests get 401.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INIT_BODY, INITIALIZED_BODY, answerMessages, toolCallBody } from './helpers/keyed-http.js';
import { startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { httpsRequest, pem, tlsFile, type TlsClient } from './helpers/tls.js';
import { until } from './helpers/wait.js';

const q = JSON.stringify;
const CERT: TlsClient = { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' };
const FINGERPRINT = new X509Certificate(pem('client.pem')).fingerprint256;
const session = (id: string) => ({ 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' });

const POLICY = `package mcp.authz

import rego.v1

default allow := false

allow if input.method != "tools/call"

allow if "operator" in input.client.roles

deny contains msg if {
	input.phase == "request"
	input.method == "tools/call"
	not "operator" in input.client.roles
	msg := sprintf("client %s (auth %s) is not an operator", [input.client.id, input.client.auth])
}
`;

/** warden.yaml with this auth.clientCertificates (YAML list text) and server.sessionIdleMs. */
function yaml(dir: string, mapping: string, idleMs = 4000): string {
  return `server:
  sessionIdleMs: ${idleMs}
  tls: { certFile: ${q(tlsFile('server.pem'))}, keyFile: ${q(tlsFile('server.key'))}, caFile: ${q(tlsFile('ca.pem'))} }
backends:
  - { name: t, transport: stdio, command: ${q(process.execPath)}, args: [${q(TEST_BACKEND)}] }
auth:
  clientCertificates: ${mapping}
policy: { paths: [${q(join(dir, 'operators.rego'))}], watch: false }
audit: { enabled: false }
`;
}

/** The config replaced by rename (a new inode), as deploy tools and editors write it. */
function replaceConfig(dir: string, text: string): void {
  writeFileSync(join(dir, 'warden.yaml.new'), text, { mode: 0o600 });
  renameSync(join(dir, 'warden.yaml.new'), join(dir, 'warden.yaml'));
}

/** Opens a session with the certificate and calls echo: the status of initialize, and the call's text (or the refusal body). */
async function callAs(url: string, text: string): Promise<{ status: number; text: string }> {
  const init = await httpsRequest(url, 'POST', INIT_BODY, {}, CERT);
  if (init.status !== 200) return { status: init.status, text: init.body };
  const id = init.headers['mcp-session-id'] as string;
  expect((await httpsRequest(url, 'POST', INITIALIZED_BODY, session(id), CERT)).status).toBe(202);
  const answer = await httpsRequest(url, 'POST', toolCallBody(7, 'echo', { text }), session(id), CERT);
  const result = answerMessages(answer.body)[0]?.result as { content: Array<{ text: string }> } | undefined;
  return { status: answer.status, text: result?.content[0]?.text ?? answer.body };
}

/** A legacy SSE stream opened with the certificate: its text so far, and whether the server ended it. */
function openSseStream(url: string): Promise<{ text: () => string; ended: () => boolean; close: () => void }> {
  return new Promise((resolve, reject) => {
    let text = '';
    let ended = false;
    const req = https.request(url, { method: 'GET', headers: { accept: 'text/event-stream' }, agent: false, ca: pem(CERT.ca!), cert: pem(CERT.cert!), key: pem(CERT.key!) }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`));
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => (ended = true));
      res.on('close', () => (ended = true));
      resolve({ text: () => text, ended: () => ended, close: () => req.destroy() });
    });
    req.on('error', (err) => (text === '' ? reject(err) : undefined));
    req.end();
  });
}

describe('auth.clientCertificates follows a config reload', { timeout: 120_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  const lines = () => serve.stderr().split('\n');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-cert-reload-'));
    writeFileSync(join(dir, 'operators.rego'), POLICY);
    serve = await startServe(yaml(dir, `[{ client: alice, roles: [operator], match: { commonName: test-client } }]`), [], { dir });
  });
  afterAll(async () => {
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('at start the certificate is alice (an operator): the call is allowed', async () => {
    expect(await callAs(serve.url, 'as alice')).toEqual({ status: 200, text: 'a:as alice' });
  });

  it('a new mapping written into the file is in force from the next request on, without restart', async () => {
    replaceConfig(dir, yaml(dir, `[{ client: bob, match: { fingerprint: ${q(FINGERPRINT)} } }]`));
    await until(() => serve.stderr().includes('"clientCertificates":1,"msg":"config reloaded: auth.clientCertificates in force"'), 'the reload line');
    const call = await callAs(serve.url, 'as bob');
    expect(call.text).toContain('client bob (auth certificate) is not an operator');
    expect(serve.stderr()).not.toContain('are not applied while serving');
  });

  it('a mapping that does not validate keeps the one in force, and the error names the entry and the problem', async () => {
    replaceConfig(dir, yaml(dir, `[{ client: bob, match: { fingerprint: ${q(FINGERPRINT)} } }, { client: mallory, roles: [operator], match: { fingerprint: ${q(FINGERPRINT)} } }]`));
    const refusal = 'config reload refused, auth.clientCertificates in force kept: auth.clientCertificates[1].match.fingerprint: the same certificate as entry [0]: one certificate identifies one client';
    await until(() => serve.stderr().includes(refusal), 'the refusal line');
    const line = JSON.parse(lines().find((l) => l.includes(refusal))!) as { level: number; problems: string[] };
    expect(line).toMatchObject({ level: 50, problems: ['auth.clientCertificates[1].match.fingerprint: the same certificate as entry [0]: one certificate identifies one client'] });
    expect((await callAs(serve.url, 'still bob')).text).toContain('client bob (auth certificate) is not an operator');
  });

  it('SIGHUP reads the file again too; a change to another section is said not to be applied', async () => {
    replaceConfig(dir, yaml(dir, `[{ client: bob, match: { fingerprint: ${q(FINGERPRINT)} } }]`, 5000));
    await until(() => serve.stderr().includes('config reloaded: changes to server are not applied while serving (only auth.clientCertificates is); they take effect at the next start'), 'the warn line naming server');
    const before = serve.stderr().length;
    serve.proc.kill('SIGHUP');
    await until(() => serve.stderr().slice(before).includes('"trigger":"SIGHUP","msg":"config reloaded: auth.clientCertificates unchanged"'), 'the SIGHUP reload line');
    expect((await callAs(serve.url, 'bob again')).text).toContain('client bob (auth certificate) is not an operator');
  });

  it('a file other users may write is refused on reload as at start: the mapping in force is kept', async () => {
    const file = join(dir, 'warden.yaml');
    chmodSync(file, 0o666);
    // Written in place (the mode stays): a mapping that would make the certificate an operator.
    writeFileSync(file, yaml(dir, `[{ client: mallory, roles: [operator], match: { commonName: test-client } }]`, 5000));
    await until(() => serve.stderr().includes(`config reload refused, auth.clientCertificates in force kept: ${file}: refused: it is writable by others (mode 0666)`), 'the refusal line');
    expect((await callAs(serve.url, 'not mallory')).text).toContain('client bob (auth certificate) is not an operator');
    chmodSync(file, 0o600);
  });

  it('a mapping removed: the SSE stream the certificate opened is ended, and its requests get 401', async () => {
    const stream = await openSseStream(serve.sseUrl);
    try {
      await until(() => stream.text().includes('event: endpoint'), 'the endpoint event');
      replaceConfig(dir, yaml(dir, '[]'));
      await until(() => serve.stderr().includes('"clientCertificates":0,"msg":"config reloaded: auth.clientCertificates in force"'), 'the reload line');
      await until(() => stream.ended(), 'the stream to be ended');
      const refused = await httpsRequest(serve.url, 'POST', INIT_BODY, {}, CERT);
      expect(refused.status).toBe(401);
    } finally {
      stream.close();
    }
  });
});
