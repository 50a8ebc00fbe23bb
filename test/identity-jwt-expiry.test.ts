/**
 * A JWT without `exp` never expires: jose accepts it unless told to require the claim, so a token
 * minted without one (a script, a misconfigured issuer, a leaked service token) stayed valid until
 * the signing key itself was rotated. RFC 9068 (JWT access tokens) makes `exp` REQUIRED and has the
 * resource server check it; mcp-warden refuses such a token with 401 invalid_token unless
 * auth.jwt.requireExp is false. Real jose signatures (HS256 and ES256 with a PEM key), the real
 * authenticator.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator } from '../src/identity/index.js';
import type { AuthResult } from '../src/types.js';

const SECRET = 'jwt-expiry-secret-0123456789-abcdefghijklmnop';
const AUD = 'https://warden.test/mcp';
const http = (token: string) => ({ transport: 'streamable-http' as const, headers: { authorization: `Bearer ${token}` } });
const enc = new TextEncoder();

async function settle(result: AuthResult | Promise<AuthResult>): Promise<AuthResult> {
  return result;
}

describe('JWT without an expiry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-jwt-exp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('HS256: a token with no exp is refused (401 invalid_token, says why); with exp it is accepted', async () => {
    const auth = createAuthenticator(authSchema.parse({ jwt: { secret: SECRET, audience: AUD } }), { env: {} });
    const forever = await new SignJWT({ sub: 'ci-bot', roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setAudience(AUD).setIssuedAt().sign(enc.encode(SECRET));
    const refused = await settle(auth.authenticate(http(forever)));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.status).toBe(401);
    expect(refused.message).toBe('token has no expiry (exp claim)');
    expect(refused.wwwAuthenticate).toContain('error="invalid_token"');
    const bounded = await new SignJWT({ sub: 'ci-bot' }).setProtectedHeader({ alg: 'HS256' }).setAudience(AUD).setExpirationTime('5m').sign(enc.encode(SECRET));
    expect((await settle(auth.authenticate(http(bounded)))).ok).toBe(true);
    auth.close();
  });

  it('ES256 with a PEM public key: the same', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const pem = join(dir, 'es256.pem');
    writeFileSync(pem, await exportSPKI(publicKey));
    const auth = createAuthenticator(authSchema.parse({ jwt: { publicKey: pem, audience: AUD } }), { env: {} });
    const forever = await new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg: 'ES256' }).setAudience(AUD).sign(privateKey);
    const refused = await settle(auth.authenticate(http(forever)));
    expect(refused.ok ? 'accepted' : refused.message).toBe('token has no expiry (exp claim)');
    auth.close();
  });

  it('auth.jwt.requireExp: false accepts it (an explicit choice in the config)', async () => {
    const auth = createAuthenticator(authSchema.parse({ jwt: { secret: SECRET, audience: AUD, requireExp: false } }), { env: {} });
    const forever = await new SignJWT({ sub: 'ci-bot' }).setProtectedHeader({ alg: 'HS256' }).setAudience(AUD).sign(enc.encode(SECRET));
    expect((await settle(auth.authenticate(http(forever)))).ok).toBe(true);
    auth.close();
  });
});
