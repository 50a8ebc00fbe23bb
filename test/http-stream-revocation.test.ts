/**
 * A stream open over HTTP (the Streamable HTTP GET stream, a legacy SSE stream) brings its client
 * the session's messages without any new request, so a credential revoked or expired meanwhile was
 * never checked again: the holder of a revoked key (or of a JWT past its exp) went on getting
 * notifications, server requests and, on legacy SSE, every answer still due, for as long as it kept
 * the stream open. Now each sweep of the sessions checks the credential of every session with a
 * stream open and ends the stream when it no longer holds. Real `serve` with a keys file and an
 * HS256 issuer, in front of the test backend; streams read over real sockets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import type { ApiKeyEntry } from '../src/config/auth.js';
import { MCP_HEADERS, raw } from './helpers/http-fixture.js';
import { startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { until } from './helpers/wait.js';

const RESOURCE = 'https://warden.test/mcp';
const SECRET = 'stream-revocation-secret-0123456789-abcdef';
const keys = { alice: generateApiKey(), bob: generateApiKey(), hana: generateApiKey(), hanaNew: generateApiKey(), ivy: generateApiKey() };
const entries: ApiKeyEntry[] = [
  { id: 'k_alice', hash: hashApiKey(keys.alice), client: 'alice', roles: [] },
  { id: 'k_bob', hash: hashApiKey(keys.bob), client: 'bob', roles: [] },
];
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'revocation', version: '1' } } };
const echo = (id: number, text: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } });

const token = (sub: string, expiresAt: number) =>
  new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setAudience(RESOURCE).setExpirationTime(Math.floor(expiresAt / 1000)).sign(new TextEncoder().encode(SECRET));

/** An SSE stream read over a real socket: text so far, waits for a pattern or for its end. */
class StreamReader {
  text = '';
  ended = false;
  private readonly controller = new AbortController();
  private reader!: ReadableStreamDefaultReader<Uint8Array>;
  status = 0;

