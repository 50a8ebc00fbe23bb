/**
 * Resuming a backend's SSE answer stream (Streamable HTTP client). A server may end a POST's SSE
 * stream before the answer and let the client poll for it (GET with Last-Event-ID), saying how long
 * to wait with an SSE `retry:` field (MCP 2025-11-25, "server-sse-polling"). The client used to
 * ignore `retry:` and reconnect at once, every time: against a server that ends each stream with
 * nothing new, a tight loop of HTTP requests (CPU on both sides) for as long as the call was pending.
 * A raw node:http backend that answers initialize, then ends every SSE stream after a priming event.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamableHttpClientTransport } from '../src/transport/http/streamable-client.js';
import type { JSONRPCMessage } from '../src/transport/types.js';
import { sleep, until } from './helpers/wait.js';

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

interface Backend {
  url: URL;
  /** Times (ms, performance.now()) of the resumption GETs (those with Last-Event-ID). */
  resumes: number[];
}

/**
 * `answerOnResume`: the resumption GET that carries the answer (1-based), or 0 for never. `retry`:
 * the retry field of the POST stream's priming event (ms), or undefined.
 */
async function startBackend(answerOnResume: number, retry: number | undefined): Promise<Backend> {
  const resumes: number[] = [];
  let callId: unknown;
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'GET') {
        if (req.headers['last-event-id'] === undefined) return void res.writeHead(405).end();
        resumes.push(performance.now());
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (answerOnResume > 0 && resumes.length === answerOnResume) {
          res.end(`id: answer\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: callId, result: { content: [] } })}\n\n`);
        } else {
          res.end(`id: empty-${resumes.length}\ndata: \n\n`);
        }
        return;
      }
      const msg = JSON.parse(body) as { id?: unknown; method?: string };
      if (msg.method === 'initialize') {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' });
        return void res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'poll', version: '1' } } }));
      }
      if (msg.id === undefined) return void res.writeHead(202).end();
      callId = msg.id;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`id: prime\n${retry === undefined ? '' : `retry: ${retry}\n`}data: \n\n`);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`), resumes };
}

async function open(url: URL, reconnectDelayMs: number): Promise<{ transport: StreamableHttpClientTransport; messages: JSONRPCMessage[] }> {
  const transport = new StreamableHttpClientTransport(url, { reconnectDelayMs });
  const messages: JSONRPCMessage[] = [];
  transport.onmessage = (m) => messages.push(m);
  await transport.start();
  await transport.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } } as JSONRPCMessage);
  await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' } as JSONRPCMessage);
  return { transport, messages };
}


describe('resuming a backend SSE stream', () => {
  it("waits the server's retry: before each resumption, and gets the answer", async () => {
    const backend = await startBackend(3, 300);
    const { transport, messages } = await open(backend.url, 20);
    const sent = performance.now();
    await transport.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'x', arguments: {} } } as JSONRPCMessage);
    await until(() => messages.some((m) => (m as { id?: unknown }).id === 7), 'the answer');
    expect(messages.find((m) => (m as { id?: unknown }).id === 7)).toMatchObject({ result: { content: [] } });
    expect(backend.resumes).toHaveLength(3);
    // Lower bounds only (a loaded machine only makes the gaps longer).
    const gaps = [backend.resumes[0]! - sent, backend.resumes[1]! - backend.resumes[0]!, backend.resumes[2]! - backend.resumes[1]!];
    for (const gap of gaps) expect(gap, `gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`).toBeGreaterThanOrEqual(280);
    await transport.close();
  });

  it('a server that never answers: resumptions back off (not a tight loop) and stop when the transport closes', async () => {
    const backend = await startBackend(0, undefined);
    const { transport } = await open(backend.url, 100);
    const sent = performance.now();
    await transport.send({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'x', arguments: {} } } as JSONRPCMessage);
    await sleep(2000);
    // Two at least (waited for: a busy host may not have made them within 2 s).
    await until(() => backend.resumes.length >= 2, 'two resumptions');
    // 100, 200, 400, 800 ms apart: at most 5 in the first 2 s (the old client made hundreds). A
    // busy host only makes the gaps longer.
    expect(backend.resumes.filter((t) => t - sent < 2000).length).toBeLessThanOrEqual(5);
    // A resumption the client sent before closing may still reach the server (this process) after
    // the close: allowed for each request the client had in flight then. None may start after it.
    const inflight = (transport as unknown as { inflight: Set<unknown> }).inflight.size;
    const before = backend.resumes.length;
    await transport.close();
    await sleep(1000);
    expect(backend.resumes.length - before, `resumptions after close (${inflight} request(s) in flight at close)`).toBeLessThanOrEqual(inflight);
  });

  it('retry: 0 is not taken as "at once": at least 250 ms between resumptions', async () => {
    const backend = await startBackend(0, 0);
    const { transport } = await open(backend.url, 100);
    const sent = performance.now();
    await transport.send({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'x', arguments: {} } } as JSONRPCMessage);
    await sleep(1200);
    await until(() => backend.resumes.length >= 1, 'a resumption');
    await transport.close();
    // At most 5 in the first 1.2 s (a tight loop makes hundreds); a busy host only makes fewer.
    expect(backend.resumes.filter((t) => t - sent < 1200).length).toBeLessThanOrEqual(5);
  });
});
