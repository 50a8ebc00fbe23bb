/**
 * A JWT whose `iat` (issued at) is in the future: jose checks iat only when given maxTokenAge, so
 * such a token was accepted. A token claiming to be issued after now comes from an issuer whose
 * clock is wrong, or was minted ahead of time (to be used after a later key rotation or revocation
 * sweep); RFC 7519 4.1.6 makes iat the time the token was issued. It is now refused with 401
 * invalid_token beyond auth.jwt.clockSkewSec (the same allowance as exp and nbf). Real jose
 * signatures, the real authenticator.
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator } from '../src/identity/index.js';

const SECRET = 'jwt-iat-secret-0123456789-abcdefghijklmnopqrs';
const AUD = 'https://warden.test/mcp';
const http = (token: string) => ({ transport: 'streamable-http' as const, headers: { authorization: `Bearer ${token}` } });
const enc = new TextEncoder();
const now = () => Math.floor(Date.now() / 1000);

function token(iat: number | undefined): Promise<string> {
  const jwt = new SignJWT({ sub: 'ci-bot', roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setAudience(AUD).setExpirationTime(now() + 7200);
  if (iat !== undefined) jwt.setIssuedAt(iat);
  return jwt.sign(enc.encode(SECRET));
}

describe('JWT issued in the future (iat)', () => {
  it('refuses iat an hour ahead (401 invalid_token, says why); accepts iat within the clock skew, in the past, or absent', async () => {
    const auth = createAuthenticator(authSchema.parse({ jwt: { secret: SECRET, audience: AUD } }), { env: {} });
    const ahead = await auth.authenticate(http(await token(now() + 3600)));
    expect(ahead.ok).toBe(false);
    if (ahead.ok) return;
    expect(ahead.status).toBe(401);
    expect(ahead.message).toBe('token issued in the future (iat)');
    expect(ahead.wwwAuthenticate).toContain('error="invalid_token"');
    // clockSkewSec is 30 by default: 10 s ahead is a clock difference, not a forgery.
    expect((await auth.authenticate(http(await token(now() + 10)))).ok).toBe(true);
    expect((await auth.authenticate(http(await token(now() - 60)))).ok).toBe(true);
    expect((await auth.authenticate(http(await token(undefined)))).ok).toBe(true);
    auth.close();
  });

  it('the allowance is auth.jwt.clockSkewSec: with 0, a token 10 s ahead is refused', async () => {
    const auth = createAuthenticator(authSchema.parse({ jwt: { secret: SECRET, audience: AUD, clockSkewSec: 0 } }), { env: {} });
    const ahead = await auth.authenticate(http(await token(now() + 10)));
    expect(ahead.ok ? 'accepted' : ahead.message).toBe('token issued in the future (iat)');
    auth.close();
  });
});
