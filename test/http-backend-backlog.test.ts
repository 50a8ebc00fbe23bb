/**
 * A backend that stops reading what it is sent (a stdio server busy, or stalled) makes the proxy
 * stop taking the client's messages (flow.ts: the client's read gate is paused once more than the
 * high-water mark waits to be written to the backend). Over stdio mcp-warden then stops reading the
 * client, so its memory stays bounded. Over HTTP nothing listened: every POSTed message was taken
 * (202) and queued in memory behind the others, so a client (anonymous here) could make serve hold
 * as much as it cared to send: 600 MiB of notifications took its RSS from 100 to over 700 MiB. Now
 * a message POSTed while a backend of its session is backed up is refused (429 + Retry-After), on
 * Streamable HTTP and legacy SSE, and taken again once the backend has caught up. Real `serve`, a
 * stdio backend that stops reading its stdin on request (test/servers/flood-server.mjs `stall`).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childPids, ROOT, startServe, type ServeProcess } from './helpers/proxy.js';
import { answerMessages, INIT_BODY, INITIALIZED_BODY, postOnce, streamRequest, toolCallBody } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

const FLOOD = join(ROOT, 'test/servers/flood-server.mjs');
const MIB = 1024 * 1024;

const serves: ServeProcess[] = [];
afterEach(async () => {
  for (const s of serves.splice(0)) await s.stop();
});

async function start(): Promise<ServeProcess> {
  const serve = await startServe(`
backends: [{ name: f, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FLOOD)}] }]
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`);
  serves.push(serve);
  return serve;
}

/** A 1 MiB client notification (forwarded to every backend as it is). */
const bigNotification = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed', params: { pad: 'x'.repeat(MIB) } });

/** The flood-server's pid among serve's children. */
async function backendPid(serve: ServeProcess): Promise<number> {
  const pids = await childPids(serve.proc.pid!);
  expect(pids.length).toBe(1);
  return pids[0]!;
}

/**
 * Posts 1 MiB notifications (up to 64) until one is refused; returns how many were taken. Each
 * refusal must be 429 with Retry-After and the reason.
 */
async function fillUntilRefused(post: (body: string) => Promise<{ status: number; headers: Record<string, unknown>; body: string }>): Promise<number> {
  let taken = 0;
  for (let i = 0; i < 64; i++) {
    const answer = await post(bigNotification);
    if (answer.status === 202) {
      taken++;
      continue;
    }
    expect(answer.status, answer.body).toBe(429);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.body).toContain('a backend of this session is not reading what it was sent');
    return taken;
  }
  return taken;
}

describe('HTTP clients are refused while a backend of their session is backed up', { timeout: 90_000 }, () => {
  it('Streamable HTTP: notifications to a stalled backend are refused past the high-water mark, taken again once it reads', async () => {
    const serve = await start();
    const init = await postOnce(serve.url, INIT_BODY, {});
    expect(init.status).toBe(200);
    const headers = { 'mcp-session-id': init.headers['mcp-session-id'] as string, 'mcp-protocol-version': '2025-11-25' };
    expect((await postOnce(serve.url, INITIALIZED_BODY, headers)).status).toBe(202);
    const stalled = await postOnce(serve.url, toolCallBody(2, 'stall', { ms: 60_000 }), headers);
    expect(answerMessages(stalled.body)[0]?.result?.content[0]?.text).toBe('stalled');

    const taken = await fillUntilRefused((body) => postOnce(serve.url, body, headers));
    // The high-water mark is 8 MiB (plus what the pipe holds): not the 64 MiB sent.
    expect(taken).toBeGreaterThan(4);
    expect(taken).toBeLessThan(20);
    // A request is refused too (its id echoed), not queued.
    const request = await postOnce(serve.url, toolCallBody(3, 'echo', { text: 'hi' }), headers);
    expect(request.status).toBe(429);
    expect(JSON.parse(request.body)).toMatchObject({ id: 3, error: { code: -32000 } });

    process.kill(await backendPid(serve), 'SIGUSR2'); // the backend reads again
    await until(async () => (await postOnce(serve.url, toolCallBody(4, 'echo', { text: 'again' }), headers)).status === 200, 'the session to take messages again', 20_000);
    const echo = await postOnce(serve.url, toolCallBody(5, 'echo', { text: 'after' }), headers);
    expect(answerMessages(echo.body)[0]?.result?.content[0]?.text).toBe('5:after');
  });

  it('legacy SSE: the same on the messages endpoint', async () => {
    const serve = await start();
    const stream = streamRequest(serve.sseUrl, 'GET', undefined, { accept: 'text/event-stream' });
    await until(() => /event: endpoint\ndata: (\S+)/.test(stream.text()), 'the endpoint event');
    const endpoint = new URL(/event: endpoint\ndata: (\S+)/.exec(stream.text())![1]!, serve.sseUrl).toString();
    const post = (body: string) => postOnce(endpoint, body, {});
    expect((await post(INIT_BODY)).status).toBe(202);
    await until(() => stream.text().includes('"id":1'), 'the initialize answer');
    expect((await post(INITIALIZED_BODY)).status).toBe(202);
    expect((await post(toolCallBody(2, 'stall', { ms: 60_000 }))).status).toBe(202);
    await until(() => stream.text().includes('stalled'), 'the stall answer');

    const taken = await fillUntilRefused(post);
    expect(taken).toBeGreaterThan(4);
    expect(taken).toBeLessThan(20);

    process.kill(await backendPid(serve), 'SIGUSR2');
    await until(async () => (await post(toolCallBody(3, 'echo', { text: 'again' }))).status === 202, 'the session to take messages again', 20_000);
    await until(() => stream.text().includes('5:again'), 'the echo answer on the stream');
  });
});
