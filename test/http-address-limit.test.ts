/**
 * Sessions per client address (server.maxSessionsPerAddress, default 64). The session caps were
 * global (maxSessions, 1000) and per client identity (maxSessionsPerClient): one host showing many
 * keys or tokens could take every session of the proxy (and the backend processes each opens). Now the sessions opened from one address (IPv6: its /64) are
 * counted together, loopback too, and one more is refused with 503 + Retry-After naming the
 * setting, on both frontends; another address is not affected, and a session closed frees its
 * place. The real HTTP frontend, requests over real sockets from two loopback source addresses.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSchema } from '../src/config/server.js';
import { addressKey } from '../src/transport/http/sessions.js';
import { MCP_HEADERS, initializeBody, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request from the given local (source) address; with `stream`, resolves on the headers and leaves the response open. */
function request(url: string, options: { method?: string; from?: string; headers?: Record<string, string>; body?: string; stream?: boolean }): Promise<Answer & { close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'POST', headers: options.headers, localAddress: options.from ?? '127.0.0.1', agent: false }, (res) => {
      let body = '';
      const close = () => req.destroy();
      if (options.stream) {
        resolve({ status: res.statusCode!, headers: res.headers, body: '', close });
        res.on('data', () => undefined);
        res.on('error', () => undefined);
        return;
      }
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, close }));
    });
    req.on('error', (err) => (options.stream ? undefined : reject(err)));
    req.end(options.body);
  });
}

describe('sessions per client address (server.maxSessionsPerAddress)', () => {
  let started: StartedFrontend;
  const open = (client: string, from = '127.0.0.1') => request(started.url, { from, headers: { ...MCP_HEADERS, 'x-test-client': client }, body: initializeBody() });

  beforeAll(async () => {
    // Clients told apart by x-test-client (HeaderAuthenticator): each below its own maxSessionsPerClient.
    started = await startFrontend({ maxSessionsPerAddress: 3 });
  });
  afterAll(() => started.frontend.close());

  it('defaults to 64', () => {
    expect(serverSchema.parse({}).maxSessionsPerAddress).toBe(64);
    expect(serverSchema.safeParse({ maxSessionsPerAddress: 0 }).success).toBe(false);
  });

  it('one address: the 4th session is refused with 503 + Retry-After whatever client it is, on both frontends; another address is not; a closed session frees its place', async () => {
    const opened: string[] = [];
    for (const client of ['alice', 'bob', 'carol']) {
      const r = await open(client);
      expect(r.status, r.body).toBe(200);
      opened.push(r.headers['mcp-session-id'] as string);
    }
    const refused = await open('dave');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(JSON.parse(refused.body).error.message).toBe(
      'Service unavailable: clients at this address already hold 3 open sessions (server.maxSessionsPerAddress); close some or retry later',
    );
    const sse = await request(started.sseUrl, { method: 'GET', headers: { accept: 'text/event-stream', 'x-test-client': 'erin' } });
    expect(sse.status).toBe(503);
    expect(JSON.parse(sse.body).error.message).toContain('server.maxSessionsPerAddress');
    expect(started.frontend.sessionCount).toBe(3);

    // Another source address (still loopback) has its own count: a legacy SSE stream and a Streamable HTTP session.
    const other = await request(started.sseUrl, { method: 'GET', from: '127.0.0.2', headers: { accept: 'text/event-stream', 'x-test-client': 'dave' }, stream: true });
    expect(other.status).toBe(200);
    expect((await open('frank', '127.0.0.2')).status).toBe(200);
    expect(started.frontend.sessionCount).toBe(5);

    // A session ended (DELETE) frees its place at its address.
    const del = await request(started.url, { method: 'DELETE', headers: { 'x-test-client': 'alice', 'mcp-session-id': opened[0]!, 'mcp-protocol-version': '2025-11-25' } });
    expect(del.status).toBe(200);
    expect((await open('dave')).status).toBe(200);
    expect((await open('gina')).status).toBe(503);
    other.close();
  });

  it('counts an IPv4-mapped address as the IPv4 one and an IPv6 address by its /64', () => {
    expect(addressKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('::1')).toBe('::1');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});
