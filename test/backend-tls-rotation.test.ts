/**
 * backends[].tls rotation without restart. The backend is a real `serve` over HTTPS that requires
 * a client certificate from the test CA (server.tls.caFile) and identifies its clients by that
 * certificate alone: auth.clientCertificates pins ops-client's fingerprint, nothing else gets in.
 * The front `serve` starts with a client certificate from another CA (the backend's handshake
 * refuses it), then its files are replaced by a certificate from the right CA that the backend does
 * not map (401 from the backend), then by the pinned one: each change is seen without restart, and
 * the last makes calls work, the backend's audit naming the pinned client. Files that are not good
 * (a key that does not belong to the certificate, a certificate file that is not PEM) are refused
 * with an error naming the setting and file, and the previous ones stay in use: calls still work.
 */
import { X509Certificate } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditReader } from '../src/audit/index.js';
import { connectHttp, firstText, startServe, tempDir, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { copyTls, pem, tlsFile } from './helpers/tls.js';
import { until } from './helpers/wait.js';

const q = JSON.stringify;

describe('backends[].tls: a new client certificate is used without restart', { timeout: 120_000 }, () => {
  let backend: ServeProcess;
  let front: ServeProcess;
  let frontDir: string;
  let auditDir: string;

  /** Replaces a file of the front's backend tls as most tools do: a complete new file renamed over it. */
  const replace = (name: string, text: string) => {
    const tmp = join(frontDir, `.${name}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(frontDir, name));
  };
  /** One call through the front in a fresh client session: the text, or the error message. */
  async function call(text: string): Promise<string> {
    let client: Client | undefined;
    try {
      client = await connectHttp(front.url);
      return firstText(await client.callTool({ name: 'echo', arguments: { text } }));
    } catch (err) {
      return `error: ${(err as Error).message}`;
    } finally {
      await client?.close().catch(() => undefined);
    }
  }

  beforeAll(async () => {
    auditDir = await tempDir();
    backend = await startServe(`server:
  tls: { certFile: ${q(tlsFile('server.pem'))}, keyFile: ${q(tlsFile('server.key'))}, caFile: ${q(tlsFile('ca.pem'))} }
backends:
  - { name: inner, transport: stdio, command: ${q(process.execPath)}, args: [${q(TEST_BACKEND)}], env: { TEST_BACKEND_LABEL: inner } }
auth:
  clientCertificates:
    - { client: warden-front, roles: [proxy], match: { fingerprint: ${q(new X509Certificate(pem('ops-client.pem')).fingerprint256)} } }
policy: { paths: [allow-all], watch: false }
audit: { path: ${q(join(auditDir, 'audit.db'))}, flushIntervalMs: 10 }
`);
    frontDir = await tempDir();
    copyTls(frontDir, 'ca.pem', ['other-client.pem', 'client.crt'], ['other-client.key', 'client.key']);
    front = await startServe(
      `backends:
  - { name: b, transport: streamable-http, url: ${q(backend.url)}, tls: { caFile: ca.pem, certFile: client.crt, keyFile: client.key } }
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`,
      [],
      { dir: frontDir },
    );
  });
  afterAll(async () => {
    await front?.stop();
    await backend?.stop();
  });

  it('a certificate from another CA: the backend refuses the handshake', async () => {
    // TLS 1.3: the backend's alert may come after our request was sent; then the connection is only seen closing.
    expect(await call('first')).toMatch(/backend 'b' is unavailable: .*(refused our client certificate|socket hang up|ECONNRESET)/);
    await until(() => backend.stderr().includes('"msg":"http: TLS handshake refused"'), 'the backend to log the refused handshake');
  });

  it('replaced by one from the right CA that the backend does not map: seen without restart, the backend now answers 401', async () => {
    replace('client.key', pem('client.key'));
    replace('client.crt', pem('client.pem'));
    await until(() => /"backend":"b","setting":"backends\[0\]\.tls","certificate":\{"subject":"CN=test-client","issuer":"CN=mcp-warden test CA","serial":"2001"[^}]*\},"msg":"tls: backend TLS files in force for new connections"/.test(front.stderr()), 'the new client certificate in force');
    expect(await call('second')).toMatch(/backend 'b' is unavailable: backend answered HTTP 401: .*authentication required \(the client certificate is not one auth\.clientCertificates maps to a client\)/);
  });

  it('replaced by the certificate the backend pins: calls work, and the backend knows the front by it', async () => {
    replace('client.key', pem('ops-client.key'));
    replace('client.crt', pem('ops-client.pem'));
    await until(() => front.stderr().includes('"serial":"2003"'), 'the pinned certificate in force');
    expect(await call('third')).toBe('inner:third');
    const audit = openAuditReader(join(auditDir, 'audit.db'));
    try {
      await until(() => audit.query({ method: 'tools/call', limit: 10 }).rows.length > 0, 'the backend audit row');
      expect(audit.query({ method: 'tools/call', limit: 10 }).rows[0]).toMatchObject({ clientId: 'warden-front', authMethod: 'certificate', roles: ['proxy'] });
    } finally {
      audit.close();
    }
  });

  it('a key that does not belong to the certificate, or a certificate file that is not PEM: refused naming the file, the previous ones still used', async () => {
    replace('client.key', pem('client.key'));
    const mismatch = `tls: new backends[0].tls files not used, backend b is still connected to with the previous ones: backends[0].tls.keyFile ${join(frontDir, 'client.key')}: does not match the certificate in ${join(frontDir, 'client.crt')}`;
    await until(() => front.stderr().includes(mismatch), 'the mismatch refused');
    expect(await call('still')).toBe('inner:still');
    replace('client.key', pem('ops-client.key'));
    replace('client.crt', 'not a certificate\n');
    await until(() => front.stderr().includes(`backends[0].tls.certFile ${join(frontDir, 'client.crt')}: no PEM certificate in it`), 'the damaged file refused');
    expect(await call('again')).toBe('inner:again');
    expect(front.stderr()).not.toContain('PRIVATE KEY');
  });
});
