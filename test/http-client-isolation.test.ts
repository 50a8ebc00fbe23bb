/**
 * Two clients (two API keys of two client ids) on one `serve` endpoint, using the same JSON-RPC
 * ids and the same progress tokens at the same time: neither sees, cancels nor ends the other's
 * call, and neither reaches the other's session by its id (Streamable HTTP POST, GET and DELETE,
 * legacy SSE POST). Each client session has backend sessions of its own (a child process each
 * here), so what one client does to its backend (cancel, setLevel, a crash) cannot touch the
 * other's. Real `serve`, real sockets, a backend whose calls wait for a signal
 * (test/servers/hold-backend.mjs).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyEntry } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { startHoldServe, type HoldServe } from './helpers/hold-serve.js';
import type { ServeProcess } from './helpers/proxy.js';
import { answerMessages, keyHeaders, openKeyedSession, POST_HEADERS, postOnce, streamRequest, toolCallBody } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

const keys = { alice: generateApiKey(), bob: generateApiKey() };
const entries: ApiKeyEntry[] = [
  { id: 'k_alice', hash: hashApiKey(keys.alice), client: 'alice', roles: [] },
  { id: 'k_bob', hash: hashApiKey(keys.bob), client: 'bob', roles: [] },
];
const cancelNote = (requestId: unknown) => JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'test' } });

describe('clients sharing one serve endpoint', { timeout: 60_000 }, () => {
  let held: HoldServe | undefined;
  let serve: ServeProcess;

  beforeAll(async () => {
    held = await startHoldServe('warden-isolation-', entries);
    serve = held.serve;
  });

  afterAll(async () => {
    await held?.stop();
  });

  it('same ids and progress tokens: each client gets its own progress and answer; a cancel, GET or DELETE naming the other session is refused', async () => {
    const a = await openKeyedSession(serve.url, keys.alice);
    const b = await openKeyedSession(serve.url, keys.bob);
    let n = 100;
    const tool = async (key: string, session: string, name: string, args: Record<string, unknown> = {}) =>
      answerMessages((await postOnce(serve.url, toolCallBody(n++, name, args), keyHeaders(key, session))).body)[0]!.result!.content[0]!.text;

    // The same id (7) and the same progress token ("p") in both sessions, both in flight at once.
    const callA = streamRequest(serve.url, 'POST', toolCallBody(7, 'hold', { key: 'a' }, 'p'), { ...POST_HEADERS, ...keyHeaders(keys.alice, a) });
    const callB = streamRequest(serve.url, 'POST', toolCallBody(7, 'hold', { key: 'b' }, 'p'), { ...POST_HEADERS, ...keyHeaders(keys.bob, b) });
    await Promise.all([callA.first, callB.first]);
    await until(async () => (await tool(keys.alice, a, 'held')) === '["a"]' && (await tool(keys.bob, b, 'held')) === '["b"]', 'both calls held, each by its own backend');

    // Alice names Bob's session: unknown to her, whatever she sends there.
    expect((await postOnce(serve.url, cancelNote(7), keyHeaders(keys.alice, b))).status).toBe(404);
    expect((await postOnce(serve.url, JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} }), keyHeaders(keys.alice, b))).status).toBe(404);
    const get = await new Promise<number>((resolve, reject) => {
      const req = http.request(serve.url, { method: 'GET', headers: { accept: 'text/event-stream', ...keyHeaders(keys.alice, b) }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(get).toBe(404);
    const del = await new Promise<number>((resolve, reject) => {
      const req = http.request(serve.url, { method: 'DELETE', headers: keyHeaders(keys.alice, b), agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(del).toBe(404);

    // Alice cancels her id 7 in her own session: her call ends, Bob's (same id, same token) goes on.
    expect((await postOnce(serve.url, cancelNote(7), keyHeaders(keys.alice, a))).status).toBe(202);
    await until(async () => (await tool(keys.alice, a, 'cancelled')) === '["a"]', "alice's call to be cancelled at her backend");
    expect(await tool(keys.bob, b, 'held')).toBe('["b"]');
    expect(await tool(keys.bob, b, 'cancelled')).toBe('[]');
    const doneA = await callA.done;
    expect(answerMessages(doneA.body).map((m) => m.id ?? m.method)).toEqual(['notifications/progress']);

    expect(await tool(keys.bob, b, 'release', { key: 'b' })).toBe('b: released');
    const messagesB = answerMessages((await callB.done).body);
    expect(messagesB).toHaveLength(2);
    expect(messagesB[0]).toMatchObject({ method: 'notifications/progress' });
    expect(messagesB[1]).toMatchObject({ id: 7, result: { content: [{ text: 'b: released' }] } });
  });

  it('ids 1 and "1" in one session are two requests: cancelling one leaves the other, each answered under its own id', async () => {
    const a = await openKeyedSession(serve.url, keys.alice);
    let n = 200;
    const tool = async (name: string, args: Record<string, unknown> = {}) =>
      answerMessages((await postOnce(serve.url, toolCallBody(n++, name, args), keyHeaders(keys.alice, a))).body)[0]!.result!.content[0]!.text;
    const body = (id: number | string, key: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'hold', arguments: { key } } });
    const numeric = postOnce(serve.url, body(1, 'number'), keyHeaders(keys.alice, a));
    const text = postOnce(serve.url, body('1', 'string'), keyHeaders(keys.alice, a));
    await until(async () => JSON.parse(await tool('held')).length === 2, 'both calls held');

    expect((await postOnce(serve.url, cancelNote('1'), keyHeaders(keys.alice, a))).status).toBe(202);
    expect((await text).status).toBe(202); // released: no answer due
    await until(async () => (await tool('cancelled')) === '["string"]', 'the string-id call to be cancelled');
    expect(await tool('held')).toBe('["number"]');
    expect(await tool('release', { key: 'number' })).toBe('number: released');
    expect(answerMessages((await numeric).body)).toEqual([{ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'number: released' }] } }]);
  });

  it('legacy SSE: a POST to another client\'s sessionId is refused and reaches nothing', async () => {
    const stream = streamRequest(serve.sseUrl, 'GET', undefined, { accept: 'text/event-stream', 'x-api-key': keys.bob });
    stream.done.catch(() => undefined); // open until serve stops
    await until(() => /sessionId=([0-9a-f-]+)/.test(stream.text()), "bob's endpoint event");
    const sessionId = /sessionId=([0-9a-f-]+)/.exec(stream.text())![1]!;
    const endpoint = new URL(`/messages?sessionId=${sessionId}`, serve.sseUrl).toString();
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const stolen = await postOnce(endpoint, init, { 'x-api-key': keys.alice });
    expect(stolen.status).toBe(404);
    // Bob's own initialize is the first (and only) thing his session took.
    expect((await postOnce(endpoint, init, { 'x-api-key': keys.bob })).status).toBe(202);
    await until(() => stream.text().includes('"id":1'), "bob's initialize answer");
    expect(stream.text().match(/"id":1[,}]/g)).toHaveLength(1);
  });
});
