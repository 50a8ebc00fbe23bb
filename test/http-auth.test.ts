/**
 * Authentication on the HTTP frontends: a refusing Authenticator gets every route answered 401
 * (with WWW-Authenticate) or 403, with a JSON body, and nothing reaches the acceptor (the proxy).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AuthRequest, AuthResult, Authenticator } from '../src/types.js';
import { HeaderAuthenticator, MCP_HEADERS, RefusingAuthenticator, initializeBody, raw, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';

let started: StartedFrontend | undefined;

afterEach(async () => {
  await started?.frontend.close();
  started = undefined;
});

describe('HTTP frontend authentication', () => {
  it('401 with WWW-Authenticate and a JSON-RPC error body on every route; nothing reaches the acceptor', async () => {
    started = await startFrontend({}, new RefusingAuthenticator(401));
    const base = new URL(started.url).origin;
    const cases = [
      raw(started.url, { headers: MCP_HEADERS, body: initializeBody() }),
      raw(started.url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' } }),
      raw(started.url, { method: 'DELETE', headers: { 'mcp-session-id': 'x' } }),
      raw(`${base}/sse`, { method: 'GET', headers: { accept: 'text/event-stream' } }),
      raw(`${base}/messages?sessionId=x`, { headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="mcp-warden"');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Missing or invalid credential: send Authorization: Bearer <token>' } });
    }
    expect(started.acceptor.sessions).toHaveLength(0);
    expect(started.frontend.sessionCount).toBe(0);
  });

  it('a 401 to an allowed browser Origin carries CORS headers so the page can read WWW-Authenticate', async () => {
    started = await startFrontend({}, new RefusingAuthenticator(401));
    const res = await raw(started.url, { headers: { ...MCP_HEADERS, origin: 'http://localhost:3000' }, body: initializeBody() });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(res.headers['access-control-expose-headers']).toContain('www-authenticate');
  });

  it('the SDK client sees the 401 as an error on connect', async () => {
    started = await startFrontend({}, new RefusingAuthenticator(401));
    const client = new Client({ name: 'refused', version: '1' });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(started.url)))).rejects.toThrow();
    expect(started.acceptor.sessions).toHaveLength(0);
  });

  it('403 (valid but not permitted) without a challenge', async () => {
    started = await startFrontend({}, new RefusingAuthenticator(403));
    const res = await raw(started.url, { headers: MCP_HEADERS, body: initializeBody() });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.json().error.message).toBe('Client not permitted here');
    expect(started.acceptor.sessions).toHaveLength(0);
  });

  it('checks Host before credentials and passes the transport, headers and address to the authenticator', async () => {
    const seen: AuthRequest[] = [];
    const recording: Authenticator = {
      authenticate(request: AuthRequest): AuthResult {
        seen.push(request);
        return new HeaderAuthenticator().authenticate(request);
      },
    };
    started = await startFrontend({}, recording);
    const forged = await raw(started.url, { headers: { ...MCP_HEADERS, host: 'evil.example.com' }, body: initializeBody() });
    expect(forged.status).toBe(403);
    expect(seen).toHaveLength(0);
    const ok = await raw(started.url, { headers: { ...MCP_HEADERS, authorization: 'Bearer t0k3n' }, body: initializeBody() });
    expect(ok.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.transport).toBe('streamable-http');
    expect(seen[0]!.headers.authorization).toBe('Bearer t0k3n');
    expect(seen[0]!.address).toMatch(/127\.0\.0\.1/);
  });

  it('an authenticator that throws fails closed with 500 and opens no session', async () => {
    started = await startFrontend({}, { authenticate: () => { throw new Error('boom'); } });
    const res = await raw(started.url, { headers: MCP_HEADERS, body: initializeBody() });
    expect(res.status).toBe(500);
    expect(res.json().error.message).toMatch(/while authenticating/);
    expect(started.acceptor.sessions).toHaveLength(0);
  });
});
