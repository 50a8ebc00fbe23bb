/**
 * A failed JWKS fetch is not tried again before auth.jwt.jwksCooldownMs. jose counts its cooldown
 * from the last fetch that worked only, and fetches whenever it holds no fresh key set: while the
 * authorization server failed (down, 500, an answer that is no key set or over jwksMaxBytes), or
 * before its first good answer, every request carrying a JWT-shaped bearer (no valid signature
 * needed) became one fetch from it, so any client could turn its traffic into traffic against an
 * IdP that was already struggling. Real HTTP on loopback: the real frontend and authenticator, a
 * real JWKS server counting its requests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator, type WardenAuthenticator } from '../src/identity/index.js';
import { initializeBody, MCP_HEADERS, raw, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';

const AUD = 'https://warden.test/mcp';

type Mode = 'ok' | 'error' | 'garbage' | 'large' | 'reset';

interface JwksServer {
  url: string;
  mode: Mode;
  fetches: number;
  keys: JWK[];
  server: Server;
}

async function startJwksServer(keys: JWK[], mode: Mode): Promise<JwksServer> {
  const state = { fetches: 0, keys, mode } as JwksServer;
  state.server = createServer((_req, res) => {
    state.fetches++;
    switch (state.mode) {
      case 'error':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"a key set"}');
        return;
      case 'large': {
        const body = JSON.stringify({ keys: state.keys, padding: 'x'.repeat(8192) });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
        return;
      }
      case 'reset':
        res.socket?.destroy();
        return;
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
    }
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/jwks.json`;
  return state;
}

async function signingKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const sign = (sub: string) => new SignJWT({ sub }).setProtectedHeader({ alg: 'RS256', kid }).setAudience(AUD).setExpirationTime('5m').sign(privateKey);
  return { jwk, sign };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(mode: Mode, cooldownMs: number): Promise<{ jwks: JwksServer; front: StartedFrontend; sign: (sub: string) => Promise<string> }> {
  const key = await signingKey('k1');
  const jwks = await startJwksServer([key.jwk], mode);
  cleanups.push(async () => {
    jwks.server.closeAllConnections();
    await new Promise((resolve) => jwks.server.close(resolve));
  });
  const config = authSchema.parse({ jwt: { jwksUrl: jwks.url, audience: AUD, jwksTimeoutMs: 2000, jwksCooldownMs: cooldownMs, jwksMaxBytes: 4096 } });
  const auth: WardenAuthenticator = createAuthenticator(config, { env: {} });
  cleanups.push(() => auth.close());
  const front = await startFrontend({}, auth);
  cleanups.push(() => front.frontend.close());
  return { jwks, front, sign: key.sign };
}

function initialize(url: string, token: string) {
  return raw(url, { headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: initializeBody() });
}

describe('a failed JWKS fetch waits for the cooldown', () => {
  for (const mode of ['error', 'garbage', 'large', 'reset'] as const) {
    it(`JWKS answering ${mode}: 20 requests with tokens make one fetch, not 20; each is refused 401`, async () => {
      const { jwks, front, sign } = await setup(mode, 60_000);
      const token = await sign('alice');
      for (let i = 0; i < 20; i++) {
        const answer = await initialize(front.url, token);
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
        expect(answer.body).toContain('signing keys unavailable');
      }
      expect(jwks.fetches).toBe(1);
    });
  }

  it('a key set that answers again after the cooldown is fetched, and its tokens verify', async () => {
    const { jwks, front, sign } = await setup('error', 1000);
    const token = await sign('alice');
    for (let i = 0; i < 5; i++) expect((await initialize(front.url, token)).status).toBe(401);
    expect(jwks.fetches).toBe(1);
    jwks.mode = 'ok';
    // Within the cooldown: still refused, without a fetch.
    expect((await initialize(front.url, token)).status).toBe(401);
    expect(jwks.fetches).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const answer = await initialize(front.url, token);
    expect(answer.status, answer.body).toBe(200);
    expect(jwks.fetches).toBe(2);
    expect(front.acceptor.sessions.at(-1)?.client.id).toBe('alice');
  });
});
