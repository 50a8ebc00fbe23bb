/**
 * server.maxSessions and server.maxSessionsPerClient through a real `mcp-warden serve` with a stdio
 * backend (each session starts its own child, so the caps also bound the processes serve starts):
 * a session over a cap is refused with 503 + Retry-After and a JSON-RPC error naming the setting,
 * the sessions already open keep working, and closing one makes room again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/identity/api-keys.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { ALLOW_ALL_POLICY, childPids, startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';

const keys = { alice: generateApiKey(), bob: generateApiKey() };

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'limits-test', version: '1.0.0' } },
});

async function post(url: string, key: string, body: string, sessionId?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': key };
  if (sessionId !== undefined) {
    headers['mcp-session-id'] = sessionId;
    headers['mcp-protocol-version'] = '2025-11-25';
  }
  return fetch(url, { method: 'POST', headers, body });
}

/** Opens a session (initialize + initialized); returns its id, or the refusal. */
async function open(url: string, key: string): Promise<{ id?: string; status: number; retryAfter: string | null; body: string }> {
  const res = await post(url, key, INITIALIZE);
  const body = await res.text();
  const id = res.headers.get('mcp-session-id') ?? undefined;
  if (res.status === 200 && id !== undefined) {
    const ack = await post(url, key, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), id);
    await ack.text();
  }
  return { id, status: res.status, retryAfter: res.headers.get('retry-after'), body };
}

async function callEcho(url: string, key: string, sessionId: string, text: string): Promise<string> {
  const res = await post(url, key, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text } } }), sessionId);
  return res.text();
}

describe('serve: session caps (server.maxSessions, server.maxSessionsPerClient)', () => {
  let serve: ServeProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-limits-'));
    writeKeysFile(join(dir, 'keys.yaml'), [
      { id: 'k_alice', hash: hashApiKey(keys.alice), client: 'alice', roles: [] },
      { id: 'k_bob', hash: hashApiKey(keys.bob), client: 'bob', roles: [] },
    ]);
    const yaml = `
server: { host: 127.0.0.1, maxSessions: 3, maxSessionsPerClient: 2 }
backends:
  - { name: demo, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}], prefix: "" }
auth: { keysFile: ${JSON.stringify(join(dir, 'keys.yaml'))} }
${ALLOW_ALL_POLICY}`;
    serve = await startServe(yaml);
  });

  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the client over its own cap and everyone over the global cap; open sessions keep working; closing one makes room', async () => {
    const a1 = await open(serve.url, keys.alice);
    const a2 = await open(serve.url, keys.alice);
    expect([a1.status, a2.status]).toEqual([200, 200]);

    const a3 = await open(serve.url, keys.alice);
    expect(a3.status).toBe(503);
    expect(a3.retryAfter).not.toBeNull();
    expect(a3.id).toBeUndefined();
    expect(JSON.parse(a3.body).error.message).toMatch(/already holds 2 open sessions \(server\.maxSessionsPerClient\)/);

    // Another client still gets a session, up to the global cap.
    const b1 = await open(serve.url, keys.bob);
    expect(b1.status).toBe(200);
    const b2 = await open(serve.url, keys.bob);
    expect(b2.status).toBe(503);
    expect(JSON.parse(b2.body).error.message).toMatch(/too many open sessions \(server\.maxSessions is 3\)/);

    // One child process per open session and backend: the refused ones started none.
    expect((await childPids(serve.proc.pid!)).length).toBe(3);

    // The open sessions are untouched by the refusals.
    expect(await callEcho(serve.url, keys.alice, a1.id!, 'still here')).toContain('still here');
    expect(await callEcho(serve.url, keys.bob, b1.id!, 'bob too')).toContain('bob too');

    // Closing one of alice's sessions makes room for her again (and under the global cap).
    const del = await fetch(serve.url, { method: 'DELETE', headers: { 'mcp-session-id': a2.id!, 'x-api-key': keys.alice, 'mcp-protocol-version': '2025-11-25' } });
    expect(del.status).toBe(200);
    const a4 = await open(serve.url, keys.alice);
    expect(a4.status).toBe(200);
    expect(await callEcho(serve.url, keys.alice, a4.id!, 'room again')).toContain('room again');
  });
});