  async open(url: string, headers: Record<string, string>): Promise<this> {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: this.controller.signal });
    this.status = res.status;
    this.reader = res.body!.getReader();
    return this;
  }

  private async more(): Promise<void> {
    const { value, done } = await this.reader.read();
    if (done) this.ended = true;
    else this.text += new TextDecoder().decode(value);
  }

  async until(pattern: RegExp): Promise<string> {
    while (!pattern.test(this.text)) {
      if (this.ended) throw new Error(`the stream ended before ${pattern}: ${this.text}`);
      await this.more();
    }
    return pattern.exec(this.text)![1] ?? '';
  }

  /** Resolves when the server ends the stream (keep-alives and events read meanwhile); fails if it is still open after `withinMs` (a hang bound: sweeps come every 5 s). */
  async end(withinMs = 60_000): Promise<void> {
    const timer = setTimeout(() => this.controller.abort(), withinMs);
    try {
      while (!this.ended) await this.more();
    } catch (err) {
      throw new Error(`the stream was still open ${withinMs} ms on (${(err as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.controller.abort();
  }
}

describe('streams of a credential revoked or expired meanwhile', { timeout: 120_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  const keysFile = () => join(dir, 'keys.yaml');
  const streams: StreamReader[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-stream-revocation-'));
    writeKeysFile(keysFile(), entries);
    // Sweeps every sessionIdleMs / 4 (5 s): a session whose stream ends is not closed as idle before the test goes on.
    serve = await startServe(`
server: { sessionIdleMs: 20000 }
backends:
  - { name: test, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
auth:
  keysFile: ${JSON.stringify(keysFile())}
  jwt: { secret: ${SECRET}, audience: ${JSON.stringify(RESOURCE)}, clockSkewSec: 0 }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`);
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A legacy SSE session of `key`'s client, initialized: its stream and where to POST. */
  async function legacySession(key: string) {
    const stream = await new StreamReader().open(serve.sseUrl, { 'x-api-key': key });
    streams.push(stream);
    expect(stream.status).toBe(200);
    const endpoint = new URL(await stream.until(/event: endpoint\ndata: (.*)\n/), serve.sseUrl).href;
    const send = (body: string) => raw(endpoint, { headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
    expect((await send(JSON.stringify(INIT))).status).toBe(202);
    await stream.until(/("protocolVersion")/);
    expect((await send('{"jsonrpc":"2.0","method":"notifications/initialized"}')).status).toBe(202);
    return { stream, send };
  }

  it('legacy SSE: revoking the key in the keys file ends its stream (and session); another client is untouched', async () => {
    const alice = await legacySession(keys.alice);
    const bob = await legacySession(keys.bob);
    expect((await alice.send(echo(2, 'before'))).status).toBe(202);
    await alice.stream.until(/(a:before)/);

    writeKeysFile(keysFile(), [{ ...entries[0]!, revoked: new Date().toISOString() }, entries[1]!]);
    // Before the fix this waited forever (bounded by the test's timeout): the stream stayed open.
    await alice.stream.end();
    expect((await alice.send(echo(3, 'after'))).status).toBe(401);
    // The log line comes over serve's stderr pipe, not with the stream's end: waited for.
    await until(() => /"client":"alice","credentialId":"k_alice".*http: stream closed: the credential/.test(serve.stderr()), 'the log line');

    expect((await bob.send(echo(4, 'bob still here'))).status).toBe(202);
    await bob.stream.until(/(a:bob still here)/);
    expect(bob.stream.ended).toBe(false);
  });

  it('Streamable HTTP: the GET stream of a JWT past its exp ends; the session stays, and a fresh token reopens the stream', async () => {
    const headers = (bearer: string, session?: string) => ({ ...MCP_HEADERS, authorization: `Bearer ${bearer}`, ...(session === undefined ? {} : { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' }) });
    // The session is set up with a long-lived token (starting its backend takes what it takes); only
    // the GET, one request, has to come before the short-lived token's exp.
    const setup = await token('carol', Date.now() + 600_000);
    const init = await raw(serve.url, { headers: headers(setup), body: JSON.stringify(INIT) });
    expect(init.status).toBe(200);
    const session = init.headers['mcp-session-id'] as string;
    expect((await raw(serve.url, { headers: headers(setup, session), body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' })).status).toBe(202);
    const expiresAt = Date.now() + 3000;
    const shortLived = await token('carol', expiresAt);
    const get = await new StreamReader().open(serve.url, { authorization: `Bearer ${shortLived}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });
    streams.push(get);
    expect(get.status).toBe(200);

    // Before the fix this waited forever: nothing looked at the token again.
    await get.end();
    const ended = Date.now();

    // Not before the token's exp (whole seconds, clockSkewSec 0).
    expect(ended).toBeGreaterThanOrEqual(Math.floor(expiresAt / 1000) * 1000);

    const fresh = await token('carol', Date.now() + 600_000);
    const again = await new StreamReader().open(serve.url, { authorization: `Bearer ${fresh}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });
    streams.push(again);
    expect(again.status).toBe(200);
    const call = await raw(serve.url, { headers: headers(fresh, session), body: echo(5, 'fresh') });
    expect(call.status).toBe(200);
    expect(call.body).toContain('a:fresh');
    expect((await raw(serve.url, { headers: headers(shortLived, session), body: echo(6, 'stale') })).status).toBe(401);
  });
  it('Streamable HTTP: a key whose entry got another hash under the same id ends its stream; a GET with the new key reopens it for good', async () => {
    const alice = { ...entries[0]!, revoked: new Date().toISOString() };
    const hana = (key: string): ApiKeyEntry => ({ id: 'k_hana', hash: hashApiKey(key), client: 'hana', roles: [] });
    const ivy: ApiKeyEntry = { id: 'k_ivy', hash: hashApiKey(keys.ivy), client: 'ivy', roles: [] };
    writeKeysFile(keysFile(), [alice, entries[1]!, hana(keys.hana), ivy]);
    const headers = (key: string, session?: string) => ({ ...MCP_HEADERS, 'x-api-key': key, ...(session === undefined ? {} : { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' }) });
    const init = await raw(serve.url, { headers: headers(keys.hana), body: JSON.stringify(INIT) });
    expect(init.status).toBe(200);
    const session = init.headers['mcp-session-id'] as string;
    expect((await raw(serve.url, { headers: headers(keys.hana, session), body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' })).status).toBe(202);
    const getWith = async (key: string) => {
      const s = await new StreamReader().open(serve.url, { 'x-api-key': key, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });
      streams.push(s);
      expect(s.status).toBe(200);
      return s;
    };
    const first = await getWith(keys.hana);
    // A legacy session of another client: its end (revoked below) tells that a sweep ran.
    const marker = await legacySession(keys.ivy);

    // The operator puts a new key in the entry's place (same id, same client): the old key is removed.
    writeKeysFile(keysFile(), [alice, entries[1]!, hana(keys.hanaNew), ivy]);
    // Before the fix this waited forever: k_hana was in force, only not the key the stream was opened with.
    await first.end();
    expect((await raw(serve.url, { headers: headers(keys.hana, session), body: echo(7, 'old key') })).status).toBe(401);

    // The client goes on with the new key: the session decides with the object it had (it says the
    // same), and the stream it reopens must not be ended at each sweep for the old key.
    const second = await getWith(keys.hanaNew);
    writeKeysFile(keysFile(), [alice, entries[1]!, hana(keys.hanaNew), { ...ivy, revoked: new Date().toISOString() }]);
    await marker.stream.end();
    const subscribed = await raw(serve.url, { headers: headers(keys.hanaNew, session), body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'resources/subscribe', params: { uri: 'test://shared' } }) });
    expect(subscribed.status).toBe(200);
    // The backend's resources/updated comes on the GET stream, still open after that sweep.
    await second.until(/(notifications\/resources\/updated)/);
  });
});
