/**
 * Messages nested deeper than JSON.stringify goes (it throws RangeError: Maximum call stack size
 * exceeded), which JSON.parse reads. mcp-warden's own frontends refuse a client's message nested
 * past 128 levels (message-check.ts MAX_NESTING); a WardenProxy session on a transport that does not
 * (an embedder's) met the throw when forwarding: called before the client listed the tools (the
 * proxy fetches the definitions, then goes on from a promise) it was an unhandled rejection and the
 * process ended; called after, the request's id had already been replaced by the backend's, so the
 * client got an internal error under an id it never sent and its own request waited for the
 * backend's timeout. Now -32600 under its own id, nothing of it left in flight. A backend's answer
 * (no nesting bound on that side) that must be parsed and written again: taken out of the backend's
 * table, it could not be written, and the client's request was never answered; now -32603. So is
 * the answer to logging/setLevel sent to several backends, whose error ended the whole serve process
 * (every client's session) from a promise.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendConfig } from '../src/config/backends.js';
import { backendCredentialResolver } from '../src/identity/index.js';
import { createLogger } from '../src/log/logger.js';
import { createPolicyDecider } from '../src/policy/index.js';
import { NoopRecorder } from '../src/proxy/noop-recorder.js';
import { WardenProxy } from '../src/proxy/proxy.js';
import { NdjsonTransport } from '../src/transport/ndjson.js';
import { LineClient } from './helpers/line-client.js';
import { MCP_HEADERS, raw } from './helpers/http-fixture.js';
import { ROOT, startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';

const DEEP_ANSWER = join(ROOT, 'test/servers/deep-answer-server.mjs');

const DEPTH = 20_000;
const deepCall = (id: number): string =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","d":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}}}\n`;

/** A line from the proxy to its client, parsed; in-memory pipes (the proxy's session side as on stdio). */
function lines(stream: PassThrough): () => Promise<Record<string, unknown>> {
  let buffer = '';
  const ready: string[] = [];
  let wake: (() => void) | undefined;
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      ready.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
    wake?.();
  });
  return async () => {
    for (;;) {
      const line = ready.shift();
      if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
}

describe('a request nested too deeply to be forwarded, on a session whose transport does not bound nesting', () => {
  // mcp-warden's own frontends refuse such a message first (message-check.ts MAX_NESTING); a
  // WardenProxy session opened on another transport (an embedder's) must not need that.
  let proxy: WardenProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  it('is answered under its own id, before and after the client listed the tools, and the session goes on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      proxy = new WardenProxy({
        backends: [{ name: 'a', transport: 'stdio', command: process.execPath, args: [TEST_BACKEND], env: {}, timeoutMs: 10_000, restart: { initialDelayMs: 100, maxDelayMs: 1000 } } as BackendConfig],
        decider: createPolicyDecider({ paths: ['read-only'], watch: false }),
        recorder: new NoopRecorder(),
        backendCredentials: backendCredentialResolver(),
        logger: createLogger({ level: 'silent' }),
        version: '0.0.0-test',
      });
      const toProxy = new PassThrough();
      const toClient = new PassThrough();
      await proxy.openSession(new NdjsonTransport(toProxy, toClient, { answerInvalid: true }), { sessionId: 's', transport: 'stdio', client: { id: 'c', name: 'c', auth: 'local', roles: [], claims: {} } });
      const next = lines(toClient);
      toProxy.write(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) + '\n');
      expect((await next()).id).toBe(0);
      // before the client listed the tools: the proxy fetches their definitions first, then goes on from a promise
      toProxy.write(deepCall(7));
      expect(await next()).toEqual({ jsonrpc: '2.0', id: 7, error: { code: -32600, message: 'Invalid Request: the request cannot be forwarded: Maximum call stack size exceeded' } });
      toProxy.write('{"jsonrpc":"2.0","id":8,"method":"tools/list"}\n');
      expect((await next()).id).toBe(8);
      toProxy.write(deepCall(9));
      expect(await next()).toMatchObject({ id: 9, error: { code: -32600 } });
      toProxy.write(JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'echo', arguments: { text: 'still here' } } }) + '\n');
      expect(await next()).toMatchObject({ id: 10, result: { content: [{ type: 'text', text: 'a:still here' }] } });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('wrap: an answer nested too deeply to be relayed', () => {
  let c: LineClient | undefined;
  afterEach(async () => {
    c?.proc.stdin.end();
    await c?.exited;
    c = undefined;
  });

  it('an answer nested too deeply to be relayed is answered with an error under the request id (no audit)', async () => {
    c = new LineClient(['wrap', '--policy', 'read-only', '--no-audit', '--', process.execPath, DEEP_ANSWER]);
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'deep', arguments: {} } });
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 5, error: { code: -32603, message: 'Internal error in mcp-warden: the answer cannot be relayed: Maximum call stack size exceeded' } });
    c.send({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'deep', arguments: { depth: 3 } } });
    expect(await c.next()).toMatchObject({ id: 6, result: { structuredContent: { d: [[[]]] } } });
  });
});

