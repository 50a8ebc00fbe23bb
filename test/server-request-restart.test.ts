/**
 * A backend's request to the client (elicitation/create) still waiting for the client's answer
 * when that backend dies. The restarted backend numbers its own requests from 0 again, as every SDK
 * server does: the client's late answer to the dead process's question used to be relayed to the
 * new process under the old id, and taken there as the answer to the new process's own question
 * (a "yes" given to one question answering another). Now the question dies with its backend: the
 * client is told (notifications/cancelled), the audit records it cancelled, and a late answer to it
 * is dropped. Real `serve --stdio`, a raw stdio backend (test/servers/asking-backend.mjs) killed
 * through its own tool and restarted by the proxy; the audit read back with `audit query`.
 *
 * Over HTTP, a session that ended (DELETE) with such a request unanswered left no audit row of it
 * at all (stdio records it cancelled when the client closes its input): a backend's question the
 * user never answered was not in the audit. Now it is recorded cancelled, and the backend is
 * answered with an error.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { INIT_BODY, INITIALIZED_BODY, POST_HEADERS, postOnce, streamRequest } from './helpers/keyed-http.js';
import { LineClient } from './helpers/line-client.js';
import { CLI, ROOT, startServe } from './helpers/proxy.js';
import { until } from './helpers/wait.js';

const run = promisify(execFile);
const ASKING = resolve(import.meta.dirname, 'servers/asking-backend.mjs');

describe('a server-to-client request whose backend dies before the client answers', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-ask-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is cancelled at the client and audited; its late answer never reaches the restarted backend', async () => {
    const db = join(dir, 'audit.db');
    const config = join(dir, 'warden.yaml');
    writeFileSync(
      config,
      `backends:
  - { name: ask, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ASKING)}], restart: { initialDelayMs: 50, maxDelayMs: 50 } }
policy: { paths: [allow-all], watch: false }
audit: { path: ${JSON.stringify(db)} }
`,
    );
    const c = new LineClient(['serve', '--config', config, '--stdio', '--no-http']);
    const seen: Array<Record<string, unknown>> = [];
    /** The next message matching `pred`, remembering every message read on the way. */
    const waitMsg = async (pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
      for (const m of seen) if (pred(m)) return m;
      for (;;) {
        const m = JSON.parse(await c.nextLine(20_000)) as Record<string, unknown>;
        seen.push(m);
        if (pred(m)) return m;
      }
    };
    const call = (id: number, name: string, args: Record<string, unknown> = {}) => c.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
    const pid = async (id: number) => {
      call(id, 'pid');
      return ((await waitMsg((m) => m.id === id && 'result' in m)).result as { content: Array<{ text: string }> }).content[0]!.text;
    };
    try {
      c.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: { elicitation: {} }, clientInfo: { name: 't', version: '1' } } });
      await waitMsg((m) => m.id === 0 && 'result' in m);
      c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      const firstPid = await pid(1);

      // The first process asks; the client holds its answer.
      call(2, 'ask', { q: 'delete the staging database?' });
      const first = await waitMsg((m) => m.method === 'elicitation/create');
      expect((first.params as { message: string }).message).toBe('delete the staging database?');

      // That process dies (its call fails) and is restarted.
      call(3, 'crash');
      await waitMsg((m) => m.id === 2 && 'error' in m);
      let secondPid = firstPid;
      for (let i = 100; secondPid === firstPid || secondPid === undefined; i++) {
        const answer = (c.send({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'pid', arguments: {} } }), await waitMsg((m) => m.id === i));
        secondPid = (answer.result as { content: Array<{ text: string }> } | undefined)?.content[0]?.text ?? firstPid;
        if (secondPid === firstPid) await new Promise((r) => setTimeout(r, 50));
      }

      // The new process asks its own question, under the same backend id (0) as the dead one's.
      call(4, 'ask', { q: 'delete the production database?' });
      const second = await waitMsg((m) => m.method === 'elicitation/create' && m.id !== first.id);
      expect((second.params as { message: string }).message).toBe('delete the production database?');

      // The client's late answer to the FIRST question is not the answer to the second.
      c.send({ jsonrpc: '2.0', id: first.id, result: { action: 'accept', content: { a: 'yes, staging' } } });
      c.send({ jsonrpc: '2.0', id: second.id, result: { action: 'decline' } });
      const answer = await waitMsg((m) => m.id === 4);
      expect((answer.result as { content: Array<{ text: string }> }).content[0]!.text).toBe('delete the production database?: {"action":"decline"}');

      // The client was told the first question would not be answered by anyone.
      expect(await waitMsg((m) => m.method === 'notifications/cancelled' && (m.params as { requestId?: unknown }).requestId === first.id)).toBeDefined();
    } finally {
      c.proc.stdin.end();
      await c.exited;
    }

    const { stdout } = await run(process.execPath, [CLI, 'audit', 'query', '--db', db, '--method', 'elicitation/create', '--json', '--asc'], { cwd: ROOT });
    const rows = JSON.parse(stdout) as Array<{ outcome: string; backend?: string }>;
    expect(rows.map((r) => r.outcome)).toEqual(['cancelled', 'ok']);
  });

  it('over HTTP, a session deleted with the request unanswered records it cancelled', async () => {
    const db = join(dir, 'audit-http.db');
    const serve = await startServe(`backends:
  - { name: ask, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ASKING)}] }
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { path: ${JSON.stringify(db)} }
`);
    try {
      const init = await postOnce(serve.url, INIT_BODY, {});
      const session = init.headers['mcp-session-id'] as string;
      const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
      expect((await postOnce(serve.url, INITIALIZED_BODY, headers)).status).toBe(202);
      const ask = streamRequest(serve.url, 'POST', JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'ask', arguments: { q: 'your password?' } } }), { ...POST_HEADERS, ...headers });
      await until(() => ask.text().includes('elicitation/create'), 'the question on the call\'s stream');
      const del = await new Promise<number>((resolveDel, reject) => {
        const req = http.request(serve.url, { method: 'DELETE', headers, agent: false }, (res) => {
          res.resume();
          resolveDel(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
      expect(del).toBe(200);
      await ask.done.catch(() => undefined);
    } finally {
      await serve.stop();
    }
    const { stdout } = await run(process.execPath, [CLI, 'audit', 'query', '--db', db, '--method', 'elicitation/create', '--json', '--asc'], { cwd: ROOT });
    const rows = JSON.parse(stdout) as Array<{ outcome: string; errorMessage?: string }>;
    expect(rows.map((r) => r.outcome)).toEqual(['cancelled']);
  });
});
