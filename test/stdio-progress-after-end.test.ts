/**
 * A backend's progress notification for a request that has already ended (here: sent right after
 * its answer) reached a stdio client: the proxy could not tell it from the progress of a request
 * forwarded unparsed, whose token it had not read. Over HTTP such a progress was already dropped
 * (http-progress-after-end); over stdio it is now dropped too, and said once per session at debug
 * level. A progress of a request in flight still comes through, whether its request was forwarded
 * unparsed (allow-all, no audit: the line forwarded as it came, its token read only when a progress
 * comes that the proxy does not know), judged by a policy (the default pack) or parsed (string ids). Real `wrap`, real stdio pipes, a backend
 * of ours that writes its lines in a fixed order (test/servers/late-progress-backend.mjs).
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { until } from './helpers/wait.js';

const BACKEND = resolve(import.meta.dirname, 'servers/late-progress-backend.mjs');
const DROPPED = 'progress notification for a request that has ended (or never asked for progress) dropped';

describe('stdio: progress for a request that has ended', { timeout: 60_000 }, () => {
  let client: LineClient | undefined;
  afterEach(async () => {
    if (client === undefined) return;
    client.proc.stdin.end();
    await client.exited;
    client = undefined;
  });

  /** Calls `work` under `id` with a progress token; every line the client got up to the backend's marker after the answer. */
  const callUntilMarker = async (c: LineClient, id: number | string, key: string): Promise<Array<Record<string, unknown>>> => {
    c.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'work', arguments: { key }, _meta: { progressToken: `tok-${key}` } } });
    const seen: Array<Record<string, unknown>> = [];
    for (;;) {
      const msg = await c.next(30_000, true);
      seen.push(msg);
      if (msg.method === 'notifications/message' && (msg.params as { data?: unknown }).data === `after ${key}`) return seen;
    }
  };
  const shape = (seen: Array<Record<string, unknown>>): string[] =>
    seen.map((m) => (m.method === 'notifications/progress' ? `progress ${JSON.stringify((m.params as { progressToken: unknown }).progressToken)} ${(m.params as { progress: number }).progress}` : m.method !== undefined ? String(m.method) : `answer ${JSON.stringify(m.id)}`));

  for (const [name, policy, ids] of [
    ['unparsed (allow-all, no audit)', 'allow-all', [2, 3]],
    ['judged (the default pack)', 'default', [2, 3]],
    ['parsed (string ids)', 'allow-all', ['two', 'three']],
  ] as const) {
    it(`${name}: the progress in flight comes through, the one after the answer is dropped (said once)`, async () => {
      const c = (client = new LineClient(['wrap', '--policy', policy, '--no-audit', '--', process.execPath, BACKEND], { MCP_WARDEN_LOG_LEVEL: 'debug' }));
      await c.initialize();
      // before the fix: ..., 'answer 2', 'progress "tok-a" 1', 'notifications/message'
      expect(shape(await callUntilMarker(c, ids[0], 'a'))).toEqual(['progress "tok-a" 0', `answer ${JSON.stringify(ids[0])}`, 'notifications/message']);
      expect(shape(await callUntilMarker(c, ids[1], 'b'))).toEqual(['progress "tok-b" 0', `answer ${JSON.stringify(ids[1])}`, 'notifications/message']);
      await until(() => c.stderr.includes(DROPPED), 'the debug line saying a progress was dropped');
      c.proc.stdin.end();
      await c.exited;
      await until(() => c.proc.stderr.readableEnded, "the end of wrap's stderr");
      expect(c.stderr.split(DROPPED).length - 1).toBe(1);
    });
  }
});
