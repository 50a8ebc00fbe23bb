/**
 * A request whose progress token is already held by a request in flight in the same session. The
 * proxy relates a backend's progress to a request by its token alone (the backend knows no more),
 * and kept one request per token: the second took the token over, so the first request's progress
 * went out on the second's answer stream (made with another key: each request is otherwise held to
 * its own credential), and once the second was answered the first got no more progress at all. MCP
 * requires a progress token to be unique among active requests: the second request is now refused
 * (-32600, audited, never forwarded) and the first keeps its progress. Real `serve`, two keys of
 * one client in one Streamable HTTP session, a backend whose held calls send progress on demand
 * (test/servers/hold-backend.mjs `nudge`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyEntry } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { startHoldServe, type HoldServe } from './helpers/hold-serve.js';
import type { ServeProcess } from './helpers/proxy.js';
import { answerMessages, keyHeaders, openKeyedSession, POST_HEADERS, postOnce, streamRequest, toolCallBody } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

const keys = { one: generateApiKey(), two: generateApiKey() };
const entries: ApiKeyEntry[] = [
  { id: 'k_one', hash: hashApiKey(keys.one), client: 'alice', roles: [] },
  { id: 'k_two', hash: hashApiKey(keys.two), client: 'alice', roles: [] },
];

describe('a progress token already in flight in the session', { timeout: 60_000 }, () => {
  let held: HoldServe | undefined;
  let serve: ServeProcess;

  beforeAll(async () => {
    held = await startHoldServe('warden-progress-reuse-', entries);
    serve = held.serve;
  });

  afterAll(async () => {
    await held?.stop();
  });

  it('is refused; the request holding it keeps getting its own progress, on its own stream only', async () => {
    const session = await openKeyedSession(serve.url, keys.one);
    let n = 100;
    const tool = async (name: string, args: Record<string, unknown> = {}) =>
      answerMessages((await postOnce(serve.url, toolCallBody(n++, name, args), keyHeaders(keys.one, session))).body)[0]!.result!.content[0]!.text;

    const first = streamRequest(serve.url, 'POST', toolCallBody(2, 'hold', { key: 'x' }, 'p'), { ...POST_HEADERS, ...keyHeaders(keys.one, session) });
    await first.first; // its first progress: the answer is an SSE stream now
    const second = streamRequest(serve.url, 'POST', toolCallBody(3, 'hold', { key: 'y' }, 'p'), { ...POST_HEADERS, ...keyHeaders(keys.two, session) });
    await second.first;

    expect(await tool('nudge', { key: 'x' })).toBe('x: nudged');
    const nudged = (text: string) => text.includes('"message":"x"');
    await until(() => nudged(first.text()) || nudged(second.text()), "the first call's progress to reach a stream");
    // Before the fix: on the second request's stream, not the first's.
    expect(nudged(second.text())).toBe(false);
    expect(nudged(first.text())).toBe(true);

    // Refused, not forwarded: the backend holds the first call only.
    expect(await tool('held')).toBe('["x"]');
    const refused = await second.done;
    expect(answerMessages(refused.body)).toEqual([
      { jsonrpc: '2.0', id: 3, error: { code: -32600, message: 'Invalid Request: progress token "p" is already used by a request in flight in this session (progress tokens must be unique among active requests)' } },
    ]);

    expect(await tool('release', { key: 'x' })).toBe('x: released');
    const answer = answerMessages((await first.done).body);
    expect(answer.at(-1)).toMatchObject({ id: 2, result: { content: [{ text: 'x: released' }] } });

    // Once the first is answered, its token is free again.
    const again = await postOnce(serve.url, toolCallBody(4, 'release', { key: 'none' }, 'p'), keyHeaders(keys.two, session));
    expect(answerMessages(again.body)[0]).toMatchObject({ id: 4, result: { content: [{ text: 'none: not held' }] } });
  });
});
