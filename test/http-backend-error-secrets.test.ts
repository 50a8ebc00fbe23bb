/**
 * An HTTP backend's error answer becomes part of the MCP client's error ("backend 'x' is
 * unavailable: backend answered HTTP 401: <start of its body>") and of the log. Some servers echo
 * the credential they were given in that body ("invalid token: ..."), which would hand mcp-warden's
 * backend credential to the client. The backend's own credential values (its configured headers,
 * bearer token, URL password) are masked in that text. Real `serve`, a raw node:http backend that
 * answers tools/call with 401 and an echo of its Authorization and X-Api-Key headers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, testClient, type ServeProcess } from './helpers/proxy.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const TOKEN = 'backend-bearer-secret-0123456789';
const HEADER_KEY = 'backend-header-secret-0123456789';

describe('HTTP backend error bodies that echo the credential', () => {
  let backend: http.Server;
  let serve: ServeProcess;

  beforeAll(async () => {
    backend = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.method !== 'POST') return void res.writeHead(405).end();
        const msg = JSON.parse(body) as { id?: unknown; method?: string };
        const json = (result: unknown) => {
          res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'b1' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
        };
        if (msg.method === 'initialize') return json({ protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'echo401', version: '1' } });
        if (msg.method === 'tools/list') return json({ tools: [{ name: 'op', inputSchema: { type: 'object' } }] });
        if (msg.id === undefined) return void res.writeHead(202).end();
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end(`invalid credentials: authorization=${req.headers.authorization}; x-api-key=${req.headers['x-api-key']}`);
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/mcp`;
    serve = await startServe(`
server: { host: 127.0.0.1 }
backends:
  - { name: echo, transport: streamable-http, url: ${JSON.stringify(url)}, bearerToken: ${TOKEN}, headers: { x-api-key: ${HEADER_KEY} } }
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

  it("the client's error says HTTP 401 and keeps the body, with the backend's credential masked", async () => {
    const client = testClient('echo-401');
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url)));
    try {
      const error = await client.callTool({ name: 'op', arguments: {} }).then(
        (r) => JSON.stringify(r),
        (e: Error) => e.message,
      );
      expect(error).toContain('HTTP 401');
      expect(error).toContain('invalid credentials: authorization=[redacted]; x-api-key=[redacted]');
      expect(error).not.toContain(TOKEN);
      expect(error).not.toContain(HEADER_KEY);
      expect(serve.stderr()).not.toContain(TOKEN);
    } finally {
      await client.close();
    }
  });

  it('a long token that starts inside the kept 300 characters and runs past them is masked whole', async () => {
    const { BackendHttpError, credentialValues } = await import('../src/transport/http/backend-http.js');
    const jwt = `eyJ${'a'.repeat(900)}`;
    const url = new URL('http://svc:url-password-0123@127.0.0.1/mcp');
    const credentials = credentialValues({ authorization: `Bearer ${jwt}`, 'x-short': 'abc' }, url);
    const message = new BackendHttpError(500, `${'-'.repeat(250)}token ${jwt} and url-password-0123 and abc`, credentials).message;
    expect(message).not.toContain('eyJ');
    expect(message).toContain('token [redacted]');
    expect(message.length).toBeLessThan(360);
    expect(new BackendHttpError(500, 'pw url-password-0123 short abc', credentials).message).toBe('backend answered HTTP 500: pw [redacted] short abc');
  });
});
