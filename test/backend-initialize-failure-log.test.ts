/**
 * A backend that cannot be used must say why in the log: an HTTP backend refusing mcp-warden's
 * credential (401 on initialize) left nothing in the log at all, and one that cannot be reached only
 * "restarting backend" with growing delays, so an operator could not tell a wrong bearerToken from
 * a backend that is down. Real `serve` (log level warn), a raw node:http backend answering 401 with
 * a body echoing the credential it got (masked in the log line), and a port nothing listens on.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, TEST_BACKEND, testClient, waitFor, type ServeProcess } from './helpers/proxy.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const TOKEN = 'init-refused-token-0123456789';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('backends that fail to start say why in the log', () => {
  let backend: http.Server;
  let serve: ServeProcess;

  beforeAll(async () => {
    backend = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end(`bad token ${req.headers.authorization}`);
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const refusing = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/mcp`;
    const down = `http://127.0.0.1:${await freePort()}/sse`;
    serve = await startServe(`
server: { host: 127.0.0.1 }
backends:
  - { name: ok, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
  - { name: refusing, transport: streamable-http, url: ${JSON.stringify(refusing)}, bearerToken: ${TOKEN} }
  - { name: down, transport: sse, url: ${JSON.stringify(down)} }
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`);
  });
  afterAll(async () => {
    await serve?.stop();
    backend?.closeAllConnections();
    await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
  });

  it('a refused initialize and an unreachable backend are logged with their reason (credential masked)', async () => {
    const client = testClient('init-fail');
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url)));
    try {
      // The session opened on the working backend; the other two are left out of it.
      expect((await client.listTools()).tools.every((t) => t.name.startsWith('ok__'))).toBe(true);
      const refused = /"backend":"refusing"[^\n]*backend answered HTTP 401: bad token \[redacted\]/;
      const unreachable = /"backend":"down"[^\n]*ECONNREFUSED/;
      await waitFor(() => refused.test(serve.stderr()) && unreachable.test(serve.stderr()), 30_000, 'both reasons in the log');
      expect(serve.stderr()).not.toContain(TOKEN);
    } finally {
      await client.close();
    }
  });
});
