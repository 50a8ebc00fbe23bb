/**
 * Legacy HTTP+SSE frontend (MCP 2024-11-05: GET /sse + POST /messages) against a real listening
 * server, driven by the SDK's Client with SSEClientTransport and served by a real SDK McpServer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { raw, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';
import { until } from './helpers/wait.js';

let started: StartedFrontend | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => {});
  await started?.frontend.close();
  started = undefined;
});

async function connect(url: string, headers: Record<string, string> = {}): Promise<{ client: Client; transport: SSEClientTransport }> {
  const client = new Client({ name: 'sse-test', version: '1.0.0' }, { capabilities: { roots: {}, sampling: {} } });
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///srv' }] }));
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'm', content: { type: 'text', text: 'from-sse-client' } }));
  const transport = new SSEClientTransport(new URL(url), { requestInit: { headers }, eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) } });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

function text(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0]!.text;
}

/** Reads the first event of a fresh SSE stream: the endpoint announcement. */
async function openRawStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const reader = res.body!.getReader();
  let buffered = '';
  while (!buffered.includes('\n\n')) buffered += new TextDecoder().decode((await reader.read()).value);
  const endpoint = /event: endpoint\ndata: (.*)\n/.exec(buffered)![1]!;
  return { res, endpoint, reader, close: () => controller.abort() };
}

describe('legacy HTTP+SSE frontend', () => {
  it('refuses a GET /sse with a forged Host (403) or Origin (403) before opening a session', async () => {
    started = await startFrontend();
    const host = await raw(started.sseUrl, { method: 'GET', headers: { accept: 'text/event-stream', host: 'evil.example.com' } });
    expect(host.status).toBe(403);
    const origin = await raw(started.sseUrl, { method: 'GET', headers: { accept: 'text/event-stream', origin: 'http://evil.example.com' } });
    expect(origin.status).toBe(403);
    expect(started.acceptor.sessions).toHaveLength(0);
  });

  it('announces the messages endpoint, opens a session with the client identity, and relays calls', async () => {
    started = await startFrontend();
    const { client } = await connect(started.sseUrl, { 'x-test-client': 'carol' });
    expect(started.acceptor.sessions).toHaveLength(1);
    expect(started.acceptor.sessions[0]).toMatchObject({ transport: 'sse', client: { id: 'carol' } });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'over sse' } }))).toBe('over sse');
  });

  it('carries progress and logging notifications, server-to-client requests and unrelated notifications', async () => {
    started = await startFrontend();
    const { client } = await connect(started.sseUrl);
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    const progress: number[] = [];
    expect(text(await client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, { onprogress: (p) => progress.push(p.progress) }))).toBe('done 2');
    expect(progress).toEqual([1, 2]);
    expect(logs).toEqual(['did 2 steps']);
    expect(text(await client.callTool({ name: 'roots', arguments: {} }))).toBe('file:///srv');
    expect(text(await client.callTool({ name: 'sample', arguments: {} }))).toBe('from-sse-client');
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    await client.callTool({ name: 'add-tool', arguments: { name: 'later' } });
    await changed;
  });

  it('ends the session when the stream closes; its sessionId then gets 404', async () => {
    started = await startFrontend();
    const stream = await openRawStream(started.sseUrl);
    expect(stream.endpoint).toMatch(/^\/messages\?sessionId=[0-9a-f-]{36}$/);
    expect(started.frontend.sessionCount).toBe(1);
    stream.close();
    await until(() => started!.frontend.sessionCount === 0, 'the session to end');
    expect(started.frontend.sessionCount).toBe(0);
    expect(started.acceptor.closedSessions).toBe(1);
    const res = await raw(new URL(stream.endpoint, started.sseUrl).href, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ id: 1, error: { code: -32001 } });
  });

  it('rejects bad POSTs to /messages with clear errors and keeps serving the session', async () => {
    started = await startFrontend({ maxMessageBytes: 4096 });
    const stream = await openRawStream(started.sseUrl, { 'x-test-client': 'dan' });
    const endpoint = new URL(stream.endpoint, started.sseUrl).href;
    const post = (body: string, headers: Record<string, string> = {}, url = endpoint) =>
      raw(url, { headers: { 'content-type': 'application/json', 'x-test-client': 'dan', ...headers }, body });

    const malformed = await post('{"jsonrpc":"2.0",');
    expect(malformed.status).toBe(400);
    expect(malformed.json().error.code).toBe(-32700);

    const batch = await post(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'ping' }]));
    expect(batch.status).toBe(400);
    expect(batch.json().error.code).toBe(-32600);

    const noSession = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), {}, `${started.sseUrl.replace('/sse', '/messages')}`);
    expect(noSession.status).toBe(400);
    expect(noSession.json().error.message).toMatch(/sessionId query parameter is required/);

    const otherClient = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), { 'x-test-client': 'eve' });
    expect(otherClient.status).toBe(404);

    const tooBig = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping', params: { pad: 'z'.repeat(5000) } }));
    expect(tooBig.status).toBe(413);
    expect(tooBig.json().error.message).toContain('4096 bytes');

    const noMethod = await post(JSON.stringify({ jsonrpc: '2.0', id: 3 }));
    expect(noMethod.status).toBe(400);
    expect(noMethod.json()).toMatchObject({ id: 3, error: { code: -32600 } });

    const forgedHost = await post(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'ping' }), { host: 'evil.example.com' });
    expect(forgedHost.status).toBe(403);

    // The session still works: initialize goes through and its answer arrives on the stream.
    const init = await post(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
    expect(init.status).toBe(202);
    expect(init.body).toBe('Accepted');
    let buffered = '';
    while (!buffered.includes('"id":9')) buffered += new TextDecoder().decode((await stream.reader.read()).value);
    expect(buffered).toContain('"protocolVersion":"2024-11-05"');
    stream.close();
  });
});
