/**
 * The JWKS fetch is bounded by size (auth.jwt.jwksMaxBytes) and a plain-http JWKS URL to another
 * host is warned about at startup. jose reads a JWKS answer whole (response.json()): an endpoint
 * that answered with a huge body, or streamed one without end, had mcp-warden buffer it for as long
 * as the fetch timeout allowed. Now a declared or streamed body over the bound ends the fetch with a
 * clear reason; the key set fetched before is kept (a token signed by a known key still verifies),
 * and a token naming a key it does not hold is refused (fail closed). A real JWKS server over HTTP,
 * real jose signatures, the real authenticator.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { authSchema } from '../src/config/auth.js';
import { createAuthenticator } from '../src/identity/index.js';
import type { AuthResult } from '../src/types.js';

const AUD = 'https://warden.test/mcp';
const TOO_LARGE = 'token signing keys unavailable (key set over auth.jwt.jwksMaxBytes)';
const http = (token: string) => ({ transport: 'streamable-http' as const, headers: { authorization: `Bearer ${token}` } });

type Mode = { kind: 'keys'; keys: JWK[]; padding?: number } | { kind: 'endless' };

interface JwksServer {
  url: string;
  mode: Mode;
  fetches: number;
  /** Bytes the endless mode wrote before the client went away. */
  streamed: number;
  streamClosed: Promise<void>;
  server: Server;
}

async function startJwksServer(mode: Mode): Promise<JwksServer> {
  let closed!: () => void;
  const state = { mode, fetches: 0, streamed: 0, streamClosed: new Promise<void>((r) => (closed = r)) } as JwksServer;
  state.server = createServer((_req, res) => {
    state.fetches++;
    const m = state.mode;
    if (m.kind === 'keys') {
      const body = JSON.stringify({ keys: m.keys, padding: 'x'.repeat(m.padding ?? 0) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    // No Content-Length: a key set that never ends, written as fast as the client reads it.
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    res.write('{"keys":[');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) state.streamed += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => closed());
    pump();
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/jwks.json`;
  return state;
}

async function signingKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const sign = (sub: string) => new SignJWT({ sub }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer('https://issuer.test').setAudience(AUD).setExpirationTime('5m').sign(privateKey);
  return { jwk, sign };
}

function reason(result: AuthResult): string {
  return result.ok ? `accepted as ${result.client.id}` : result.message;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

function jwksAuth(url: string, extra: Record<string, unknown> = {}, logger?: pino.Logger) {
  // Cooldown 0 (refetch on every unknown kid) is below the schema's floor: set past it, as only a test does.
  const config = authSchema.parse({ jwt: { jwksUrl: url, audience: AUD, issuer: 'https://issuer.test', jwksTimeoutMs: 10_000, jwksMaxBytes: 4096, ...extra } });
  if (extra.jwksCooldownMs === undefined) config.jwt!.jwksCooldownMs = 0;
  return createAuthenticator(config, logger === undefined ? { env: {} } : { env: {}, logger });
}

describe('JWKS answer size bound (auth.jwt.jwksMaxBytes)', () => {
  it('a key set declared larger than the bound is refused, saying why', async () => {
    const k1 = await signingKey('k1');
    const jwks = await startJwksServer({ kind: 'keys', keys: [k1.jwk], padding: 8192 });
    servers.push(jwks.server);
    const auth = jwksAuth(jwks.url);
    expect(reason(await auth.authenticate(http(await k1.sign('alice'))))).toBe(TOO_LARGE);
    // The same key set under the bound is fine.
    expect(reason(await jwksAuth(jwks.url, { jwksMaxBytes: 64 * 1024 }).authenticate(http(await k1.sign('alice'))))).toBe('accepted as alice');
  });

  it('a key set streamed without end (no Content-Length) is cut at the bound, not read until the timeout', async () => {
    const k1 = await signingKey('k1');
    const jwks = await startJwksServer({ kind: 'endless' });
    servers.push(jwks.server);
    // The timeout is 10 s: the old code read for all of it and then said "timed out".
    expect(reason(await jwksAuth(jwks.url).authenticate(http(await k1.sign('alice'))))).toBe(TOO_LARGE);
    await jwks.streamClosed; // we hung up on it
  });

  it('keeps the key set it had: a known kid still verifies, an unknown one is refused (fail closed)', async () => {
    const k1 = await signingKey('k1');
    const k2 = await signingKey('k2');
    const jwks = await startJwksServer({ kind: 'keys', keys: [k1.jwk] });
    servers.push(jwks.server);
    const auth = jwksAuth(jwks.url);
    expect(reason(await auth.authenticate(http(await k1.sign('alice'))))).toBe('accepted as alice');
    jwks.mode = { kind: 'keys', keys: [k1.jwk, k2.jwk], padding: 8192 };
    const before = jwks.fetches;
    expect(reason(await auth.authenticate(http(await k2.sign('bob'))))).toBe(TOO_LARGE);
    expect(jwks.fetches).toBe(before + 1); // it did try
    expect(reason(await auth.authenticate(http(await k1.sign('carol'))))).toBe('accepted as carol');
  });
});

describe('plain-http JWKS URL', () => {
  function warnings(url: string): string[] {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const auth = jwksAuth(url, {}, pino({ level: 'warn' }, sink));
    auth.close();
    return lines.map((l) => (JSON.parse(l) as { msg: string; jwksUrl?: string })).filter((l) => l.msg.includes('jwksUrl')).map((l) => `${l.msg} | ${l.jwksUrl}`);
  }

  it('warns at startup for http:// to another host (without the query), not for loopback or https', () => {
    const remote = warnings('http://idp.example.test:8080/certs?tenant=s3cret');
    expect(remote).toHaveLength(1);
    expect(remote[0]).toMatch(/plain http to another host.*use https \| http:\/\/idp\.example\.test:8080\/certs$/);
    expect(remote[0]).not.toContain('s3cret');
    expect(warnings('http://127.0.0.1:9000/certs')).toEqual([]);
    expect(warnings('http://localhost:9000/certs')).toEqual([]);
    expect(warnings('http://[::1]:9000/certs')).toEqual([]);
    expect(warnings('https://idp.example.test/certs')).toEqual([]);
  });
});
