/**
 * server.tls certificate rotation without restart. A real `serve` whose certificate files sit
 * beside its config (named by relative paths); the test replaces them while it runs. New
 * connections see the new certificate's serial once it is in force (logged with its subject,
 * serial and notAfter); files that cannot be used (a damaged certificate, a key that does not match
 * it, a half-written pair) leave the previous certificate served, with an error naming the file;
 * a connection opened before a rotation goes on working.
 */
import { renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INIT_BODY, POST_HEADERS } from './helpers/keyed-http.js';
import { ALLOW_ALL_POLICY, startServe, tempDir, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { copyTls, pem, peerSerial } from './helpers/tls.js';
import { until } from './helpers/wait.js';

describe('serve: the TLS certificate is rotated when its files change', { timeout: 90_000 }, () => {
  let serve: ServeProcess;
  let dir: string;
  /** Writes a file whole, as a deployment tool does: a new file renamed over the old one. */
  const replace = (name: string, text: string) => {
    writeFileSync(join(dir, `${name}.tmp`), text);
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
  };
  const errorsFor = (file: string) => serve.stderr().split('\n').filter((l) => l.includes('"level":50') && l.includes(`"file":${JSON.stringify(join(dir, file))}`));

  beforeAll(async () => {
    dir = await tempDir();
    copyTls(dir, ['server.pem', 'tls.crt'], ['server.key', 'tls.key']);
    serve = await startServe(
      `server: { tls: { certFile: tls.crt, keyFile: tls.key } }
backends:
  - { name: t, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`,
      [],
      { dir },
    );
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('replaced cert and key: new connections get the new certificate, an open connection goes on', async () => {
    expect(await peerSerial(serve.url)).toBe('1001');
    // A keep-alive connection made with the first certificate.
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: pem('ca.pem') });
    const post = () =>
      new Promise<{ status: number; serial: string }>((resolve, reject) => {
        const req = https.request(serve.url, { method: 'POST', headers: POST_HEADERS, agent }, (res) => {
          const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, serial }));
        });
        req.on('error', reject);
        req.end(INIT_BODY);
      });
    expect(await post()).toEqual({ status: 200, serial: '1001' });

    // Key first, then certificate: in between, the pair does not match (an error at most, never served).
    replace('tls.key', pem('server2.key'));
    replace('tls.crt', pem('server2.pem'));
    await until(async () => (await peerSerial(serve.url)) === '1002', 'new connections to see serial 1002');
    // The log line is written with the swap but reaches our pipe a moment later (the logger's writes are asynchronous).
    const inForce = /"component":"tls","subject":"CN=localhost","issuer":"CN=mcp-warden test CA","serial":"1002","notAfter":"2126-[^"]+","clientCertificates":false,"msg":"tls: new certificate in force"/;
    await until(() => inForce.test(serve.stderr()), 'the new certificate in the log');
    expect(serve.stderr()).not.toContain('PRIVATE KEY');
    // The connection made before goes on with the certificate it was made with.
    expect(await post()).toEqual({ status: 200, serial: '1001' });
    agent.destroy();
  });

  it('a damaged certificate: the previous one is still served, an error names the file', async () => {
    replace('tls.crt', `${pem('server.pem').slice(0, 200)}\n-----END CERTIFICATE-----\n`);
    await until(() => errorsFor('tls.crt').length > 0, 'an error naming tls.crt');
    expect(errorsFor('tls.crt')[0]).toContain('"setting":"server.tls.certFile"');
    expect(errorsFor('tls.crt')[0]).toContain('still serving the previous certificate');
    expect(await peerSerial(serve.url)).toBe('1002');
  });

  it('a certificate that does not match the key: the previous one is still served, an error names the key file; good files again are used', async () => {
    replace('tls.crt', pem('server.pem')); // serial 1001, while tls.key is server2's key
    await until(() => errorsFor('tls.key').some((l) => l.includes('does not match the certificate')), 'an error naming tls.key');
    expect(await peerSerial(serve.url)).toBe('1002');
    replace('tls.key', pem('server.key'));
    await until(async () => (await peerSerial(serve.url)) === '1001', 'the matching pair to be used');
  });
});
