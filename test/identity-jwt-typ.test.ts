/**
 * A JWT's `typ` header (RFC 7515 4.1.9, RFC 8725 3.11): an issuer signs more than access tokens with
 * the same keys (DPoP proofs "dpop+jwt", OpenID back-channel logout tokens "logout+jwt", security
 * event tokens "secevent+jwt"). Such a token carries sub, aud and exp too, so it was accepted as a
 * credential. Now a token whose typ is not in auth.jwt.acceptedTypes (default JWT and at+jwt,
 * case-insensitive, "application/" ignored) is refused with 401 invalid_token saying so; a token
 * without typ is accepted unless auth.jwt.requireTyp. Real jose signatures, the real authenticator
 * behind the real HTTP frontend, requests over real HTTP.
 */
import { generateKeyPair, SignJWT, type JWTHeaderParameters } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator } from '../src/identity/index.js';
import { initializeBody, MCP_HEADERS, raw, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';

const SECRET = 'jwt-typ-secret-0123456789-abcdefghijklmnopq';
const AUD = 'https://warden.test/mcp';
const enc = new TextEncoder();

function hsToken(typ: unknown, sub = 'alice'): Promise<string> {
  const header = { alg: 'HS256', ...(typ === undefined ? {} : { typ }) } as JWTHeaderParameters;
  return new SignJWT({ sub }).setProtectedHeader(header).setIssuedAt().setAudience(AUD).setExpirationTime('5m').sign(enc.encode(SECRET));
}

async function initialize(url: string, token: string) {
  const r = await raw(url, { headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: initializeBody() });
  return { status: r.status, challenge: r.headers['www-authenticate'] as string | undefined, message: r.status === 200 ? '' : (r.json().error.message as string) };
}

describe('JWT typ header (default: absent, JWT or at+jwt)', () => {
  let started: StartedFrontend;
  beforeAll(async () => {
    started = await startFrontend({}, createAuthenticator(authSchema.parse({ jwt: { secret: SECRET, audience: AUD } }), { env: {} }));
  });
  afterAll(() => started.frontend.close());

  it.each([[undefined], ['JWT'], ['jwt'], ['at+jwt'], ['AT+JWT'], ['application/at+jwt'], ['Application/At+JWT']])('typ %s: accepted', async (typ) => {
    expect(await initialize(started.url, await hsToken(typ))).toMatchObject({ status: 200 });
  });

  it.each([['dpop+jwt'], ['logout+jwt'], ['secevent+jwt'], ['application/dpop+jwt'], ['id_token+jwt']])('typ %s: 401 invalid_token naming the type', async (typ) => {
    const r = await initialize(started.url, await hsToken(typ));
    const reason = `token type '${typ}' not accepted: not an access token (typ header; accepted: JWT, at+jwt, or none)`;
    expect(r).toMatchObject({ status: 401, message: reason });
    expect(r.challenge).toContain('error="invalid_token"');
    expect(r.challenge).toContain(`error_description="${reason}"`);
  });

  it('a typ that is not a plain media type (or not a string) is refused without echoing it', async () => {
    for (const typ of ['at+jwt"; error="x', 'x'.repeat(60), 42, ['at+jwt']]) {
      const r = await initialize(started.url, await hsToken(typ));
      expect(r).toMatchObject({ status: 401, message: 'token type not accepted: not an access token (typ header; accepted: JWT, at+jwt, or none)' });
    }
  });

  it('the signature is checked first: a forged token of another type is refused as forged', async () => {
    const forged = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt' }).setAudience(AUD).setExpirationTime('5m').sign(enc.encode(`${SECRET}-other`));
    expect(await initialize(started.url, forged)).toMatchObject({ status: 401, message: 'token signature invalid' });
  });
});

describe('JWT typ header, configured (acceptedTypes, requireTyp)', () => {
  let started: StartedFrontend;
  let sign: (typ: string | undefined) => Promise<string>;
  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { exportSPKI } = await import('jose');
    const pem = await exportSPKI(publicKey);
    sign = (typ) => new SignJWT({ sub: 'ci-bot' }).setProtectedHeader({ alg: 'ES256', ...(typ === undefined ? {} : { typ }) }).setAudience(AUD).setExpirationTime('5m').sign(privateKey);
    const auth = authSchema.parse({ jwt: { publicKey: pem, audience: AUD, acceptedTypes: ['application/at+jwt'], requireTyp: true } });
    started = await startFrontend({}, createAuthenticator(auth, { env: {} }));
  });
  afterAll(() => started.frontend.close());

  it('only the listed types; a token without typ is refused', async () => {
    expect(await initialize(started.url, await sign('at+jwt'))).toMatchObject({ status: 200 });
    expect(await initialize(started.url, await sign('APPLICATION/AT+JWT'))).toMatchObject({ status: 200 });
    expect(await initialize(started.url, await sign('JWT'))).toMatchObject({ status: 401, message: "token type 'JWT' not accepted: not an access token (typ header; accepted: application/at+jwt)" });
    expect(await initialize(started.url, await sign(undefined))).toMatchObject({ status: 401, message: 'token has no type (typ header; accepted: application/at+jwt)' });
  });

  it('the config refuses an entry that is not a media type, and an empty list', () => {
    expect(authSchema.safeParse({ jwt: { secret: SECRET, audience: AUD, acceptedTypes: ['at jwt'] } }).error?.issues[0]?.message).toBe('expected a media type such as "at+jwt" or "JWT"');
    expect(authSchema.safeParse({ jwt: { secret: SECRET, audience: AUD, acceptedTypes: [] } }).success).toBe(false);
  });
});
