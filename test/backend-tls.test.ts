/**
 * HTTP backends over TLS with their own CA and client certificate (backends[].tls). The backend is
 * a second real `serve`, terminating TLS and requiring client certificates from the test CA
 * (server.tls.caFile); the first `serve` reaches it over Streamable HTTP and legacy SSE with the
 * test CA and the client certificate, and a tool is called through both. Without the backend's CA,
 * without a client certificate, with one from another CA, or with a server name its certificate does not carry, a call fails
 * at once with a clear error (the verification failure), not a hang. `tls` on an http:// URL or a
 * stdio backend is a config error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL_POLICY, CLI, connectHttp, firstText, startServe, tempDir, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { copyTls, tlsFile } from './helpers/tls.js';
import { until } from './helpers/wait.js';

const q = JSON.stringify;
const COMMON = `audit: { enabled: false }\n${ALLOW_ALL_POLICY}`;

describe('HTTP backends over TLS with a private CA and a client certificate', { timeout: 120_000 }, () => {
  let backend: ServeProcess;
  let front: ServeProcess;
  let failing: ServeProcess;
  let client: Client;
  let failingClient: Client;

  beforeAll(async () => {
    backend = await startServe(`server:
  tls: { certFile: ${q(tlsFile('server.pem'))}, keyFile: ${q(tlsFile('server.key'))}, caFile: ${q(tlsFile('ca.pem'))} }
backends:
  - { name: inner, transport: stdio, command: ${q(process.execPath)}, args: [${q(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: inner } }
auth: { anonymous: true }
${COMMON}`);
    // Relative paths: the front's certificate files sit beside its config.
    const dir = await tempDir();
    copyTls(dir, 'ca.pem', 'client.pem', 'client.key');
    const tls = '{ caFile: ca.pem, certFile: client.pem, keyFile: client.key }';
    front = await startServe(
      `backends:
  - { name: viaHttp, transport: streamable-http, url: ${q(backend.url)}, tls: ${tls} }
  - { name: viaSse, transport: sse, url: ${q(backend.sseUrl)}, tls: ${tls} }
auth: { anonymous: true }
${COMMON}`,
      [],
      { dir },
    );
    client = await connectHttp(front.url);
    const url = backend.url.replace('127.0.0.1', 'localhost');
    failing = await startServe(`backends:
  - { name: good, transport: stdio, command: ${q(process.execPath)}, args: [${q(TEST_BACKEND)}] }
  - { name: noCa, transport: streamable-http, url: ${q(url)}, tls: { certFile: ${q(tlsFile('client.pem'))}, keyFile: ${q(tlsFile('client.key'))} } }
  - { name: noCert, transport: streamable-http, url: ${q(url)}, tls: { caFile: ${q(tlsFile('ca.pem'))} } }
  - { name: otherCert, transport: streamable-http, url: ${q(url)}, tls: { caFile: ${q(tlsFile('ca.pem'))}, certFile: ${q(tlsFile('other-client.pem'))}, keyFile: ${q(tlsFile('other-client.key'))} } }
  - { name: wrongName, transport: sse, url: ${q(backend.sseUrl)}, tls: { caFile: ${q(tlsFile('ca.pem'))}, certFile: ${q(tlsFile('client.pem'))}, keyFile: ${q(tlsFile('client.key'))}, serverName: other.example } }
auth: { anonymous: true }
${COMMON}`);
    failingClient = await connectHttp(failing.url);
  });
  afterAll(async () => {
    await client?.close();
    await failingClient?.close();
    await front?.stop();
    await failing?.stop();
    await backend?.stop();
  });

  it('a tool is called through both serves, over Streamable HTTP and legacy SSE', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['viaHttp__echo']));
    expect(firstText(await client.callTool({ name: 'viaHttp__echo', arguments: { text: 'through two' } }))).toBe('inner:through two');
    expect(firstText(await client.callTool({ name: 'viaSse__echo', arguments: { text: 'through sse' } }))).toBe('inner:through sse');
  });

  it('without the backend CA, without a client certificate, with one from another CA, or with a name the certificate lacks: a clear error at once', async () => {
    const started = Date.now();
    const call = (name: string) => failingClient.callTool({ name, arguments: { text: 'x' } }).then(() => 'answered', (e: unknown) => (e as Error).message);
    expect(await call('noCa__echo')).toMatch(/backend 'noCa' is unavailable: .*TLS: the backend's certificate is not trusted \(self-signed certificate in certificate chain\): set backends\[\]\.tls\.caFile to the CA that signed it/);
    expect(await call('noCert__echo')).toMatch(/backend 'noCert' is unavailable: .*TLS: the backend requires a client certificate: set backends\[\]\.tls\.certFile and keyFile/);
    // TLS 1.3: the backend judges our certificate after our side has finished the handshake; its alert
    // may come after the request was sent, and then the connection is simply seen closing.
    expect(await call('otherCert__echo')).toMatch(/backend 'otherCert' is unavailable: .*(TLS: the backend refused our client certificate \(unknown ca\)|socket hang up|ECONNRESET)/);
    expect(await call('wrongName__echo')).toMatch(/backend 'wrongName' is unavailable: .*TLS: Hostname\/IP does not match certificate's altnames: Host: other\.example\. .*\(backends\[\]\.tls\.serverName sets the name expected\)/);
    expect(Date.now() - started).toBeLessThan(15_000);
    // The good backend is served meanwhile.
    expect(firstText(await failingClient.callTool({ name: 'good__echo', arguments: { text: 'still' } }))).toBe('a:still');
    await until(() => backend.stderr().includes('"msg":"http: TLS handshake refused"'), 'the backend to log the refused handshake');
  });

  it('no key material in either log', () => {
    for (const s of [front, failing, backend]) expect(s.stderr()).not.toContain('PRIVATE KEY');
  });
});

describe('backends[].tls config errors', () => {
  function check(backendYaml: string): { status: number | null; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), 'warden-backend-tls-'));
    const file = join(dir, 'warden.yaml');
    writeFileSync(file, `backends:\n  - ${backendYaml}\n`);
    const run = spawnSync(process.execPath, [CLI, 'config', 'check', file], { encoding: 'utf8' });
    return { status: run.status, stderr: run.stderr.replace(file, 'warden.yaml') };
  }

  it('tls on an http:// URL, on a stdio backend, a client certificate without its key, an option to skip verification: exit 3, said', () => {
    expect(check('{ name: b, transport: streamable-http, url: "http://10.0.0.5/mcp", tls: { caFile: ca.pem } }')).toEqual({
      status: 3,
      stderr: 'mcp-warden: invalid configuration:\nwarden.yaml: backends[0].tls: tls needs an https:// url (this backend is reached over plain http, where there is no certificate to verify or present)\n',
    });
    expect(check('{ name: b, transport: stdio, command: x, tls: { caFile: ca.pem } }')).toEqual({
      status: 3,
      stderr: 'mcp-warden: invalid configuration:\nwarden.yaml: backends[0].tls: tls applies to HTTP backends (transport streamable-http or sse) only, not to a stdio backend\n',
    });
    expect(check('{ name: b, transport: sse, url: "https://h/sse", tls: { certFile: c.pem } }').stderr).toContain('backends[0].tls: certFile and keyFile go together');
    expect(check('{ name: b, transport: sse, url: "https://h/sse", tls: { rejectUnauthorized: false } }').stderr).toContain('backends[0].tls: Unrecognized key: "rejectUnauthorized"');
  });

  it('a backend CA file that cannot be read: serve exits 3 naming the setting and the file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'warden.yaml');
    writeFileSync(file, `backends:\n  - { name: b, transport: sse, url: "https://127.0.0.1:1/sse", tls: { caFile: nope.pem } }\nauth: { anonymous: true }\n${COMMON}`);
    const run = spawnSync(process.execPath, [CLI, 'serve', '--config', file, '--port', '0'], { encoding: 'utf8', env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' }, timeout: 30_000 });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 3, stderr: `mcp-warden: backends[0].tls.caFile ${join(dir, 'nope.pem')}: cannot read file: no such file\n` });
  });
});
