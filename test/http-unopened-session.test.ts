/**
 * A Streamable HTTP session whose initialize does not open it: answered with an error (no backend
 * could be initialized, or the policy refused it), or given up by its client (the connection closed
 * before the answer). Such a session can never be used (initialize is refused on a session id), yet
 * it stayed in the table, with its backends, until server.sessionIdleMs (30 min by default),
 * counted against server.maxSessions, maxSessionsPerClient and maxSessionsPerAddress: a client
 * retrying while its backend is down locked its whole address out of new sessions for half an hour,
 * even once the backend was back. Now such a session is closed as soon as its initialize fails.
 * Real `serve`, real stdio backends (one that exits at once, one that never answers), real sockets.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { adminTokenHash } from '../src/admin/index.js';
import { startServe, type ServeProcess } from './helpers/proxy.js';
import { until } from './helpers/wait.js';

const TOKEN = 'unopened-session-admin-token-0123456789';
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

function post(url: string, body: string): { answer: Promise<{ status: number; body: string }>; close(): void } {
  let req!: http.ClientRequest;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = http.request(url, { method: 'POST', headers: HEADERS, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  return { answer, close: () => req.destroy() };
}

/** Client sessions the proxy holds (mcp_warden_sessions_open, both transports). */
async function sessionsOpen(url: string): Promise<number> {
  const res = await fetch(new URL('/admin/metrics', url), { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('mcp_warden_sessions_open{'))
    .reduce((n, l) => n + Number(l.split(' ')[1]), 0);
}

const config = (backendScript: string) => `
server: { host: 127.0.0.1, maxSessionsPerAddress: 1 }
backends:
  - { name: b, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: ["-e", ${JSON.stringify(backendScript)}] }
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
admin: { tokenHashes: ["${adminTokenHash(TOKEN)}"] }
`;

describe('Streamable HTTP: a session its initialize did not open is closed at once', { timeout: 60_000 }, () => {
  let serve: ServeProcess | undefined;
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
  });

  it('initialize answered with an error (the backend exits): the session is gone, the address may open another', async () => {
    serve = await startServe(config('process.exit(3)'));
    for (let i = 0; i < 3; i++) {
      const { status, body } = await post(serve.url, INIT).answer;
      // Before the fix the 2nd was refused: 503, the address already holding 1 session (server.maxSessionsPerAddress).
      expect(status, body).toBe(200);
      expect(JSON.parse(body)).toHaveProperty('error');
      expect(await sessionsOpen(serve.url)).toBe(0);
    }
  });

  it('initialize given up by its client (connection closed before the answer): the session is gone', async () => {
    // A backend that never answers: initialize waits.
    serve = await startServe(config('setInterval(() => {}, 1 << 30)'));
    const url = serve.url;
    const first = post(url, INIT);
    first.answer.catch(() => undefined);
    await until(async () => (await sessionsOpen(url)) === 1, 'the session to open');
    first.close();
    // Before the fix it stayed open (and counted) until server.sessionIdleMs.
    await until(async () => (await sessionsOpen(url)) === 0, 'the session to close');
    // The address's place is free again: the next initialize is taken (it waits too), not refused with 503.
    const second = post(url, INIT);
    second.answer.catch(() => undefined);
    await until(async () => (await sessionsOpen(url)) === 1, 'the second session to open');
    second.close();
  });
});
