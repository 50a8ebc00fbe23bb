/**
 * A backend asking its client in a loop: requests to the client (elicitation/create here) wait for
 * the client's answer at its user's pace, and nothing else bounded them, so a backend could grow the
 * proxy's table of them without end. Now a session holds at most MAX_PENDING_SERVER_REQUESTS of
 * them; one more is answered to the backend with an error at once, never reaches the client, and is
 * recorded (outcome rpc_error). Real `serve --stdio` and a raw stdio backend
 * (test/servers/asking-backend.mjs) whose `flood` tool asks n questions at once; the audit read back
 * with `audit query`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PENDING_SERVER_REQUESTS } from '../src/proxy/server-relay.js';
import { LineClient } from './helpers/line-client.js';
import { CLI, ROOT } from './helpers/proxy.js';

const run = promisify(execFile);
const ASKING = resolve(import.meta.dirname, 'servers/asking-backend.mjs');
const EXTRA = 10;

describe('a backend flooding its client with requests', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-ask-flood-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`has at most ${MAX_PENDING_SERVER_REQUESTS} awaiting the client; the rest are refused to it at once and recorded`, async () => {
    const db = join(dir, 'audit.db');
    const config = join(dir, 'warden.yaml');
    writeFileSync(
      config,
      `backends:
  - { name: ask, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ASKING)}] }
policy: { paths: [allow-all], watch: false }
audit: { path: ${JSON.stringify(db)} }
`,
    );
    const c = new LineClient(['serve', '--config', config, '--stdio', '--no-http']);
    const questions: unknown[] = [];
    const next = async (id: number): Promise<Record<string, unknown>> => {
      for (;;) {
        const m = JSON.parse(await c.nextLine(20_000)) as Record<string, unknown>;
        if (m.method === 'elicitation/create') questions.push(m.id);
        if (m.id === id && m.method === undefined) return m;
      }
    };
    const text = (m: Record<string, unknown>) => (m.result as { content: Array<{ text: string }> }).content[0]!.text;
    try {
      c.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: { elicitation: {} }, clientInfo: { name: 't', version: '1' } } });
      await next(0);
      c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      c.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flood', arguments: { n: MAX_PENDING_SERVER_REQUESTS + EXTRA } } });
      expect(text(await next(1))).toBe(`asked ${MAX_PENDING_SERVER_REQUESTS + EXTRA}`);
      // The backend's questions and its later call are one ordered stream: by the call's answer, every question was taken or refused.
      c.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'refused', arguments: {} } });
      const refused = JSON.parse(text(await next(2))) as { count: number; first?: string };
      expect(refused.count).toBe(EXTRA);
      expect(refused.first).toContain(`${MAX_PENDING_SERVER_REQUESTS} requests to the client already await its answer`);
      expect(questions).toHaveLength(MAX_PENDING_SERVER_REQUESTS);

      // Answering one frees its place: the next question reaches the client again.
      c.send({ jsonrpc: '2.0', id: questions[0], result: { action: 'decline' } });
      c.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'flood', arguments: { n: 1 } } });
      await next(3);
      c.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'refused', arguments: {} } });
      expect((JSON.parse(text(await next(4))) as { count: number }).count).toBe(EXTRA);
      expect(questions).toHaveLength(MAX_PENDING_SERVER_REQUESTS + 1);
    } finally {
      c.proc.stdin.end();
      await c.exited;
    }
    const { stdout } = await run(process.execPath, [CLI, 'audit', 'query', '--db', db, '--method', 'elicitation/create', '--json', '--limit', '1000'], { cwd: ROOT });
    const outcomes = (JSON.parse(stdout) as Array<{ outcome: string }>).map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'rpc_error')).toHaveLength(EXTRA);
    expect(outcomes).toHaveLength(MAX_PENDING_SERVER_REQUESTS + EXTRA + 1);
  });
});
