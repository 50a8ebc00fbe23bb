import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator, JwtConfigError } from '../src/identity/index.js';
import type { AuthResult, Authenticator } from '../src/types.js';

const SECRET = 'jwt-test-secret-0123456789-abcdefghijklmnop';
const AUD = 'https://warden.test/mcp';
const ISS = 'https://issuer.test';

const http = (token: string) => ({ transport: 'streamable-http' as const, headers: { authorization: `Bearer ${token}` } });

async function hs(claims: JWTPayload, opts: { alg?: string; secret?: string; exp?: string | number; aud?: string; iss?: string; nbf?: number } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256' }).setIssuedAt().setAudience(opts.aud ?? AUD).setIssuer(opts.iss ?? ISS).setExpirationTime(opts.exp ?? '5m');
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function refusal(result: AuthResult): { status: number; message: string; wwwAuthenticate?: string } {
  if (result.ok) throw new Error(`expected a refusal, got client ${result.client.id}`);
  return result;
}

function hsAuth(jwt: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Authenticator {
  return createAuthenticator(authSchema.parse({ jwt: { secret: SECRET, audience: AUD, issuer: ISS, ...jwt }, ...extra }), { env: {} });
}

describe('JWT (HS256 shared secret)', () => {
  const auth = hsAuth();

  it('accepts a valid token: sub is the client id, roles from `roles`, claims reach the identity (not the token)', async () => {
    const token = await hs({ sub: 'alice', name: 'Alice', roles: ['admin'], jti: 'tok-1' });
    const result = await auth.authenticate(http(token));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.client).toMatchObject({ id: 'alice', name: 'Alice', auth: 'jwt', roles: ['admin'], credentialId: 'tok-1' });
    expect(result.client.claims).toMatchObject({ sub: 'alice', aud: AUD, iss: ISS });
    expect(JSON.stringify(result.client)).not.toContain(token);
  });

  it.each([
    ['bad signature', () => hs({ sub: 'a' }, { secret: 'another-secret-0123456789-abcdefghijklmnop' }), 'token signature invalid'],
    ['wrong aud', () => hs({ sub: 'a' }, { aud: 'https://other.test/mcp' }), 'token audience not accepted'],
    ['wrong iss', () => hs({ sub: 'a' }, { iss: 'https://evil.test' }), 'token issuer not accepted'],
    ['expired exp', () => hs({ sub: 'a' }, { exp: Math.floor(Date.now() / 1000) - 120 }), 'token expired'],
    ['nbf in the future', () => hs({ sub: 'a' }, { nbf: Math.floor(Date.now() / 1000) + 600 }), 'token not yet valid'],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'a', aud: AUD, iss: ISS, exp: 9999999999 })}.`, 'unsigned token (alg none) refused'],
    ['alg not in the allowlist', () => hs({ sub: 'a' }, { alg: 'HS512' }), 'token algorithm not allowed'],
    ['no sub', () => hs({}), 'token has no sub claim'],
    ['garbage shaped like a JWT', async () => 'eyJhbGciOi.eyJzdWIi.c2ln', 'malformed token'],
  ])('%s: 401 invalid_token', async (_name, makeToken, message) => {
    const strict = hsAuth({ algorithms: ['HS256'] });
    const token = await makeToken();
    const r = refusal(await strict.authenticate(http(token)));
    expect(r).toMatchObject({ status: 401, message });
    expect(r.wwwAuthenticate).toContain('error="invalid_token"');
    expect(JSON.stringify(r)).not.toContain(token);
  });

  it('clock skew: a token expired 10s ago passes with the default 30s skew, not with 0', async () => {
    const token = await hs({ sub: 'a' }, { exp: Math.floor(Date.now() / 1000) - 10 });
    expect((await auth.authenticate(http(token))).ok).toBe(true);
    expect(refusal(await hsAuth({ clockSkewSec: 0 }).authenticate(http(token))).message).toBe('token expired');
  });

  it('a verified token is remembered, but never past its exp', async () => {
    const a = hsAuth({ clockSkewSec: 0 });
    // At least two whole seconds of validity left, whatever the sub-second phase of the clock (the
    // first verification must finish before exp, on a busy host too).
    const exp = Math.floor(Date.now() / 1000) + 3;
    const token = await hs({ sub: 'short' }, { exp });
    const first = a.authenticate(http(token));
    expect(first).toBeInstanceOf(Promise); // verified
    expect((await first).ok).toBe(true);
    const second = a.authenticate({ ...http(token), address: '10.0.0.1' });
    expect(second).not.toBeInstanceOf(Promise); // from the cache
    expect((second as AuthResult).ok && (second as { client: { address?: string } }).client.address).toBe('10.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    expect(refusal(await a.authenticate(http(token))).message).toBe('token expired');
  });

  it('stdio: a JWT in MCP_WARDEN_API_KEY is verified like a Bearer token', async () => {
    const config = authSchema.parse({ jwt: { secret: SECRET, audience: AUD, issuer: ISS } });
    const good = await createAuthenticator(config, { env: { MCP_WARDEN_API_KEY: await hs({ sub: 'desk', roles: ['admin'] }) } }).authenticate({ transport: 'stdio', headers: {} });
    expect(good.ok && good.client).toMatchObject({ id: 'desk', auth: 'jwt', roles: ['admin'] });
    const bad = await createAuthenticator(config, { env: { MCP_WARDEN_API_KEY: await hs({ sub: 'desk' }, { aud: 'other' }) } }).authenticate({ transport: 'stdio', headers: {} });
    expect(refusal(bad).message).toBe('token audience not accepted');
  });

  it('roles claim is configurable: groups, realm_access.roles (dotted), scope (space-separated); client id claim too', async () => {
    const claims = { sub: 'u1', email: 'u1@example.test', groups: ['g1', 'g2'], realm_access: { roles: ['r1'] }, scope: 'vm:read vm:write' };
    const token = await hs(claims);
    const cases: Array<[Record<string, unknown>, string, string[]]> = [
      [{ rolesClaim: 'groups' }, 'u1', ['g1', 'g2']],
      [{ rolesClaim: 'realm_access.roles' }, 'u1', ['r1']],
      [{ rolesClaim: 'scope', clientIdClaim: 'email' }, 'u1@example.test', ['vm:read', 'vm:write']],
      [{ rolesClaim: 'missing' }, 'u1', []],
    ];
    for (const [jwt, id, roles] of cases) {
      const result = await hsAuth(jwt).authenticate(http(token));
      expect(result.ok && { id: result.client.id, roles: result.client.roles }).toEqual({ id, roles });
    }
  });

  it('with OAuth configured: the audience is our resource URL and 401s name the resource metadata', async () => {
    const oauth = { resource: AUD, authorizationServers: ['https://as.test'], scopesSupported: ['mcp'] };
    const a = createAuthenticator(authSchema.parse({ jwt: { secret: SECRET }, oauth }), { env: {} });
    expect((await a.authenticate(http(await hs({ sub: 'a' })))).ok).toBe(true);
    const r = refusal(await a.authenticate(http(await hs({ sub: 'a' }, { aud: 'https://elsewhere.test' }))));
    expect(r.status).toBe(401);
    expect(r.wwwAuthenticate).toBe(
      'Bearer realm="mcp-warden", resource_metadata="https://warden.test/.well-known/oauth-protected-resource/mcp", scope="mcp", error="invalid_token", error_description="token audience not accepted"',
    );
    const none = refusal(await a.authenticate({ transport: 'sse', headers: {} }));
    expect(none.wwwAuthenticate).toBe('Bearer realm="mcp-warden", resource_metadata="https://warden.test/.well-known/oauth-protected-resource/mcp", scope="mcp"');
  });

  it('a valid token without the required scopes: 403 insufficient_scope', async () => {
    const oauth = { resource: AUD, authorizationServers: ['https://as.test'], requiredScopes: ['mcp:tools'] };
    const a = createAuthenticator(authSchema.parse({ jwt: { secret: SECRET }, oauth }), { env: {} });
    const r = refusal(await a.authenticate(http(await hs({ sub: 'a', scope: 'profile' }))));
    expect(r).toMatchObject({ status: 403, message: 'token lacks scope mcp:tools' });
    expect(r.wwwAuthenticate).toContain('error="insufficient_scope"');
    expect(r.wwwAuthenticate).toContain('scope="mcp:tools"');
    expect((await a.authenticate(http(await hs({ sub: 'a', scope: 'profile mcp:tools' }))))).toMatchObject({ ok: true });
  });
});

describe('JWT with a PEM public key', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-jwt-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([['RS256'], ['PS384'], ['ES256'], ['EdDSA']])('%s: accepts its own signature, refuses another key and an HMAC token signed with the PEM text', async (alg) => {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const other = await generateKeyPair(alg);
    const pem = await exportSPKI(publicKey);
    const file = join(dir, `${alg}.pem`);
    writeFileSync(file, pem);
    const a = createAuthenticator(authSchema.parse({ jwt: { publicKey: `${alg}.pem`, audience: AUD } }), { baseDir: dir, env: {} });
    const sign = (key: CryptoKey) => new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg }).setAudience(AUD).setExpirationTime('1m').sign(key);
    expect((await a.authenticate(http(await sign(privateKey)))).ok).toBe(true);
    expect(refusal(await a.authenticate(http(await sign(other.privateKey)))).message).toBe('token signature invalid');
    // Algorithm confusion: an HS256 token whose "secret" is the public key text.
    const confused = await new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg: 'HS256' }).setAudience(AUD).setExpirationTime('1m').sign(new TextEncoder().encode(pem));
    expect(refusal(await a.authenticate(http(confused))).message).toBe('token algorithm not allowed');
  });

  it('startup errors: unreadable key file, algorithms that do not fit the key', async () => {
    expect(() => createAuthenticator(authSchema.parse({ jwt: { publicKey: 'absent.pem', audience: AUD } }), { baseDir: dir })).toThrow(/auth\.jwt\.publicKey: cannot read .*absent\.pem: ENOENT/);
    expect(() => createAuthenticator(authSchema.parse({ jwt: { secret: SECRET, audience: AUD, algorithms: ['RS256'] } }))).toThrow(JwtConfigError);
  });
});
