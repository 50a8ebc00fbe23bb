/**
 * The lean Streamable HTTP client transport (used for HTTP backends), driven by the SDK's Client:
 * against our own frontend (each session an SDK McpServer) and against the SDK's own server
 * transport (our conformance test server in --http mode, which has an event store, so it sends
 * priming events and can close a stream mid-call for the client to resume).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { StreamableHttpClientTransport } from '../src/transport/http/streamable-client.js';
import { startFrontend, type StartedFrontend } from './helpers/http-fixture.js';
import { until } from './helpers/wait.js';

let started: StartedFrontend | undefined;
let child: ChildProcess | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await started?.frontend.close();
  started = undefined;
  child?.kill();
  child = undefined;
});

async function connect(url: string, headers?: Record<string, string>) {
  const client = new Client({ name: 'lean-client-test', version: '1.0.0' }, { capabilities: { roots: {}, sampling: {}, elicitation: {} } });
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///r' }] }));
  client.setRequestHandler(CreateMessageRequestSchema, async (r) => ({
    role: 'assistant',
    model: 'm',
    content: { type: 'text', text: `sampled ${(r.params.messages[0]!.content as { text: string }).text}` },
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Grace', username: 'g', email: 'g@x' } }));
  const transport = new StreamableHttpClientTransport(new URL(url), { headers, reconnectDelayMs: 50 });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

function text(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0]!.text;
}

describe('lean Streamable HTTP client transport against our frontend', () => {
  it('initializes (keeps the session id, sends its headers), calls tools, and carries progress, logging and server-to-client requests', async () => {
    started = await startFrontend();
    const { client, transport } = await connect(started.url, { 'x-test-client': 'backend-cred' });
    expect(transport.sessionId).toBe(started.acceptor.sessions[0]!.sessionId);
    expect(started.acceptor.sessions[0]!.client.id).toBe('backend-cred');
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'lean' } }))).toBe('lean');
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    const progress: number[] = [];
    expect(text(await client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) }))).toBe('done 3');
    expect(progress).toEqual([1, 2, 3]);
    expect(logs).toEqual(['did 3 steps']);
    expect(text(await client.callTool({ name: 'roots', arguments: {} }))).toBe('file:///r');
    expect(text(await client.callTool({ name: 'sample', arguments: {} }))).toBe('sampled hi');
    expect(text(await client.callTool({ name: 'elicit', arguments: {} }))).toBe('accept:Grace');
  });

  it('receives server-initiated messages on its GET stream, and answers server requests sent there', async () => {
    started = await startFrontend();
    const { client } = await connect(started.url);
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    await client.callTool({ name: 'add-tool', arguments: { name: 'fresh' } });
    await changed;
    const roots = await started.acceptor.servers[0]!.server.listRoots();
    expect(roots.roots).toEqual([{ uri: 'file:///r' }]);
  });

  it('reopens a lost GET stream with Last-Event-ID and gets what it missed', async () => {
    started = await startFrontend();
    const { client } = await connect(started.url);
    const seen: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.push('tools'));
    const session = started.acceptor.transports[0] as unknown as { send(m: unknown): Promise<void>; hasStandaloneStream: boolean };
    await until(() => session.hasStandaloneStream, 'the GET stream');
    await session.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    await until(() => seen.length >= 1, 'the first notification');
    // Kill the stream from the server side; send while it is down; the client reconnects and gets it.
    (session as unknown as { standalone: { res: { destroy(): void } } }).standalone.res.destroy();
    await new Promise((r) => setTimeout(r, 5));
    await session.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    await until(() => seen.length >= 2, 'the notification sent while the stream was down');
    expect(seen).toEqual(['tools', 'tools']);
  });

  it('terminateSession ends the session on the server (DELETE)', async () => {
    started = await startFrontend();
    const { transport } = await connect(started.url);
    expect(started.frontend.sessionCount).toBe(1);
    await transport.terminateSession();
    expect(started.frontend.sessionCount).toBe(0);
    expect(transport.sessionId).toBeUndefined();
  });

  it('a session the server forgot (404) rejects the send with the HTTP status and closes the transport', async () => {
    started = await startFrontend();
    const { client, transport } = await connect(started.url);
    let closed = false;
    const previous = transport.onclose;
    transport.onclose = () => {
      closed = true;
      previous?.();
    };
    // The server forgets the session (as after a restart).
    await started.acceptor.transports[0]!.close();
    const answer = transport.send({ jsonrpc: '2.0', id: 99, method: 'ping' });
    // Either this POST gets the 404, or the GET stream's reconnect got it first and closed us.
    await expect(answer).rejects.toThrow(/HTTP 404|transport closed/);
    await until(() => closed, 'the transport closed');
    expect(closed).toBe(true);
    await expect(client.ping()).rejects.toThrow();
  });

  it('an HTTP error answer (401) rejects the send with the status and the body', async () => {
    started = await startFrontend({}, { authenticate: () => ({ ok: false, status: 401, message: 'no entry', wwwAuthenticate: 'Bearer' }) });
    const transport = new StreamableHttpClientTransport(new URL(started.url));
    await expect(transport.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } })).rejects.toThrow(/HTTP 401.*no entry/);
    await transport.close();
  });
});

describe('lean Streamable HTTP client transport: kept-alive sockets', () => {
  it('resends once when the server dropped a reused keep-alive socket before answering (ECONNRESET)', async () => {
    const { createServer } = await import('node:http');
    const perSocket = new WeakMap<object, number>();
    let handled = 0;
    const server = createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n === 2) {
        req.socket.destroy(); // As a server whose keep-alive timeout fired just now.
        return;
      }
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        handled++;
        const msg = JSON.parse(body) as { id: number };
        const answer = JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { n: handled } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
        res.end(answer);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const transport = new StreamableHttpClientTransport(new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`));
      const answers: unknown[] = [];
      transport.onmessage = (m) => void answers.push(m);
      await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
      await new Promise((r) => setTimeout(r, 20));
      await transport.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
      await until(() => answers.length >= 2, 'both answers');
      expect(answers).toEqual([
        { jsonrpc: '2.0', id: 1, result: { n: 1 } },
        { jsonrpc: '2.0', id: 2, result: { n: 2 } },
      ]);
      await transport.close();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('lean Streamable HTTP client transport against the SDK server transport', () => {
  async function startConformanceServer(): Promise<string> {
    child = spawn(process.execPath, [path.join(import.meta.dirname, 'servers', 'conformance-server.mjs'), '--http', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /MCP_URL=(\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child!.on('exit', (code) => reject(new Error(`conformance server exited ${code}`)));
    });
  }

  it('calls tools, relays progress and sampling, and resumes a stream the server closes mid-call', async () => {
    const url = await startConformanceServer();
    const { client, transport } = await connect(url);
    expect(text(await client.callTool({ name: 'test_simple_text', arguments: {} }))).toMatch(/simple text/i);
    // Record what the transport delivers, in order (the SDK Client itself handles an answer before
    // notifications delivered just ahead of it in the same tick, so its onprogress may miss the last).
    const delivered: string[] = [];
    const inner = transport.onmessage!;
    transport.onmessage = (m) => {
      const msg = m as { method?: string; params?: { progress?: number }; result?: unknown };
      delivered.push(msg.method === 'notifications/progress' ? `progress ${msg.params!.progress}` : msg.result ? 'result' : String(msg.method));
      inner(m);
    };
    const progress: number[] = [];
    await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(delivered).toEqual(['progress 0', 'progress 50', 'progress 100', 'result']);
    // What the SDK Client passed on: in order, from the first, but the ones read in one chunk with
    // the answer are dropped by the SDK itself (on a busy host 50, 100 and the answer came in one
    // read). The transport's order is what the line above checks.
    expect(progress).toEqual([0, 50, 100].slice(0, progress.length));
    expect(text(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } }))).toBe('LLM response: sampled x');
    expect(text(await client.callTool({ name: 'test_reconnection', arguments: {} }))).toBe('Reconnection test completed successfully');
  });
});
