/**
 * Message bodies waiting to be sent to an HTTP backend are bounded. Each client message becomes one
 * POST to the backend, sent at once whatever the backend does; the backend's pool has 256 sockets,
 * and a backend that is slow to answer (its calls take long, it acknowledges notifications late)
 * keeps them busy. Every further message then waited in memory for a socket, and the client's
 * POSTs were all accepted (202): a client could make serve hold as much as it cared to send. Now an
 * HTTP backend transport reports a backlog past the high-water mark (8 MiB unsent, as a stdio
 * backend's pipe does), and the client's messages are refused (429 + Retry-After) until it has
 * shrunk. Real `serve`, a minimal Streamable HTTP backend on loopback that holds its answers to
 * notifications until told to let them go.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from './helpers/proxy.js';
import { answerMessages, INIT_BODY, INITIALIZED_BODY, postOnce, toolCallBody } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

const KIB = 1024;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Msg = { id?: string | number; method?: string; params?: { protocolVersion?: string } };

/** A Streamable HTTP backend whose answers to notifications/roots/list_changed wait in `held` while `holding`. */
async function holdingBackend() {
  const state = { url: '', holding: true, held: [] as ServerResponse[], received: 0 };
  const server = createServer((req, res) => {
    if (req.method === 'GET') return void res.writeHead(405).end();
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const msg = JSON.parse(body) as Msg;
      if (msg.id === undefined) {
        if (msg.method === 'notifications/roots/list_changed') {
          state.received++;
          if (state.holding) return void state.held.push(res);
        }
        return void res.writeHead(202).end();
      }
      let result: unknown = {};
      if (msg.method === 'initialize') result = { protocolVersion: msg.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'b', version: '1' } };
      else if (msg.method === 'tools/list') result = { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] };
      else if (msg.method === 'tools/call') result = { content: [{ type: 'text', text: 'ok' }] };
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (msg.method === 'initialize') headers['mcp-session-id'] = randomUUID();
      res.writeHead(200, headers).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const release = () => {
    state.holding = false;
    for (const res of state.held.splice(0)) res.writeHead(202).end();
  };
  return { state, release };
}

describe('messages to an HTTP backend that answers slowly', { timeout: 90_000 }, () => {
  it('are refused (429) once 8 MiB wait to be sent, and taken again once the backend answers', async () => {
    const { state, release } = await holdingBackend();
    const serve: ServeProcess = await startServe(`
backends: [{ name: b, transport: streamable-http, url: ${JSON.stringify(state.url)} }]
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`);
    cleanups.push(() => serve.stop('SIGKILL'));
    const init = await postOnce(serve.url, INIT_BODY, {});
    expect(init.status, init.body).toBe(200);
    const headers = { 'mcp-session-id': init.headers['mcp-session-id'] as string, 'mcp-protocol-version': '2025-11-25' };
    expect((await postOnce(serve.url, INITIALIZED_BODY, headers)).status).toBe(202);

    // 64 KiB notifications: 256 take the pool's sockets (held by the backend), the rest wait.
    const note = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed', params: { pad: 'x'.repeat(64 * KIB) } });
    let taken = 0;
    let refused: Awaited<ReturnType<typeof postOnce>> | undefined;
    for (let i = 0; i < 1000 && refused === undefined; i++) {
      const answer = await postOnce(serve.url, note, headers);
      if (answer.status === 202) taken++;
      else refused = answer;
    }
    expect(refused, `all ${taken} notifications taken`).toBeDefined();
    expect(refused!.status, refused!.body).toBe(429);
    expect(refused!.headers['retry-after']).toBe('1');
    expect(refused!.body).toContain('a backend of this session is not reading what it was sent');
    // 256 in the pool's sockets plus 8 MiB (128 of them) waiting, give or take.
    expect(taken).toBeGreaterThan(300);
    expect(taken).toBeLessThan(450);

    release();
    await until(async () => (await postOnce(serve.url, toolCallBody(2, 'echo'), headers)).status === 200, 'the session to take messages again', 20_000);
    const call = await postOnce(serve.url, toolCallBody(3, 'echo'), headers);
    expect(answerMessages(call.body)[0]?.result?.content[0]?.text).toBe('ok');
    await until(() => state.received === taken, 'every notification taken to reach the backend');
  });
});
