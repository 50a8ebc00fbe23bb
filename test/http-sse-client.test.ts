/**
 * The lean legacy HTTP+SSE client transport (used for SSE backends), driven by the SDK's Client:
 * against our own legacy SSE frontend (each session an SDK McpServer) and against the Nomad test
 * server served by the SDK's SSEServerTransport.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { SseClientTransport } from '../src/transport/http/sse-client.js';
import { RefusingAuthenticator, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';

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
  const client = new Client({ name: 'lean-sse-test', version: '1.0.0' }, { capabilities: { roots: {}, sampling: {} } });
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///nomad' }] }));
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'm', content: { type: 'text', text: 'sse-sampled' } }));
  const transport = new SseClientTransport(new URL(url), { headers });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

function text(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0]!.text;
}

describe('lean legacy SSE client transport', () => {
  it('connects through the endpoint event, sends its headers, calls tools, carries progress and server-to-client requests', async () => {
    started = await startFrontend();
    const { client } = await connect(started.sseUrl, { 'x-test-client': 'sse-backend-cred' });
    expect(started.acceptor.sessions[0]).toMatchObject({ transport: 'sse', client: { id: 'sse-backend-cred' } });
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'via sse' } }))).toBe('via sse');
    const progress: number[] = [];
    await client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(progress).toEqual([1, 2]);
    expect(text(await client.callTool({ name: 'roots', arguments: {} }))).toBe('file:///nomad');
    expect(text(await client.callTool({ name: 'sample', arguments: {} }))).toBe('sse-sampled');
  });

  it('closes when the server ends the stream (the session is the stream)', async () => {
    started = await startFrontend();
    const { transport } = await connect(started.sseUrl);
    const closed = new Promise<void>((resolve) => {
      const previous = transport.onclose;
      transport.onclose = () => {
        previous?.();
        resolve();
      };
    });
    await started.acceptor.transports[0]!.close();
    await closed;
    await expect(transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' })).rejects.toThrow(/transport closed/);
  });

  it('start() fails with the HTTP status when the stream is refused', async () => {
    started = await startFrontend({}, new RefusingAuthenticator(401));
    const transport = new SseClientTransport(new URL(started.sseUrl));
    await expect(transport.start()).rejects.toThrow(/HTTP 401/);
  });

  it('refuses an endpoint on another origin (the backend credentials must not travel there)', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: endpoint\ndata: http://evil.example.com/messages?sessionId=1\n\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const transport = new SseClientTransport(new URL(`http://127.0.0.1:${port}/sse`), { headers: { authorization: 'Bearer secret' } });
      await expect(transport.start()).rejects.toThrow(/endpoint origin http:\/\/evil.example.com differs/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('works with the SDK SSE server (the Nomad test server)', async () => {
    child = spawn(process.execPath, [path.join(import.meta.dirname, 'servers', 'nomad-server.mjs'), '--sse'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (c: Buffer) => {
        out += c.toString();
        const m = /MCP_URL=(\S+)/.exec(out);
        if (m) resolve(m[1]!);
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      child!.on('exit', (code) => reject(new Error(`nomad server exited ${code}: ${out}`)));
    });
    const { client } = await connect(url);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('get_job_status');
    expect(text(await client.callTool({ name: 'get_job_status', arguments: { job_id: 'web' } }))).toBe('{"ID":"web","Status":"running"}');
  });
});
