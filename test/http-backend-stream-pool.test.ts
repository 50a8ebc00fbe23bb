/**
 * Long-lived backend streams do not take the backend's connection pool. Every client session opens
 * its own backend session, and over HTTP that session holds a stream open for as long as it lives:
 * the Streamable HTTP standalone GET stream, or the legacy SSE stream. These went through the same
 * keep-alive pool as the POSTs, capped at 256 sockets per backend: with 256 client sessions open on
 * an HTTP backend (1 000 are allowed by default, and any client may open up to 100), every socket
 * was a stream that never ends, and every request to that backend, from every client, queued
 * forever: a new session's initialize timed out after 30 s, a call in an open session after the
 * backend's timeoutMs. Now the streams get connections of their own (outside the pool, as many as
 * there are sessions, which server.maxSessions bounds) and POSTs keep the pool. Real `serve`, a
 * minimal Streamable HTTP and a minimal legacy SSE backend on loopback that keep their GET streams open.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from './helpers/proxy.js';
import { answerMessages, INIT_BODY, INITIALIZED_BODY, postOnce, toolCallBody } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

/** More sessions than the pool's 256 sockets. */
const SESSIONS = 260;

interface Backend {
  url: string;
  server: Server;
  /** GET streams open now. */
  open: number;
}

type Msg = { id?: string | number; method?: string; params?: { protocolVersion?: string } };

function resultFor(msg: Msg): unknown {
  if (msg.method === 'initialize') return { protocolVersion: msg.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'b', version: '1' } };
  if (msg.method === 'tools/list') return { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] };
  if (msg.method === 'tools/call') return { content: [{ type: 'text', text: 'ok' }] };
  return {};
}

function readBody(req: IncomingMessage, then: (msg: Msg) => void): void {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => then(JSON.parse(body) as Msg));
}

async function listen(state: Backend, handler: (req: IncomingMessage, res: ServerResponse) => void, path: string): Promise<Backend> {
  state.server = createServer(handler);
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}${path}`;
  return state;
}

function openStream(state: Backend, res: ServerResponse): void {
  state.open++;
  res.on('close', () => state.open--);
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(': open\n\n');
}

/** Streamable HTTP: JSON answers, a standalone GET stream per session that stays open. */
function streamableBackend(): Promise<Backend> {
  const state = { open: 0 } as Backend;
  return listen(
    state,
    (req, res) => {
      if (req.method === 'GET') return openStream(state, res);
      if (req.method === 'DELETE') return void res.writeHead(200).end();
      readBody(req, (msg) => {
        if (msg.id === undefined) return void res.writeHead(202).end();
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (msg.method === 'initialize') headers['mcp-session-id'] = randomUUID();
        res.writeHead(200, headers).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: resultFor(msg) }));
      });
    },
    '/mcp',
  );
}

/** Legacy SSE: GET /sse announces /messages?sessionId=…; answers travel on the stream. */
function legacyBackend(): Promise<Backend> {
  const state = { open: 0 } as Backend;
  const streams = new Map<string, ServerResponse>();
  return listen(
    state,
    (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET') {
        const id = randomUUID();
        streams.set(id, res);
        res.on('close', () => streams.delete(id));
        openStream(state, res);
        res.write(`event: endpoint\ndata: /messages?sessionId=${id}\n\n`);
        return;
      }
      const stream = streams.get(url.searchParams.get('sessionId') ?? '');
      readBody(req, (msg) => {
        res.writeHead(202).end();
        if (msg.id !== undefined && msg.method !== undefined) stream?.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: resultFor(msg) })}\n\n`);
      });
    },
    '/sse',
  );
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(backend: Backend, transport: 'streamable-http' | 'sse'): Promise<ServeProcess> {
  cleanups.push(async () => {
    backend.server.closeAllConnections();
    await new Promise((resolve) => backend.server.close(resolve));
  });
  const serve = await startServe(`
server: { maxSessionsPerAddress: 1000, maxSessionsPerClient: 1000 }
backends: [{ name: b, transport: ${transport}, url: ${JSON.stringify(backend.url)}, timeoutMs: 5000 }]
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`);
  // SIGKILL: a serve whose pool is stuck would wait on its backend sessions' DELETEs.
  cleanups.push(() => serve.stop('SIGKILL'));
  return serve;
}

/** An answer within `ms`, else a failure naming what did not come. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))]);
}

/** Opens SESSIONS Streamable HTTP client sessions on serve (initialize + initialized); their ids. */
async function openSessions(serve: ServeProcess): Promise<Record<string, string>[]> {
  const sessions: Record<string, string>[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const init = await within(5000, `initialize of client session ${i + 1}`, postOnce(serve.url, INIT_BODY, {}));
    expect(init.status, init.body).toBe(200);
    expect(answerMessages(init.body)[0]?.error).toBeUndefined();
    const headers = { 'mcp-session-id': init.headers['mcp-session-id'] as string, 'mcp-protocol-version': '2025-11-25' };
    expect((await postOnce(serve.url, INITIALIZED_BODY, headers)).status).toBe(202);
    sessions.push(headers);
  }
  return sessions;
}

describe('backend streams outside the connection pool', { timeout: 120_000 }, () => {
  it(`Streamable HTTP backend: ${SESSIONS} sessions each hold a GET stream, and calls in them still answer`, async () => {
    const backend = await streamableBackend();
    const serve = await start(backend, 'streamable-http');
    const sessions = await openSessions(serve);
    await until(() => backend.open === SESSIONS, `${SESSIONS} backend GET streams open`);
    for (const headers of [sessions[0]!, sessions[SESSIONS - 1]!]) {
      const call = await within(5000, 'tools/call', postOnce(serve.url, toolCallBody(2, 'echo'), headers));
      expect(answerMessages(call.body)[0]?.result?.content[0]?.text, call.body).toBe('ok');
    }
  });

  it(`legacy SSE backend: ${SESSIONS} sessions each hold the SSE stream, and calls in them still answer`, async () => {
    const backend = await legacyBackend();
    const serve = await start(backend, 'sse');
    const sessions = await openSessions(serve);
    expect(backend.open).toBe(SESSIONS);
    for (const headers of [sessions[0]!, sessions[SESSIONS - 1]!]) {
      const call = await within(5000, 'tools/call', postOnce(serve.url, toolCallBody(2, 'echo'), headers));
      expect(answerMessages(call.body)[0]?.result?.content[0]?.text, call.body).toBe('ok');
    }
  });
});
