/**
 * Clients that send their request slowly, through a real `mcp-warden serve` on a raw socket:
 * - refused without a credential: the 401 closes the connection. Before, node went on reading (and
 *   discarding) the declared body for as long as the client trickled it, so anyone could hold
 *   sockets open without any credential (fastify turns node's request timeout off);
 * - authenticated but slow: the request must arrive within server.requestTimeoutMs (408, closed).
 * Long-lived answers are not requests: a tool call answered after that time and an open GET stream
 * keep working.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/identity/api-keys.js';
import { startServe, TEST_BACKEND, testClient, type ServeProcess } from './helpers/proxy.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const KEY = generateApiKey();

function yaml(extraServer: string): string {
  return `
server: { host: 127.0.0.1${extraServer} }
backends:
  - { name: t, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
auth: { apiKeys: [{ id: k_slow, hash: ${hashApiKey(KEY)}, client: slow-client }] }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`;
}

interface Trickle {
  /** Everything the server sent. */
  received: () => string;
  /** Resolves with ms from start when the server closed the connection, or undefined by `withinMs`. */
  closedWithin(withinMs: number): Promise<number | undefined>;
  stop(): void;
}

/** POSTs to `url` declaring a body of `length` bytes (default 100 MB), then sends one byte every 100 ms. */
function trickle(url: string, headers: Record<string, string>, length = 100_000_000): Trickle {
  const { hostname, port, pathname } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const start = Date.now();
  let received = '';
  let closedAt: number | undefined;
  const closed = new Promise<void>((resolve) => socket.on('close', () => ((closedAt = Date.now() - start), resolve())));
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.on('error', () => undefined);
  const head = Object.entries({ host: `${hostname}:${port}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(length), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`POST ${pathname} HTTP/1.1\r\n${head}\r\n{`);
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(' ');
  }, 100);
  return {
    received: () => received,
    async closedWithin(withinMs) {
      await Promise.race([closed, new Promise((r) => setTimeout(r, withinMs))]);
      return closedAt;
    },
    stop() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe('slow clients (default settings)', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(yaml(''));
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('no credential: 401, then the connection is closed instead of reading the declared body', async () => {
    const t = trickle(serve.url, {});
    try {
      const closedAt = await t.closedWithin(20_000);
      expect(t.received()).toMatch(/^HTTP\/1\.1 401 /);
      expect(t.received().toLowerCase()).toContain('connection: close');
      expect(closedAt, 'the connection was still open 20 s after the 401').toBeDefined();
    } finally {
      t.stop();
    }
  });

  it('a wrong Host (DNS rebinding guard): 403, then closed the same way', async () => {
    const t = trickle(serve.url, { host: 'evil.example:80', 'x-api-key': KEY });
    try {
      const closedAt = await t.closedWithin(20_000);
      expect(t.received()).toMatch(/^HTTP\/1\.1 403 /);
      expect(closedAt, 'the connection was still open 20 s after the 403').toBeDefined();
    } finally {
      t.stop();
    }
  });
});

describe('slow clients (server.requestTimeoutMs: 1000)', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(yaml(', requestTimeoutMs: 1000'));
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('authenticated, body trickled past the timeout: 408 and closed', async () => {
    // Within server.maxMessageBytes (a larger declared body is refused at once with 413).
    const t = trickle(serve.url, { 'x-api-key': KEY }, 1_000_000);
    try {
      const closedAt = await t.closedWithin(20_000);
      expect(closedAt, 'the connection was still open 20 s after a 1 s request timeout').toBeDefined();
      expect(t.received()).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      t.stop();
    }
  });

  it('answers and streams are not bounded by it: a 2.5 s tool call with an open GET stream', async () => {
    const client = testClient('slow-ok');
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url), { requestInit: { headers: { 'x-api-key': KEY } } }));
    try {
      // When each progress came (ms after the call): the answer stream kept going past the 1 s
      // request timeout. (Not a count of them: a busy host makes the backend's 50 ms steps longer.)
      const progressAt: number[] = [];
      const started = Date.now();
      const result = await client.callTool({ name: 'slow', arguments: { ms: 2500 } }, undefined, { onprogress: () => progressAt.push(Date.now() - started), timeout: 60_000 });
      expect(result.isError, JSON.stringify(result)).not.toBe(true);
      expect(progressAt.length).toBeGreaterThan(1);
      expect(Math.max(...progressAt), 'ms after the call of its last progress').toBeGreaterThan(1500);
      // The session (and its GET stream, opened after initialize) still serves.
      expect((await client.listTools()).tools.some((t) => t.name === 'echo')).toBe(true);
    } finally {
      await client.close();
    }
  }, 120_000);
});

