import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator } from '../src/identity/index.js';
import type { AuthResult } from '../src/types.js';

const AUD = 'https://warden.test/mcp';
const http = (token: string) => ({ transport: 'streamable-http' as const, headers: { authorization: `Bearer ${token}` } });

interface JwksServer {
  url: string;
  fetches: number;
  keys: JWK[];
  mode: 'ok' | 'hang' | 'garbage';
  server: Server;
}

async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const state = { fetches: 0, keys, mode: 'ok' } as JwksServer;
  state.server = createServer((_req, res) => {
    state.fetches++;
    if (state.mode === 'hang') return; // never answers
    if (state.mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"a jwks"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/jwks.json`;
  return state;
}

async function signingKey(kid: string, alg = 'RS256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const sign = (sub: string) => new SignJWT({ sub, roles: ['admin'] }).setProtectedHeader({ alg, kid }).setAudience(AUD).setExpirationTime('5m').sign(privateKey);
  return { jwk, sign };
}

function refusal(result: AuthResult): { status: number; message: string; wwwAuthenticate?: string } {
  if (result.ok) throw new Error(`expected a refusal, got client ${result.client.id}`);
  return result;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/**
 * The authenticator over a JWKS. The cooldown is 0 unless a test sets one: these tests refetch on
 * every unknown kid, which the config schema refuses (auth.jwt.jwksCooldownMs is at least 1 s), so
 * it is set on the parsed config, past the schema, as only a test does.
 */
function jwksAuth(url: string, extra: Record<string, unknown> = {}) {
  const config = authSchema.parse({ jwt: { jwksUrl: url, audience: AUD, jwksTimeoutMs: 1000, ...extra } });
  if (extra.jwksCooldownMs === undefined) config.jwt!.jwksCooldownMs = 0;
  return createAuthenticator(config, { env: {} });
}

describe('JWT with a remote JWKS', () => {
  it('caches the key set and accepts a token signed by a rotated key after refetching on the unknown kid', async () => {
    const k1 = await signingKey('k1');
    const k2 = await signingKey('k2', 'ES256');
    const jwks = await startJwksServer([k1.jwk]);
    servers.push(jwks.server);
    const auth = jwksAuth(jwks.url);

    const first = await auth.authenticate(http(await k1.sign('alice')));
    expect(first.ok && first.client).toMatchObject({ id: 'alice', auth: 'jwt', roles: ['admin'], credentialId: 'k1' });
    expect((await auth.authenticate(http(await k1.sign('alice')))).ok).toBe(true);
    expect(jwks.fetches).toBe(1); // cached

    // Before the rotation, a token with the new kid is refused (the server does not know k2 yet).
    expect(refusal(await auth.authenticate(http(await k2.sign('bob')))).message).toBe('token signing key not found');

    jwks.keys = [k2.jwk]; // the authorization server rotates: k1 retired, k2 published
    const fetchesBefore = jwks.fetches;
    const rotated = await auth.authenticate(http(await k2.sign('bob')));
    expect(rotated.ok && rotated.client.id).toBe('bob');
    expect(jwks.fetches).toBe(fetchesBefore + 1);
  });

  it('the cooldown limits refetches: an unknown kid within it is refused without a fetch', async () => {
    const k1 = await signingKey('k1');
    const k3 = await signingKey('k3');
    const jwks = await startJwksServer([k1.jwk]);
    servers.push(jwks.server);
    const auth = jwksAuth(jwks.url, { jwksCooldownMs: 60_000 });
    expect((await auth.authenticate(http(await k1.sign('a')))).ok).toBe(true);
    jwks.keys = [k1.jwk, k3.jwk];
    expect(refusal(await auth.authenticate(http(await k3.sign('a')))).message).toBe('token signing key not found');
    expect(jwks.fetches).toBe(1);
  });

  it('JWKS server down: a clear 401, not a crash and not an open door', async () => {
    const k1 = await signingKey('k1');
    const jwks = await startJwksServer([k1.jwk]);
    const url = jwks.url;
    jwks.server.closeAllConnections();
    await new Promise((resolve) => jwks.server.close(resolve));
    const auth = jwksAuth(url);
    const r = refusal(await auth.authenticate(http(await k1.sign('alice'))));
    expect(r.status).toBe(401);
    expect(r.message).toBe('token could not be verified (signing keys unavailable)');
    expect(r.wwwAuthenticate).toContain('error="invalid_token"');
  });

  it('JWKS server hanging: refused after the timeout; a non-JWKS answer: refused', async () => {
    const k1 = await signingKey('k1');
    const jwks = await startJwksServer([k1.jwk]);
    servers.push(jwks.server);
    jwks.mode = 'hang';
    const started = Date.now();
    const r = refusal(await jwksAuth(jwks.url, { jwksTimeoutMs: 300 }).authenticate(http(await k1.sign('alice'))));
    expect(r).toMatchObject({ status: 401, message: 'token signing keys unavailable (key set fetch timed out)' });
    expect(Date.now() - started).toBeLessThan(5000);
    jwks.mode = 'garbage';
    expect(refusal(await jwksAuth(jwks.url).authenticate(http(await k1.sign('alice')))).message).toBe('token signing keys unavailable (invalid key set)');
  });
});
