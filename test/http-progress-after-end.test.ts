/**
 * A backend's progress notification for a request that has already ended (here: cancelled by its
 * client; the same for one answered, timed out or given up) found no request to go with, and was
 * sent on the session's standalone GET stream. It is now dropped: it goes neither there nor on the
 * answer stream of another request in flight. Real `serve` over Streamable HTTP, real sockets, a
 * backend that sends progress for a token whose request it was told is cancelled
 * (test/servers/linger-backend.mjs).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from './helpers/proxy.js';
import { answerMessages, INIT_BODY, INITIALIZED_BODY, POST_HEADERS, postOnce, streamRequest, toolCallBody } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

const LINGER_BACKEND = resolve(import.meta.dirname, 'servers/linger-backend.mjs');

describe('progress for a request that has ended', { timeout: 90_000 }, () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(`
backends:
  - { name: l, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(LINGER_BACKEND)}] }
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('is dropped: not sent on the standalone stream, nor on another request stream', async () => {
    const init = await postOnce(serve.url, INIT_BODY, {});
    expect(init.status).toBe(200);
    const h = { 'mcp-session-id': init.headers['mcp-session-id'] as string, 'mcp-protocol-version': '2025-11-25' };
    expect((await postOnce(serve.url, INITIALIZED_BODY, h)).status).toBe(202);
    // Events sent before it is open are kept and replayed to it: no need to wait for it here.
    const standalone = streamRequest(serve.url, 'GET', undefined, { accept: 'text/event-stream', ...h });

    // A request that asked for progress, got some, and was cancelled by its client.
    const lingering = streamRequest(serve.url, 'POST', toolCallBody(2, 'linger', { key: 'L' }, 'tok-L'), { ...POST_HEADERS, ...h });
    await until(() => lingering.text().includes('"tok-L"'), 'the first progress of request 2');
    const cancel = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2, reason: 'the user gave up' } });
    expect((await postOnce(serve.url, cancel, h)).status).toBe(202);
    // Another request in flight, its answer an SSE stream.
    const other = streamRequest(serve.url, 'POST', toolCallBody(3, 'hold', { key: 'H' }, 'tok-H'), { ...POST_HEADERS, ...h });
    await until(() => other.text().includes('"tok-H"'), 'the first progress of request 3');

    // The backend sends progress for tok-L (request 2 is over), then a log message, then answers.
    let nudged = '';
    await until(async () => {
      nudged = (await postOnce(serve.url, toolCallBody(4, 'nudge', { key: 'L' }), h)).body;
      return nudged.includes('nudged tok-L');
    }, 'the backend to hold request 2 cancelled');
    // The log message came after the late progress, on the standalone stream: anything of the progress sent there is before it.
    await until(() => standalone.text().includes('nudged L'), 'the log message on the standalone stream');
    expect(standalone.text()).not.toContain('tok-L'); // before the fix: `{"progressToken":"tok-L","progress":1,...}` was there
    expect(nudged).not.toContain('"progressToken"');

    expect((await postOnce(serve.url, toolCallBody(5, 'release', { key: 'H' }), h)).status).toBe(200);
    const otherBody = (await other.done).body;
    expect(answerMessages(otherBody).at(-1)!.result!.content[0]!.text).toBe('H: released');
    expect(otherBody).not.toContain('tok-L');
  });
});
