/**
 * auth.jwt.jwksCaFile: the JWKS of an identity provider whose certificate comes from a private CA.
 * A real https JWKS server with the test CA's server certificate (test/fixtures/tls): with the CA
 * file the key set is fetched and a token signed by it is accepted; without it (system CAs only), or
 * with another CA, the token is refused with a 401 saying the JWKS server's certificate is not
 * trusted, and the warn line names the fix (auth.jwt.jwksCaFile). The file follows the rule of every
 * TLS file: writable by others is refused at start (and by `config check`, exit 3), as is one that
 * holds no certificate; the setting needs an https jwksUrl.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator, JwtConfigError } from '../src/identity/index.js';
import type { AuthResult } from '../src/types.js';
import { keptLogger } from './helpers/kept-logger.js';
import { CLI, tempDir } from './helpers/proxy.js';
import { copyTls, pem } from './helpers/tls.js';

const AUD = 'https://warden.test/mcp';
const http = (token: string) => ({ transport: 'streamable-http' as const, headers: { authorization: `Bearer ${token}` } });

let server: https.Server;
let jwksUrl: string;
let fetches = 0;
let sign: (sub: string) => Promise<string>;
let dir: string;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  sign = (sub) => new SignJWT({ sub }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setAudience(AUD).setExpirationTime('5m').sign(privateKey);
  server = https.createServer({ cert: pem('server.pem'), key: pem('server.key') }, (req, res) => {
    fetches++;
    if (req.url === '/hang') return; // never answers
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `https://localhost:${(server.address() as AddressInfo).port}/jwks.json`;
  dir = await tempDir();
  copyTls(dir, 'ca.pem', 'other-ca.pem');
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function auth(extra: Record<string, unknown> = {}) {
  const { logger, lines } = keptLogger();
  const config = authSchema.parse({ jwt: { jwksUrl, audience: AUD, jwksTimeoutMs: 1000, ...extra } });
  return { auth: createAuthenticator(config, { env: {}, baseDir: dir, logger }), lines };
}

function refusal(result: AuthResult): { status: number; message: string } {
  if (result.ok) throw new Error(`expected a refusal, got client ${result.client.id}`);
  return result;
}

describe('auth.jwt.jwksCaFile: a JWKS server with a certificate from a private CA', { timeout: 30_000 }, () => {
  it('with the CA file: the key set is fetched over https and the token accepted', async () => {
    const before = fetches;
    const { auth: a } = auth({ jwksCaFile: 'ca.pem' });
    const result = await a.authenticate(http(await sign('alice')));
    expect(result.ok && result.client).toMatchObject({ id: 'alice', auth: 'jwt', credentialId: 'k1' });
    expect(fetches).toBe(before + 1);
  });

  it('a JWKS server that never answers: the fetch ends at jwksTimeoutMs, 401 saying it timed out', async () => {
    const { auth: a } = auth({ jwksCaFile: 'ca.pem', jwksUrl: jwksUrl.replace('/jwks.json', '/hang') });
    const started = Date.now();
    const r = refusal(await a.authenticate(http(await sign('alice'))));
    expect(r).toMatchObject({ status: 401, message: 'token signing keys unavailable (key set fetch timed out)' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('without it (system CAs only): 401, the certificate is not trusted, and the warn line names auth.jwt.jwksCaFile', async () => {
    const { auth: a, lines } = auth();
    const r = refusal(await a.authenticate(http(await sign('alice'))));
    expect(r).toMatchObject({ status: 401, message: "token signing keys unavailable (the JWKS server's certificate is not trusted)" });
    const warn = lines.find((l) => l.msg === 'JWT refused: signing keys unavailable');
    expect(warn).toMatchObject({ level: 40, detail: "the JWKS server's certificate is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): set auth.jwt.jwksCaFile to the CA that signed it (an identity provider with a private CA)" });
  });

  it('with another CA in the file: 401, and the warn line says the file does not hold the CA that signed it', async () => {
    const { auth: a, lines } = auth({ jwksCaFile: 'other-ca.pem' });
    const r = refusal(await a.authenticate(http(await sign('alice'))));
    expect(r.message).toBe("token signing keys unavailable (the JWKS server's certificate is not trusted)");
    expect(lines.find((l) => l.msg === 'JWT refused: signing keys unavailable')?.detail).toMatch(/^the JWKS server's certificate is not trusted \(\w+\): auth\.jwt\.jwksCaFile does not hold the CA that signed it$/);
  });

  it('a CA file other users may write is refused at start, naming the fix; one without a certificate or missing too', async () => {
    const d = await tempDir();
    copyTls(d, 'ca.pem');
    chmodSync(join(d, 'ca.pem'), 0o666);
    const parse = (file: string) => authSchema.parse({ jwt: { jwksUrl, audience: AUD, jwksCaFile: file } });
    expect(() => createAuthenticator(parse('ca.pem'), { env: {}, baseDir: d })).toThrow(
      new JwtConfigError(`auth.jwt.jwksCaFile ${join(d, 'ca.pem')}: refused: it is writable by others (mode 0666): whoever can write it chooses which server may hand out the token signing keys; fix: chmod go-w ${join(d, 'ca.pem')}`),
    );
    writeFileSync(join(d, 'empty.pem'), 'not a certificate\n', { mode: 0o644 });
    expect(() => createAuthenticator(parse('empty.pem'), { env: {}, baseDir: d })).toThrow(`auth.jwt.jwksCaFile ${join(d, 'empty.pem')}: no PEM certificate in it`);
    expect(() => createAuthenticator(parse('nope.pem'), { env: {}, baseDir: d })).toThrow(`auth.jwt.jwksCaFile ${join(d, 'nope.pem')}: cannot read file: no such file`);
  });

  it('needs an https jwksUrl', () => {
    const r = authSchema.safeParse({ jwt: { jwksUrl: 'http://localhost:1/jwks.json', audience: AUD, jwksCaFile: 'ca.pem' } });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([expect.objectContaining({ path: ['jwt', 'jwksCaFile'], message: "jwksCaFile needs an https jwksUrl (it is the CA the JWKS server's certificate must chain to)" })]);
  });

  it('config check reads it as serve does: ok when good, exit 3 naming the file when others may write it', async () => {
    const d = await tempDir();
    copyTls(d, 'ca.pem');
    const file = join(d, 'warden.yaml');
    writeFileSync(file, `backends: [{ name: b, transport: stdio, command: "true" }]\nauth:\n  jwt: { jwksUrl: "${jwksUrl}", audience: "${AUD}", issuer: https://idp.test, jwksCaFile: ca.pem }\n`, { mode: 0o600 });
    const run = () => spawnSync(process.execPath, [CLI, 'config', 'check', file], { encoding: 'utf8', timeout: 30_000 });
    expect(run()).toMatchObject({ status: 0, stderr: `${file}: ok (1 backend)\n` });
    chmodSync(join(d, 'ca.pem'), 0o666);
    expect(run()).toMatchObject({ status: 3, stderr: `mcp-warden: auth.jwt.jwksCaFile ${join(d, 'ca.pem')}: refused: it is writable by others (mode 0666): whoever can write it chooses which server may hand out the token signing keys; fix: chmod go-w ${join(d, 'ca.pem')}\n` });
  });
});
