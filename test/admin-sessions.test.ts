/**
 * GET / DELETE /admin/sessions on a real `mcp-warden serve` (src/admin/sessions.ts): two API-key
 * clients with sessions over Streamable HTTP and legacy SSE in front of a real stdio backend whose
 * calls wait (test/servers/hold-backend.mjs). An admin lists the sessions (who, transport, since
 * when, backends and requests in flight), ends one client's: its call in flight is cancelled at the
 * backend and audited `cancelled` naming the admin, its next request gets 404, its legacy SSE stream
 * ends; the other client's session goes on. Bad requests get a 400 or 404 saying why; no token, 401.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenHash } from '../src/admin/index.js';
import type { SessionSummary } from '../src/admin/sessions.js';
import { hashApiKey } from '../src/identity/index.js';
import { runCli, tempDir } from './helpers/audit.js';
import { ROOT, startServe, testClient, waitFor, type ServeProcess } from './helpers/proxy.js';

const HOLD = join(ROOT, 'test/servers/hold-backend.mjs');
const ADMIN = 'admin-sessions-token-0123456789abcdef';
const ALICE = 'wk_alice_sessions_0123456789abcdef';
const BOB = 'wk_bob_sessions_0123456789abcdef01';

describe('serve: /admin/sessions', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'audit.db');
  let serve: ServeProcess;
  let origin: string;

  const admin = async (method: 'GET' | 'DELETE', path: string, token: string | null = ADMIN): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${origin}${path}`, { method, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const sessions = async (query = ''): Promise<SessionSummary[]> => {
    const r = await admin('GET', `/admin/sessions${query}`);
    expect(r.status).toBe(200);
    return r.body.sessions as SessionSummary[];
  };
  const connect = async (key: string, kind: 'streamable' | 'sse'): Promise<Client> => {
    const client = testClient(`sessions-${kind}`);
    const init = { requestInit: { headers: { 'x-api-key': key } } };
    await client.connect(kind === 'streamable' ? new StreamableHTTPClientTransport(new URL(serve.url), init) : new SSEClientTransport(new URL(serve.sseUrl), init));
    return client;
  };
  /** Ends a client's session as a client does (Streamable HTTP: DELETE; the SDK's close() alone leaves it to the idle sweep). */
  const hangUp = async (client: Client): Promise<void> => {
    if (client.transport instanceof StreamableHTTPClientTransport) await client.transport.terminateSession().catch(() => undefined);
    await client.close();
  };

  beforeAll(async () => {
    serve = await startServe(`
server: { host: 127.0.0.1 }
backends:
  - { name: hold, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(HOLD)}], prefix: "" }
auth:
  apiKeys:
    - { id: k_alice, hash: "${hashApiKey(ALICE)}", client: alice, name: Alice, roles: [dev] }
    - { id: k_bob, hash: "${hashApiKey(BOB)}", client: bob, name: Bob, roles: [ops] }
policy: { paths: [allow-all], watch: false }
audit: { path: ${JSON.stringify(db)} }
admin: { tokenHashes: ["${adminTokenHash(ADMIN)}"] }
`);
    origin = new URL(serve.url).origin;
  });

  afterAll(async () => {
    await serve?.stop();
    tmp.cleanup();
  });

  it('lists who has which session; ends one client\'s sessions, cancelling its call in flight; the other client goes on', async () => {
    const alice = await connect(ALICE, 'streamable');
    const aliceSse = await connect(ALICE, 'sse');
    const bob = await connect(BOB, 'streamable');
    try {
      // Alice's call waits at the backend until released: in flight when her sessions end.
      const held = alice.callTool({ name: 'hold', arguments: { key: 'alice-1' } }).then(
        (r) => ({ answered: r }),
        (err: Error) => ({ failed: err.message }),
      );
      await waitFor(async () => (await sessions()).some((s) => s.client.id === 'alice' && s.backends[0]!.inFlight === 1), 30_000, 'alice\'s call in flight');

      const all = await sessions();
      expect(all.map((s) => [s.client.id, s.transport]).sort()).toEqual([
        ['alice', 'sse'],
        ['alice', 'streamable-http'],
        ['bob', 'streamable-http'],
      ]);
      const aliceHttp = all.find((s) => s.client.id === 'alice' && s.transport === 'streamable-http')!;
      expect(aliceHttp.client).toMatchObject({ id: 'alice', name: 'Alice', auth: 'api_key', roles: ['dev'], credentialId: 'k_alice' });
      expect(aliceHttp.backends).toEqual([{ name: 'hold', state: 'ready', inFlight: 1 }]);
      expect(Date.parse(aliceHttp.openedAt)).toBeGreaterThan(Date.now() - 120_000);
      // Oldest first; no credential or claims in the listing.
      expect(all.map((s) => Date.parse(s.openedAt))).toEqual([...all.map((s) => Date.parse(s.openedAt))].sort((a, b) => a - b));
      expect(JSON.stringify(all)).not.toContain(ALICE);
      expect(JSON.stringify(all)).not.toContain('claims');
      expect((await sessions('?client=bob')).map((s) => s.client.id)).toEqual(['bob']);

      const end = await admin('DELETE', '/admin/sessions?client=alice');
      expect(end.status).toBe(200);
      expect((end.body.ended as SessionSummary[]).map((s) => s.transport).sort()).toEqual(['sse', 'streamable-http']);

      // Her call never gets the backend's answer.
      const outcome = await held;
      expect(outcome).toHaveProperty('failed');
      expect((await sessions()).map((s) => s.client.id)).toEqual(['bob']);
      // Her next request on the ended session: 404, as for an unknown session.
      const again = await fetch(serve.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': ALICE, 'mcp-session-id': aliceHttp.id, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      });
      expect(again.status).toBe(404);
      // Bob's session goes on.
      const bobHold = bob.callTool({ name: 'hold', arguments: { key: 'bob-1' } });
      await waitFor(async () => (await sessions('?client=bob'))[0]!.backends[0]!.inFlight === 1, 30_000, 'bob\'s call in flight');
      await bob.callTool({ name: 'release', arguments: { key: 'bob-1' } });
      expect((await bobHold).content).toBeDefined();

      // The audit names the admin as why alice's call ended.
      await waitFor(async () => {
        const r = await runCli(['audit', 'query', '--db', db, '--client', 'alice', '--tool', 'hold', '--json']);
        return r.code === 0 && (JSON.parse(r.stdout) as unknown[]).length === 1;
      }, 30_000, 'alice\'s hold call in the audit');
      const rows = JSON.parse((await runCli(['audit', 'query', '--db', db, '--client', 'alice', '--tool', 'hold', '--json'])).stdout) as Array<{ outcome: string; errorMessage: string | null }>;
      expect(rows[0]).toMatchObject({ outcome: 'cancelled', errorMessage: 'ended by an admin (DELETE /admin/sessions)' });
      expect(serve.stderr()).toMatch(/"clientId":"alice".*"msg":"admin: session ended"/);
    } finally {
      await Promise.allSettled([alice, aliceSse, bob].map(hangUp));
    }
  });

  it('ends one session by its id; an unknown id is a 404, no target a 400, no token a 401', async () => {
    await waitFor(async () => (await sessions()).length === 0, 30_000, 'the first test\'s sessions to end');
    const bob = await connect(BOB, 'streamable');
    try {
      const [mine] = await sessions('?client=bob');
      expect((await admin('DELETE', `/admin/sessions/${encodeURIComponent(mine!.id)}`)).body).toMatchObject({ ended: [{ id: mine!.id, client: { id: 'bob' } }] });
      expect(await sessions('?client=bob')).toEqual([]);
      expect(await admin('DELETE', `/admin/sessions/${encodeURIComponent(mine!.id)}`)).toEqual({ status: 404, body: { error: `no session "${mine!.id}" is open` } });
      expect(await admin('DELETE', '/admin/sessions')).toEqual({ status: 400, body: { error: 'say which sessions to end: DELETE /admin/sessions/<session id>, or DELETE /admin/sessions?client=<client id>' } });
      expect(await admin('GET', '/admin/sessions?client=')).toEqual({ status: 400, body: { error: 'client: expected one client id' } });
      expect(await admin('GET', '/admin/sessions?client=a&client=b')).toEqual({ status: 400, body: { error: 'client: expected one client id' } });
      // A client with no session: nothing ended, not an error.
      expect(await admin('DELETE', '/admin/sessions?client=nobody')).toEqual({ status: 200, body: { ended: [] } });
      for (const method of ['GET', 'DELETE'] as const) {
        expect((await admin(method, '/admin/sessions?client=bob', null)).status).toBe(401);
        // An MCP client's key is not an admin token.
        expect((await admin(method, '/admin/sessions?client=bob', BOB)).status).toBe(401);
      }
    } finally {
      await hangUp(bob);
    }
  });
});
