/**
 * Streamable HTTP frontend against a real listening server, driven by the SDK's Client with
 * StreamableHTTPClientTransport; each session is served by a real SDK McpServer through our
 * Transport, so requests, notifications and server-to-client requests all cross the frontend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { StreamableHttpSession } from '../src/transport/http/index.js';
import { MCP_HEADERS, initializeBody, raw, rawSession, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';
import { until } from './helpers/wait.js';

let started: StartedFrontend | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => {});
  await started?.frontend.close();
  started = undefined;
});

async function connect(url: string, headers: Record<string, string> = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'http-test', version: '1.0.0' }, { capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} } });
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp/a' }, { uri: 'file:///tmp/b' }] }));
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'm', content: { type: 'text', text: 'sampled!' } }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada' } }));
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

function text(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0] as { text: string }).text;
}

describe('Streamable HTTP frontend', () => {
  it('opens a session per initialize, hands it to the acceptor with the client identity, and relays tools/list and tools/call', async () => {
    started = await startFrontend();
    const { client, transport } = await connect(started.url, { 'x-test-client': 'bob' });
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.acceptor.sessions).toHaveLength(1);
    expect(started.acceptor.sessions[0]).toMatchObject({ sessionId: transport.sessionId, transport: 'streamable-http', client: { id: 'bob' } });
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('echo');
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'héllo 🌍' } }))).toBe('héllo 🌍');
    // Two clients get two different sessions.
    const second = await connect(started.url);
    expect(second.transport.sessionId).not.toBe(transport.sessionId);
    expect(started.frontend.sessionCount).toBe(2);
  });

  it('streams progress and logging notifications of a request on its SSE answer', async () => {
    started = await startFrontend();
    const { client } = await connect(started.url);
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    const progress: number[] = [];
    const result = await client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(text(result)).toBe('done 3');
    expect(progress).toEqual([1, 2, 3]);
    expect(logs).toEqual(['did 3 steps']);
  });

  it('carries server-to-client requests (roots/list, sampling, elicitation) and their answers', async () => {
    started = await startFrontend();
    const { client } = await connect(started.url);
    expect(text(await client.callTool({ name: 'roots', arguments: {} }))).toBe('file:///tmp/a,file:///tmp/b');
    expect(text(await client.callTool({ name: 'sample', arguments: {} }))).toBe('sampled!');
    expect(text(await client.callTool({ name: 'elicit', arguments: {} }))).toBe('accept:Ada');
  });

  it('delivers server-initiated notifications unrelated to a request on the standalone GET stream', async () => {
    started = await startFrontend();
    const { client } = await connect(started.url);
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    expect(text(await client.callTool({ name: 'add-tool', arguments: { name: 'late' } }))).toBe('added');
    await changed;
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('late');
  });

  it('answers a request as application/json when nothing else relates to it, with the session id header', async () => {
    started = await startFrontend();
    const sessionId = await rawSession(started.url);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'abc', method: 'tools/call', params: { name: 'echo', arguments: { text: 'x – ü' } } });
    const res = await raw(started.url, {
      headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body,
    });
    expect(res.status).toBe(200);
    // The transport tells the proxy the size of the message it delivered (for the audit).
    expect((started.acceptor.transports[0] as { lastMessageBytes?: number }).lastMessageBytes).toBe(Buffer.byteLength(body));
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['mcp-session-id']).toBe(sessionId);
    expect(res.json()).toEqual({ jsonrpc: '2.0', id: 'abc', result: { content: [{ type: 'text', text: 'x – ü' }] } });
  });

  it('turns the answer into an SSE stream when the server sends messages related to the request, ending it after the answer', async () => {
    started = await startFrontend();
    const sessionId = await rawSession(started.url);
    const res = await raw(started.url, {
      headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'progress', arguments: { steps: 2 }, _meta: { progressToken: 'tok' } } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['mcp-session-id']).toBe(sessionId);
    const events = res.body
      .split('\n\n')
      .filter((e) => e.startsWith('event: message'))
      .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)));
    expect(events.map((e) => e.method ?? `answer ${e.id}`)).toEqual(['notifications/progress', 'notifications/progress', 'notifications/message', 'answer 5']);
    expect(events[0].params).toEqual({ progressToken: 'tok', progress: 1, total: 2 });
    expect(events[3].result.content[0].text).toBe('done 2');
  });

  it('DELETE ends the session: the acceptor sees it close and the id then gets 404', async () => {
    started = await startFrontend();
    const { transport } = await connect(started.url);
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    expect(started.acceptor.closedSessions).toBe(1);
    expect(started.frontend.sessionCount).toBe(0);
    const res = await raw(started.url, {
      headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: 2, error: { code: -32001 } });
  });

  it("binds a session to the client that created it: another identity on that session id gets 404, the owner keeps working", async () => {
    started = await startFrontend();
    const sessionId = await rawSession(started.url, { 'x-test-client': 'alice' });
    const call = (client: string) =>
      raw(started!.url, {
        headers: { ...MCP_HEADERS, 'x-test-client': client, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'mine' } } }),
      });
    const stolen = await call('mallory');
    expect(stolen.status).toBe(404);
    expect(stolen.json().error.code).toBe(-32001);
    const del = await raw(started.url, { method: 'DELETE', headers: { 'x-test-client': 'mallory', 'mcp-session-id': sessionId } });
    expect(del.status).toBe(404);
    const own = await call('alice');
    expect(own.status).toBe(200);
    expect(own.json().result.content[0].text).toBe('mine');
  });

  it('closes sessions idle for longer than sessionIdleMs', async () => {
    // Long enough that the two requests opening the session are never that far apart, even on a busy host.
    started = await startFrontend({ sessionIdleMs: 2000 });
    const sessionId = await rawSession(started.url);
    expect(started.frontend.sessionCount).toBe(1);
    await until(() => started!.frontend.sessionCount === 0, 'the idle session closed');
    expect(started.frontend.sessionCount).toBe(0);
    expect(started.acceptor.closedSessions).toBe(1);
    const res = await raw(started.url, {
      headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(404);
  });

  it('resumes the standalone stream with Last-Event-ID; a new GET replaces the open stream', async () => {
    started = await startFrontend();
    const sessionId = await rawSession(started.url);
    const transport = started.acceptor.transports[0]!;
    // Sent while no GET stream is open: kept and delivered when one opens.
    await transport.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    await transport.send({ jsonrpc: '2.0', method: 'notifications/resources/list_changed' });
    const controller = new AbortController();
    const headers = { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const first = await fetch(started.url, { headers, signal: controller.signal });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    const reader = first.body!.getReader();
    let seen = '';
    while (!seen.includes('resources/list_changed')) seen += new TextDecoder().decode((await reader.read()).value);
    expect(seen).toContain('id: 1\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}');
    expect(seen).toContain('id: 2\n');
    // A second GET (no Last-Event-ID: nothing undelivered) takes over; the first stream ends.
    const secondController = new AbortController();
    const second = await fetch(started.url, { headers, signal: secondController.signal });
    expect(second.status).toBe(200);
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    await transport.send({ jsonrpc: '2.0', method: 'notifications/prompts/list_changed' });
    const onSecond = new TextDecoder().decode((await second.body!.getReader().read()).value);
    expect(onSecond).toContain('id: 3\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/prompts/list_changed"}');
    secondController.abort();
    controller.abort();
    // Resume after event 1: event 2 is replayed.
    const resumed = new AbortController();
    const again = await fetch(started.url, { headers: { ...headers, 'last-event-id': '1' }, signal: resumed.signal });
    const chunk = new TextDecoder().decode((await again.body!.getReader().read()).value);
    expect(chunk).toContain('id: 2\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/resources/list_changed"}');
    expect(chunk).not.toContain('id: 1\n');
    resumed.abort();
  });
});

describe('Streamable HTTP frontend: concurrency, cancellation, failures', () => {
  it('keeps concurrent sessions apart when their request ids collide', async () => {
    started = await startFrontend();
    const sessions = await Promise.all([rawSession(started.url), rawSession(started.url), rawSession(started.url)]);
    const calls = sessions.flatMap((sessionId, s) =>
      Array.from({ length: 10 }, (_, i) =>
        raw(started!.url, {
          headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
          body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo', arguments: { text: `s${s}-${i}` } } }),
        }).then((res) => ({ s, i, res })),
      ),
    );
    for (const { s, i, res } of await Promise.all(calls)) {
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ jsonrpc: '2.0', id: i, result: { content: [{ type: 'text', text: `s${s}-${i}` }] } });
    }
  });

  it('sends a server-to-client request unrelated to any client request on the GET stream and takes its answer by POST', async () => {
    started = await startFrontend();
    await connect(started.url);
    // Give the client a moment to open its GET stream (the request would wait for it anyway).
    const roots = await started.acceptor.servers[0]!.server.listRoots();
    expect(roots.roots.map((r) => r.uri)).toEqual(['file:///tmp/a', 'file:///tmp/b']);
  });

  it('a cancelled request ends its HTTP exchange (202) and the server keeps serving', async () => {
    started = await startFrontend();
    const sessionId = await rawSession(started.url);
    const headers = { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const slow = raw(started.url, { headers, body: JSON.stringify({ jsonrpc: '2.0', id: 'slow-1', method: 'tools/call', params: { name: 'slow', arguments: {} } }) });
    // Cancel only once the server holds the call (a cancellation of an id not yet seen is ignored).
    await until(() => started!.acceptor.slowCalls === 1, 'the slow call in flight');
    const cancel = await raw(started.url, { headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow-1', reason: 'user' } }) });
    expect(cancel.status).toBe(202);
    const released = await slow;
    expect(released.status).toBe(202);
    expect(released.body).toBe('');
    const next = await raw(started.url, { headers, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'after' } } }) });
    expect(next.json().result.content[0].text).toBe('after');
  });

  it('the SDK client cancelling a call through an AbortSignal gets an abort and the session goes on', async () => {
    started = await startFrontend();
    const { client } = await connect(started.url);
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: controller.signal });
    await until(() => started!.acceptor.slowCalls === 1, 'the slow call in flight');
    controller.abort('changed my mind');
    await expect(call).rejects.toThrow();
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe('still here');
  });

  it('an acceptor that refuses the session: 500 with a JSON-RPC error, no session left behind', async () => {
    started = await startFrontend();
    started.acceptor.fail = 'open';
    const res = await raw(started.url, { headers: MCP_HEADERS, body: initializeBody() });
    expect(res.status).toBe(500);
    expect(res.json()).toMatchObject({ id: 1, error: { code: -32603 } });
    expect(started.frontend.sessionCount).toBe(0);
  });

  it('a proxy that throws on a message: 500 with a JSON-RPC error, the server keeps serving', async () => {
    started = await startFrontend();
    started.acceptor.fail = 'message';
    const res = await raw(started.url, { headers: MCP_HEADERS, body: initializeBody(3) });
    expect(res.status).toBe(500);
    expect(res.json()).toMatchObject({ id: 3, error: { code: -32603, message: expect.stringMatching(/Internal error/) } });
    started.acceptor.fail = undefined;
    expect(await rawSession(started.url)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('Streamable HTTP frontend: a client that stops reading', () => {
  it('drops its GET stream once too much is unread instead of buffering without bound', async () => {
    started = await startFrontend();
    const sessionId = await rawSession(started.url);
    const session = started.acceptor.transports[0] as StreamableHttpSession;
    const { request } = await import('node:http');
    const target = new URL(started.url);
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId } }, resolve);
      req.on('error', reject);
      req.end();
    });
    res.pause(); // Never read.
    expect(session.hasStandaloneStream).toBe(true);
    const pad = 'p'.repeat(256 * 1024);
    for (let i = 0; i < 200 && session.hasStandaloneStream; i++) {
      await session.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: pad } });
    }
    expect(session.hasStandaloneStream).toBe(false);
    res.destroy();
    // The session itself lives on.
    const ok = await raw(started.url, {
      headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'alive' } } }),
    });
    expect(ok.json().result.content[0].text).toBe('alive');
  });
});
