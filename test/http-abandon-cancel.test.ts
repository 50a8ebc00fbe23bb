/**
 * A request its HTTP client gave up on without cancelling it (the connection its answer was due on
 * closed; the write-stall watchdog closing a stalled answer stream is the other way, seen in
 * http-write-stall) kept running at the backend to its end: the proxy only dropped the answer. Now
 * the backend gets notifications/cancelled for it, as when the client cancels, and the audit records
 * it `cancelled` with the reason; a session that closes (legacy SSE stream gone, DELETE) does the
 * same for every request it still has in flight. Real `serve`, real sockets, the test backend's
 * `slow` tool (which stops and counts when its request is cancelled), the audit read with the CLI.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { until } from './helpers/wait.js';

const run = promisify(execFile);
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
const slowCall = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: { ms: 60_000 }, _meta: { progressToken: `p${id}` } } });

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...HEADERS, ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs a request and resolves once its answer stream has carried its first event (the tool is running); then `abort()` closes the connection. */
function postAndHold(url: string, body: string, headers: Record<string, string>): Promise<{ abort: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...HEADERS, ...headers } }, (res) => {
      res.once('data', () => resolve({ abort: () => req.destroy() }));
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.on('timeout', () => reject(new Error('no answer stream')));
    req.end(body);
  });
}

const text = (answer: string): string => {
  const json = answer.startsWith('{') ? answer : answer.split('\n').find((l) => l.startsWith('data: '))!.slice(6);
  return (JSON.parse(json) as { result: { content: Array<{ text: string }> } }).result.content[0]!.text;
};

describe('a request its HTTP client abandons is cancelled at the backend and audited cancelled', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  let audit: string;
  beforeAll(async () => {
    serve = await startServe(`backends:
  - { name: t, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
auth: { anonymous: true }
audit: { path: audit.db }
policy: { paths: [allow-all], watch: false }
`);
    audit = join(serve.dir, 'audit.db');
  });
  afterAll(async () => {
    await serve?.stop();
  });

  async function session(): Promise<Record<string, string>> {
    const opened = await post(serve.url, INIT);
    const headers = { 'mcp-session-id': String(opened.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    await post(serve.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers);
    return headers;
  }

  const cancelledCount = async (headers: Record<string, string>, id: number): Promise<number> =>
    Number(text((await post(serve.url, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'cancelled_count', arguments: {} } }), headers)).body));

  async function rows(): Promise<Array<{ tool: string | null; outcome: string; errorMessage: string | null; requestId: unknown }>> {
    const { stdout } = await run(process.execPath, [CLI, 'audit', 'query', '--db', audit, '--json', '--tool', 'slow']);
    return JSON.parse(stdout) as Array<{ tool: string | null; outcome: string; errorMessage: string | null; requestId: unknown }>;
  }

  it('Streamable HTTP: the client closes the connection its answer stream was on: the backend stops the call; the audit says cancelled', async () => {
    const headers = await session();
    const held = await postAndHold(serve.url, slowCall(2), headers);
    expect(await cancelledCount(headers, 3)).toBe(0);
    held.abort();
    // The backend's `slow` returns at once when cancelled (else it runs 60 s) and counts it.
    let n = 0;
    await until(async () => (await cancelledCount(headers, 10 + n++)) === 1, 'the backend to see the call cancelled');
    await until(async () => (await rows()).some((r) => r.requestId === 2), 'the cancelled call to be audited');
    expect((await rows()).find((r) => r.requestId === 2)).toMatchObject({ outcome: 'cancelled', errorMessage: 'the client closed the connection its answer was due on' });
  });

  it('legacy SSE: the client closes its stream (the session ends) with a call in flight: the backend is told before it is closed, the audit says cancelled', async () => {
    let seen = '';
    const stream = await new Promise<{ endpoint: string; close: () => void }>((resolve) => {
      const req = http.get(serve.sseUrl, { headers: { accept: 'text/event-stream' } }, (res) => {
        res.on('data', (c: Buffer) => {
          seen += c.toString();
          const m = /event: endpoint\ndata: (\S+)/.exec(seen);
          if (m) resolve({ endpoint: new URL(m[1]!, serve.sseUrl).toString(), close: () => req.destroy() });
        });
        res.on('error', () => undefined);
      });
      req.on('error', () => undefined);
    });
    await post(stream.endpoint, INIT);
    // Requests sent before initialize is answered wait for it: the call must be forwarded, not queued.
    await until(() => seen.includes('"id":1'), 'the initialize answer on the stream');
    await post(stream.endpoint, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    // 202 comes once the proxy has taken the message: with allow-all it is forwarded by then (in flight).
    expect((await post(stream.endpoint, slowCall(7))).status).toBe(202);
    stream.close();
    await until(async () => (await rows()).some((r) => r.requestId === 7), 'the cancelled call to be audited');
    // It was audited backend_unavailable ("session closed"), the backend never told.
    expect((await rows()).find((r) => r.requestId === 7)).toMatchObject({ outcome: 'cancelled', errorMessage: 'the client session closed' });
  });
});
