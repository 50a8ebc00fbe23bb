/**
 * A backend's URL may carry its credential (userinfo, or a token in the query string, as some SSE
 * servers take it), and a backend transport's start() error becomes the error the MCP client gets
 * (`backend '<name>' is unavailable: <message>`) and a log line. So that message names the backend by
 * origin and path only. A real HTTP server that opens the SSE stream and never sends the endpoint
 * event, so the legacy SSE client's start() times out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClientTransport } from '../src/transport/http/sse-client.js';

const PASSWORD = 'url-password-secret-0123456789';
const TOKEN = 'url-query-token-secret-0123456789';

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('backend URL credentials in transport errors', () => {
  it('an SSE backend that never announces its endpoint: the timeout names origin and path, not the password or token', async () => {
    const seen: string[] = [];
    server = http.createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n'); // and never an endpoint event
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const transport = new SseClientTransport(new URL(`http://nomad:${PASSWORD}@127.0.0.1:${port}/sse?token=${TOKEN}`), { connectTimeoutMs: 200 });
    const error = await transport.start().then(
      () => undefined,
      (e: Error) => e,
    );
    await transport.close();
    expect(error).toBeInstanceOf(Error);
    // The credential did go to the backend (Basic auth from the userinfo)...
    expect(seen[0]).toBe(`Basic ${Buffer.from(`nomad:${PASSWORD}`).toString('base64')}`);
    // ...but not into the message the client and the log get.
    expect(error!.message).toContain(`http://127.0.0.1:${port}/sse`);
    expect(error!.message).not.toContain(PASSWORD);
    expect(error!.message).not.toContain(TOKEN);
    expect(error!.message).not.toContain('nomad:');
  });
});

describe('backend URL userinfo is the backend credential on both HTTP transports', () => {
  it('Streamable HTTP: http://user:password@host/mcp sends Basic auth (as the SSE client does); a configured Authorization wins', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHttpClientTransport } = await import('../src/transport/http/streamable-client.js');
    const { readRecords, startHttpRecorder } = await import('./helpers/credential-recorder.js');
    const dir = mkdtempSync(join(tmpdir(), 'warden-url-cred-'));
    const recorder = await startHttpRecorder(join(dir, 'rec.jsonl'));
    try {
      const withUser = new URL(recorder.url);
      withUser.username = 'svc user';
      withUser.password = `${PASSWORD}:x`;
      const client = new Client({ name: 'userinfo', version: '1' });
      await client.connect(new StreamableHttpClientTransport(withUser));
      await client.listTools();
      await client.close();
      const basic = `Basic ${Buffer.from(`svc user:${PASSWORD}:x`).toString('base64')}`;
      const seen = readRecords(join(dir, 'rec.jsonl')).filter((r) => r.kind === 'http');
      expect(seen.length).toBeGreaterThan(1);
      for (const r of seen) expect(r.headers!.authorization).toBe(basic);

      const configured = new Client({ name: 'userinfo', version: '1' });
      await configured.connect(new StreamableHttpClientTransport(withUser, { headers: { authorization: 'Bearer configured-token' } }));
      await configured.close();
      const last = readRecords(join(dir, 'rec.jsonl')).filter((r) => r.kind === 'http').at(-1)!;
      expect(last.headers!.authorization).toBe('Bearer configured-token');
    } finally {
      await recorder.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