describe('serve: a logging/setLevel error nested too deeply to be relayed (several backends)', () => {
  let c: LineClient | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    c?.proc.stdin.end();
    await c?.exited;
    c = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('is answered with an error under the request id, and serve goes on', async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-deep-level-'));
    const backend = (name: string): string => `  - { name: ${name}, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(DEEP_ANSWER)}] }`;
    const config = join(dir, 'warden.yaml');
    await writeFile(config, `backends:\n${backend('a')}\n${backend('b')}\npolicy: { paths: [allow-all], watch: false }\naudit: { enabled: false }\n`);
    c = new LineClient(['serve', '--config', config, '--stdio', '--no-http']);
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 5, method: 'logging/setLevel', params: { level: 'debug' } });
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 5, error: { code: -32603, message: 'Internal error in mcp-warden: the answer cannot be relayed: Maximum call stack size exceeded' } });
    expect(await c.request(6, 'ping')).toEqual({ jsonrpc: '2.0', id: 6, result: {} });
  });
});

describe('serve over HTTP: an answer nested too deeply to be relayed', () => {
  let serve: ServeProcess | undefined;
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
  });
  const UNRELAYABLE = { code: -32603, message: 'Internal error in mcp-warden: the answer cannot be relayed: Maximum call stack size exceeded' };
  const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'deep', version: '1' } } });
  const call = (id: number, depth?: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'deep', arguments: depth === undefined ? {} : { depth } } });
  const start = () =>
    startServe(`
backends:
  - { name: deep, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(DEEP_ANSWER)}] }
auth: { anonymous: true }
policy: { paths: [read-only], watch: false }
audit: { enabled: false }
`);

  it('Streamable HTTP: answered -32603 under the request id (the POST used to hang for good), and the session goes on', async () => {
    serve = await start();
    const init = await raw(serve.url, { headers: MCP_HEADERS, body: INIT });
    const headers = { ...MCP_HEADERS, 'mcp-session-id': init.headers['mcp-session-id'] as string, 'mcp-protocol-version': '2025-06-18' };
    expect((await raw(serve.url, { headers, body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' })).status).toBe(202);
    const deep = await raw(serve.url, { headers, body: call(2) });
    expect(deep.status).toBe(200);
    expect(deep.json()).toEqual({ jsonrpc: '2.0', id: 2, error: UNRELAYABLE });
    expect((await raw(serve.url, { headers, body: call(3, 3) })).json()).toMatchObject({ id: 3, result: { structuredContent: { d: [[[]]] } } });
  });

  it('legacy SSE: the error goes on the stream under the request id, and the session goes on', async () => {
    serve = await start();
    const controller = new AbortController();
    const stream = await fetch(serve.sseUrl, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the SSE stream ended before ${pattern}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    try {
      await until(/event: endpoint\ndata: (.*)\n/);
      const endpoint = new URL(/event: endpoint\ndata: (.*)\n/.exec(text)![1]!, serve.sseUrl).href;
      const send = (body: string) => raw(endpoint, { headers: { 'content-type': 'application/json' }, body });
      expect((await send(INIT)).status).toBe(202);
      await until(/"protocolVersion"/);
      expect((await send('{"jsonrpc":"2.0","method":"notifications/initialized"}')).status).toBe(202);
      expect((await send(call(2))).status).toBe(202);
      await until(/"id":2/);
      expect(text).toContain(JSON.stringify({ jsonrpc: '2.0', id: 2, error: UNRELAYABLE }));
      expect((await send(call(3, 3))).status).toBe(202);
      await until(/"id":3/);
    } finally {
      controller.abort();
    }
  });
});
