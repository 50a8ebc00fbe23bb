/**
 * A client's message nesting arrays and objects deeper than MAX_NESTING (128) levels is refused as
 * an invalid request (-32600; HTTP 400) before the proxy touches it, and the server goes on serving.
 * JSON.parse takes any depth, but the proxy's work on a message recurses (JSON.stringify on its way
 * to the backend, the audit, the policy's input): one POST of ~20 KB of `[[[[...` in a tool's
 * arguments overflowed the stack in a callback and ended `serve`, every other client's session with
 * it; over stdio it ended `wrap`. Real `serve` (Streamable HTTP and legacy SSE) and `wrap`, in front
 * of the test backend, with the read-only pack judging the calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NESTING } from '../src/transport/message-check.js';
import { MCP_HEADERS, raw } from './helpers/http-fixture.js';
import { LineClient } from './helpers/line-client.js';
import { startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';

const DEEP = 10_000;

/** An array nested `depth` levels deep, as text. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** A tools/call of echo whose arguments hold `extra` (the message itself is level 1, arguments level 3). */
const echoCall = (id: number, extra: string) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi ${id}","extra":${extra}}}}`;

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'deep', version: '1' } } };
const TOO_DEEP = /^Invalid Request: the message nests arrays and objects deeper than 128 levels$/;

describe('deeply nested client messages (serve)', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  let session: string;
  const headers = () => ({ ...MCP_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });
  const post = (body: string) => raw(serve.url, { headers: headers(), body });

  beforeAll(async () => {
    serve = await startServe(`
backends:
  - { name: test, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
auth: { anonymous: true }
policy: { paths: [read-only], watch: false }
audit: { enabled: false }
`);
    const init = await raw(serve.url, { headers: MCP_HEADERS, body: JSON.stringify(INIT) });
    expect(init.status).toBe(200);
    session = init.headers['mcp-session-id'] as string;
    expect((await post('{"jsonrpc":"2.0","method":"notifications/initialized"}')).status).toBe(202);
  });

  afterAll(async () => {
    await serve?.stop();
  });

  it('Streamable HTTP: 400 with -32600 and the id for a tools/call 10,000 levels deep; the server still answers', async () => {
    const res = await post(echoCall(2, nested(DEEP)));
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: 2, error: { code: -32600, message: expect.stringMatching(TOO_DEEP) } });
    expect(serve.proc.exitCode).toBeNull();
    const ok = await post(echoCall(3, '[]'));
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('hi 3');
  });

  it('the limit: arguments reaching level 128 are served, one level more is refused', async () => {
    // The message is level 1, params 2, arguments 3, "extra" from 4: 125 more levels reach 128.
    const atLimit = await post(echoCall(4, nested(MAX_NESTING - 3)));
    expect(atLimit.status).toBe(200);
    expect(atLimit.body).toContain('hi 4');
    const over = await post(echoCall(5, nested(MAX_NESTING - 2)));
    expect(over.status).toBe(400);
    expect(over.json()).toMatchObject({ id: 5, error: { code: -32600 } });
  });

  it('a deep initialize or notification is refused the same way (no session opened, nothing delivered)', async () => {
    const init = await raw(serve.url, { headers: MCP_HEADERS, body: `{"jsonrpc":"2.0","id":9,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"x":${nested(DEEP)}},"clientInfo":{"name":"d","version":"1"}}}` });
    expect(init.status).toBe(400);
    expect(init.headers['mcp-session-id']).toBeUndefined();
    const note = await post(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${nested(DEEP)},"progress":1}}`);
    expect(note.status).toBe(400);
    expect(note.json()).toMatchObject({ id: null, error: { code: -32600 } });
    expect((await post(echoCall(10, '{}'))).status).toBe(200);
  });

  it('legacy SSE: the POST is refused with 400 and the session goes on', async () => {
    const controller = new AbortController();
    const stream = await fetch(serve.sseUrl, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the SSE stream ended before ${pattern}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    try {
      await until(/event: endpoint\ndata: (.*)\n/);
      const endpoint = new URL(/event: endpoint\ndata: (.*)\n/.exec(text)![1]!, serve.sseUrl).href;
      const send = (body: string) => raw(endpoint, { headers: { 'content-type': 'application/json' }, body });
      expect((await send(JSON.stringify(INIT))).status).toBe(202);
      await until(/"protocolVersion"/);
      expect((await send('{"jsonrpc":"2.0","method":"notifications/initialized"}')).status).toBe(202);
      const deep = await send(echoCall(2, nested(DEEP)));
      expect(deep.status).toBe(400);
      expect(deep.json()).toMatchObject({ id: 2, error: { code: -32600, message: expect.stringMatching(TOO_DEEP) } });
      expect((await send(echoCall(3, '[]'))).status).toBe(202);
      await until(/hi 3/);
      expect(serve.proc.exitCode).toBeNull();
    } finally {
      controller.abort();
    }
  });
});

describe('deeply nested client messages (wrap, stdio)', { timeout: 120_000 }, () => {
  it('answers -32600 with the id and goes on serving', async () => {
    const client = new LineClient(['wrap', '--no-audit', '--policy', 'read-only', '--', process.execPath, TEST_BACKEND]);
    try {
      client.send(INIT);
      expect(await client.next()).toMatchObject({ id: 1, result: {} });
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      client.write(`${echoCall(2, nested(DEEP))}\n`);
      expect(await client.next()).toMatchObject({ id: 2, error: { code: -32600, message: expect.stringMatching(TOO_DEEP) } });
      client.write(`${echoCall(3, nested(MAX_NESTING - 3))}\n`);
      expect(JSON.stringify(await client.next())).toContain('hi 3');
      expect(client.proc.exitCode).toBeNull();
    } finally {
      client.proc.stdin.end();
      await client.exited;
    }
  });
  it("a deep answer to the proxy's own request is refused with id null, never with the answer's id (the client's own request of that id would take the error)", async () => {
    const client = new LineClient(['wrap', '--no-audit', '--policy', 'allow-all', '--', process.execPath, TEST_BACKEND]);
    try {
      client.send({ ...INIT, params: { ...INIT.params, capabilities: { sampling: {} } } });
      expect(await client.next()).toMatchObject({ id: 1, result: {} });
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      client.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'sample_then_cancel', arguments: {} } });
      const asked = await client.next();
      expect(asked).toMatchObject({ method: 'sampling/createMessage' });
      client.write(`{"jsonrpc":"2.0","id":${JSON.stringify(asked.id)},"result":{"role":"assistant","model":"m","content":{"type":"text","text":"x"},"x":${nested(DEEP)}}}\n`);
      let refused = await client.next();
      while (refused.error === undefined) refused = await client.next();
      // Before the fix: the id of the answer, the proxy's request id, in the client's own id space.
      expect(refused).toMatchObject({ id: null, error: { code: -32600, message: expect.stringMatching(TOO_DEEP) } });
      expect(client.proc.exitCode).toBeNull();
    } finally {
      client.proc.stdin.end();
      await client.exited;
    }
  });
});
