/**
 * Bad input on the Streamable HTTP frontend, over raw HTTP against a real listening server. Each
 * case states the HTTP status and JSON-RPC error it gets, and is followed by a good request on the
 * same server (and session) that must still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_HEADERS, initializeBody, raw, rawSession, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';

let started: StartedFrontend;
let sessionId: string;
let goodId = 1000;
const LIMIT = 64 * 1024;

beforeAll(async () => {
  started = await startFrontend({ maxMessageBytes: LIMIT });
  sessionId = await rawSession(started.url);
});

afterAll(async () => {
  await started.frontend.close();
});

function sessionHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', ...extra };
}

/** The follow-up every case ends with: a normal tools/call on the same session still answers. */
async function expectStillServing(): Promise<void> {
  const id = goodId++;
  const res = await raw(started.url, {
    headers: sessionHeaders(),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: `ok ${id}` } } }),
  });
  expect(res.status).toBe(200);
  expect(res.json()).toEqual({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `ok ${id}` }] } });
}

async function post(body: string | Buffer, headers = sessionHeaders()) {
  return raw(started.url, { headers, body });
}

describe('Streamable HTTP bad input', () => {
  it('malformed JSON: 400, JSON-RPC -32700 parse error, id null', async () => {
    const res = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"');
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect(res.json().error.message).toMatch(/^Parse error/);
    await expectStillServing();
  });

  it('empty body: 400, -32700', async () => {
    const res = await post('');
    expect(res.status).toBe(400);
    expect(res.json().error.code).toBe(-32700);
    await expectStillServing();
  });

  it.each([['42'], ['"tools/list"'], ['null'], ['true']])('non-object body %s: 400, -32600 invalid request', async (body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ id: null, error: { code: -32600 } });
    await expectStillServing();
  });

  it('JSON-RPC batch: 400, -32600 saying batches are not supported, and none of its messages run', async () => {
    const before = started.acceptor.sessions.length;
    const res = await post(JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ]));
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ code: -32600, message: expect.stringMatching(/batches are not supported/) });
    expect(started.acceptor.sessions.length).toBe(before);
    await expectStillServing();
  });

  it('message without method (id only): 400, -32600 with the id echoed', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 77, params: {} }));
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ id: 77, error: { code: -32600, message: expect.stringMatching(/missing "method"/) } });
    await expectStillServing();
  });

  it('request with a null id: 400, -32600', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: null, method: 'tools/list' }));
    expect(res.status).toBe(400);
    expect(res.json().error.code).toBe(-32600);
    await expectStillServing();
  });

  it('message with neither method nor id: 400, -32600', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', params: {} }));
    expect(res.status).toBe(400);
    expect(res.json().error.code).toBe(-32600);
    await expectStillServing();
  });

  it('wrong jsonrpc version: 400, -32600', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '1.0', id: 3, method: 'tools/list' }));
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ id: 3, error: { code: -32600 } });
    await expectStillServing();
  });

  it('message over server.maxMessageBytes: 413 with a JSON-RPC -32600 naming the limit', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(LIMIT) } } });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(res.json().error).toMatchObject({ code: -32600, message: expect.stringContaining(`${LIMIT} bytes`) });
    await expectStillServing();
  });

  it('a message just under the limit is accepted', async () => {
    const text = 'y'.repeat(LIMIT - 200);
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'echo', arguments: { text } } }));
    expect(res.status).toBe(200);
    expect(res.json().result.content[0].text).toBe(text);
  });

  it('unknown session id: 404, -32001', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/list' }), sessionHeaders({ 'mcp-session-id': 'no-such-session' }));
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ id: 6, error: { code: -32001 } });
    await expectStillServing();
  });

  it('missing session id on a non-initialize request: 400 saying Mcp-Session-Id is required', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }), { ...MCP_HEADERS });
    expect(res.status).toBe(400);
    expect(res.json().error.message).toMatch(/Mcp-Session-Id header is required/);
    await expectStillServing();
  });

  it('initialize on an existing session: 400, -32600', async () => {
    const res = await post(initializeBody(8));
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ id: 8, error: { code: -32600 } });
    await expectStillServing();
  });

  it('duplicate in-flight request id is refused with 400 (the first still answers)', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'dup', method: 'tools/call', params: { name: 'progress', arguments: { steps: 4 } } });
    const [a, b] = await Promise.all([post(body), post(body)]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 400]);
    await expectStillServing();
  });

  it.each([['invalid-protocol-version'], ['2000-01-01'], ['2099-01-01']])('unsupported MCP-Protocol-Version %s: 400', async (version) => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }), sessionHeaders({ 'mcp-protocol-version': version }));
    expect(res.status).toBe(400);
    expect(res.json().error.message).toMatch(/unsupported MCP-Protocol-Version/);
    await expectStillServing();
  });

  it('Accept without text/event-stream: 406', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'tools/list' }), sessionHeaders({ accept: 'application/json' }));
    expect(res.status).toBe(406);
    const get = await raw(started.url, { method: 'GET', headers: sessionHeaders({ accept: 'application/json' }) });
    expect(get.status).toBe(406);
    await expectStillServing();
  });

  it('Content-Type other than application/json: 415 with a JSON-RPC error', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 11, method: 'tools/list' }), sessionHeaders({ 'content-type': 'text/plain' }));
    expect(res.status).toBe(415);
    expect(res.json().error.code).toBe(-32600);
    await expectStillServing();
  });

  it.each([['PUT'], ['PATCH'], ['HEAD']])('%s on the MCP path: 405 with Allow: GET, POST, DELETE', async (method) => {
    const res = await raw(started.url, { method, headers: sessionHeaders() });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST, DELETE');
    await expectStillServing();
  });

  it('Host not allowed (DNS rebinding): 403, and a loopback Host with the port is accepted', async () => {
    const res = await post(initializeBody(), { ...MCP_HEADERS, host: 'evil.example.com' });
    expect(res.status).toBe(403);
    expect(res.json().error.message).toMatch(/Host header "evil.example.com" is not allowed/);
    for (const host of [`localhost:${started.port}`, `127.0.0.1:${started.port}`, `[::1]:${started.port}`]) {
      const ok = await post(initializeBody(), { ...MCP_HEADERS, host });
      expect(ok.status, host).toBe(200);
    }
    await expectStillServing();
  });

  it('Origin not allowed: 403; a loopback Origin is accepted', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'tools/list' }), sessionHeaders({ origin: 'https://evil.example.com' }));
    expect(res.status).toBe(403);
    expect(res.json().error.message).toMatch(/Origin "https:\/\/evil.example.com" is not allowed/);
    const ok = await post(JSON.stringify({ jsonrpc: '2.0', id: 13, method: 'tools/list' }), sessionHeaders({ origin: 'http://localhost:5173' }));
    expect(ok.status).toBe(200);
    await expectStillServing();
  });

  it('CORS: a preflight from an allowed Origin gets 204 with the allowed methods and headers, without credentials; a foreign Origin gets 403', async () => {
    const pre = await raw(started.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-session-id' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('http://localhost:6274');
    expect(pre.headers['access-control-allow-methods']).toBe('GET, POST, DELETE, OPTIONS');
    expect(pre.headers['access-control-allow-headers']).toBe('content-type, mcp-session-id');
    const foreign = await raw(started.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    await expectStillServing();
  });

  it('CORS: answers to an allowed Origin let the page read them and the session id', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 15, method: 'tools/list' }), sessionHeaders({ origin: 'http://127.0.0.1:6274' }));
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://127.0.0.1:6274');
    expect(res.headers['access-control-expose-headers']).toBe('mcp-session-id, www-authenticate');
    expect(res.headers['mcp-session-id']).toBe(sessionId);
    const plain = await post(JSON.stringify({ jsonrpc: '2.0', id: 16, method: 'tools/list' }));
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a nonsense Origin (not a URL) is refused with 403', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 14, method: 'tools/list' }), sessionHeaders({ origin: 'null' }));
    expect(res.status).toBe(403);
    await expectStillServing();
  });
});

describe('configured allowedHosts / allowedOrigins', () => {
  it('accepts only the configured names and origins', async () => {
    const custom = await startFrontend({ allowedHosts: ['mcp.example.com'], allowedOrigins: ['https://app.example.com'] });
    try {
      const loopback = await raw(custom.url, { headers: { ...MCP_HEADERS }, body: initializeBody() });
      expect(loopback.status).toBe(403);
      const named = await raw(custom.url, { headers: { ...MCP_HEADERS, host: 'mcp.example.com:443', origin: 'https://app.example.com' }, body: initializeBody() });
      expect(named.status).toBe(200);
      const badOrigin = await raw(custom.url, { headers: { ...MCP_HEADERS, host: 'mcp.example.com', origin: 'http://localhost' }, body: initializeBody() });
      expect(badOrigin.status).toBe(403);
    } finally {
      await custom.frontend.close();
    }
  });
});
