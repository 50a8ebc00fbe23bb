/**
 * `mcp-warden config check` (and so serve, which loads the config the same way) on
 * auth.clientCertificates: entries without server.tls.caFile are refused (only a certificate the
 * handshake verified against that CA may identify; without it no certificate is even asked for);
 * an entry without a selector, a fingerprint in neither accepted form, an unknown selector, a
 * client id mcp-warden keeps for itself, two entries pinning one certificate or selecting the same
 * names: each exit 3 with one line naming the entry and what is wrong. Good entries pass.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir } from './helpers/proxy.js';
import { copyTls } from './helpers/tls.js';

const BACKEND = 'backends:\n  - { name: b, transport: stdio, command: x }\n';
const WITH_CA = 'server: { tls: { certFile: server.pem, keyFile: server.key, caFile: ca.pem } }\n';
const FP_HEX = '0fc73cc6e499ece0ffd5b2117514d6436b87ae93adb8795acb3c5513e3ccdfd3';
const FP_OPENSSL = '0F:C7:3C:C6:E4:99:EC:E0:FF:D5:B2:11:75:14:D6:43:6B:87:AE:93:AD:B8:79:5A:CB:3C:55:13:E3:CC:DF:D3';

async function check(yaml: string): Promise<{ status: number | null; stderr: string }> {
  const dir = await tempDir();
  copyTls(dir, 'server.pem', 'server.key', 'ca.pem');
  // Owner-only, as a deployed key should be (one readable by everyone is a warning: secret-file-modes).
  chmodSync(join(dir, 'server.key'), 0o600);
  const file = join(dir, 'warden.yaml');
  writeFileSync(file, BACKEND + yaml);
  const run = spawnSync(process.execPath, [CLI, 'config', 'check', file], { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stderr: run.stderr.split(file).join('warden.yaml') };
}

const invalid = (...lines: string[]) => ({ status: 3, stderr: `mcp-warden: invalid configuration:\n${lines.map((l) => `warden.yaml: ${l}\n`).join('')}` });

describe('config check: auth.clientCertificates', { timeout: 60_000 }, () => {
  it('without server.tls.caFile (no TLS, or TLS without a client CA): refused, saying why', async () => {
    const why = 'auth.clientCertificates: needs server.tls.caFile: only a client certificate the TLS handshake verified against that CA can identify a client (without it serve asks for no certificate)';
    expect(await check('auth: { clientCertificates: [{ client: a, match: { commonName: a } }] }\n')).toEqual(invalid(why));
    expect(await check('server: { tls: { certFile: server.pem, keyFile: server.key } }\nauth: { clientCertificates: [{ client: a, match: { commonName: a } }] }\n')).toEqual(invalid(why));
  });

  it('an entry without a selector, a damaged fingerprint, an unknown selector, roles not a list, a reserved client id: one line each', async () => {
    const run = await check(`${WITH_CA}auth:
  clientCertificates:
    - { client: a, match: {} }
    - { client: anonymous, match: { commonName: x } }
    - { client: "local:bob", match: { commonName: y } }
    - { client: b, match: { fingerprint: "AB:CD" } }
    - { client: g, match: { serial: "01", commonName: z } }
    - { client: h, roles: operator, match: { email: a@b } }
`);
    expect(run).toEqual(
      invalid(
        'auth.clientCertificates[0].match: give at least one of fingerprint, commonName, dns, uri, email',
        'auth.clientCertificates[1].client: the client ids "anonymous" and "local:*" are mcp-warden\'s own',
        'auth.clientCertificates[2].client: the client ids "anonymous" and "local:*" are mcp-warden\'s own',
        'auth.clientCertificates[3].match.fingerprint: expected "sha256:" and 64 hex digits, or 32 colon-separated hex pairs as `openssl x509 -noout -fingerprint -sha256` prints them',
        'auth.clientCertificates[4].match: Unrecognized key: "serial"',
        'auth.clientCertificates[5].roles: Invalid input: expected array, received string',
      ),
    );
  });

  it('one certificate pinned twice (in either form), two entries selecting the same names, auth.stdioClient.id: refused', async () => {
    const run = await check(`${WITH_CA}auth:
  stdioClient: { id: me }
  clientCertificates:
    - { client: c, match: { fingerprint: "sha256:${FP_HEX}" } }
    - { client: d, match: { fingerprint: "${FP_OPENSSL}", commonName: x } }
    - { client: e, match: { dns: A.example } }
    - { client: f, match: { dns: a.EXAMPLE } }
    - { client: me, match: { uri: "spiffe://x" } }
`);
    expect(run).toEqual(
      invalid(
        'auth.clientCertificates[1].match.fingerprint: the same certificate as entry [0]: one certificate identifies one client',
        'auth.clientCertificates[3].match: selects the same certificates as entry [2]: one certificate identifies one client',
        'auth.clientCertificates[4].client: "me" is auth.stdioClient.id, mcp-warden\'s own id for a local stdio client',
      ),
    );
  });

  it('good entries with server.tls.caFile: ok', async () => {
    const run = await check(`${WITH_CA}auth:
  clientCertificates:
    - { client: a, name: A, roles: [x], match: { fingerprint: "sha256:${FP_HEX}", commonName: ci-runner } }
    - { client: b, match: { uri: "spiffe://warden.test/b" } }
    - { client: b, match: { dns: b.internal, email: b@warden.test } }
`);
    expect(run).toEqual({ status: 0, stderr: 'warden.yaml: ok (1 backend)\n' });
  });
});
