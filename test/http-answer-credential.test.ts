/**
 * An answer (or a stream message) going out after the credential it is for was revoked, before the
 * next sweep. The sweep (every server.sessionIdleMs / 4, at most 10 s) was the only check: a
 * request made with a key revoked a moment before its answer came got that answer (a JSON answer,
 * or the last event of an SSE answer stream), and a legacy SSE stream opened with a revoked key
 * went on carrying the session's messages until the sweep. Now the credential is checked again as
 * each answer and stream message goes out. Real `serve` (sweeps every 10 s here: none is awaited),
 * a keys file revoked while it runs, a backend whose calls answer once a file appears (the signal
 * comes from outside the session), real sockets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyEntry } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { startServe, type ServeProcess } from './helpers/proxy.js';
import { answerMessages, HOLD_BACKEND, INIT_BODY, INITIALIZED_BODY, POST_HEADERS, streamRequest } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

const HEADERS = POST_HEADERS;
const INIT = INIT_BODY;
const INITIALIZED = INITIALIZED_BODY;
const awaitFile = (id: number, path: string, progressToken?: string) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'await-file', arguments: { path }, ...(progressToken === undefined ? {} : { _meta: { progressToken } }) } });

/** A request over a real socket: `first` resolves with the response's first bytes, `done` when it ends. */
const send = streamRequest;

const messages = answerMessages;

describe('answers and stream messages withheld once their credential is revoked, before any sweep', { timeout: 60_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  const keysFile = () => join(dir, 'keys.yaml');
  const keys = { a: generateApiKey(), b: generateApiKey(), other: generateApiKey() };
  const entries: ApiKeyEntry[] = [
    { id: 'k_a', hash: hashApiKey(keys.a), client: 'alice', roles: [] },
    { id: 'k_b', hash: hashApiKey(keys.b), client: 'bob', roles: [] },
    { id: 'k_other', hash: hashApiKey(keys.other), client: 'carol', roles: [] },
  ];
  const revoke = (id: string) => writeKeysFile(keysFile(), entries.map((e) => (e.id === id ? { ...e, revoked: new Date().toISOString() } : e)));
  /** Until serve refuses the key (it has read the keys file again). */
  const refused = (key: string) =>
    until(async () => (await send(serve.url, 'POST', INIT, { ...HEADERS, 'x-api-key': key }).done).status === 401, 'the revoked key to be refused');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-answer-credential-'));
    writeKeysFile(keysFile(), entries);
    // Sweeps every 10 s (the most): none comes between a revocation and the answers here, but by chance.
    serve = await startServe(`
server: { sessionIdleMs: 3600000 }
backends:
  - { name: hold, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(HOLD_BACKEND)}] }
auth:
  keysFile: ${JSON.stringify(keysFile())}
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`);
  });

  afterAll(async () => {
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Streamable HTTP: a JSON answer and an SSE answer that come after the revocation are withheld', async () => {
    const withKey = (session?: string) => ({ ...HEADERS, 'x-api-key': keys.a, ...(session === undefined ? {} : { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' }) });
    const init = await send(serve.url, 'POST', INIT, withKey()).done;
    expect(init.status).toBe(200);
    const session = init.headers['mcp-session-id'] as string;
    expect((await send(serve.url, 'POST', INITIALIZED, withKey(session)).done).status).toBe(202);
    const json = send(serve.url, 'POST', awaitFile(2, join(dir, 'go-json')), withKey(session));
    const sse = send(serve.url, 'POST', awaitFile(3, join(dir, 'go-sse'), 'p3'), withKey(session));
    await sse.first; // its progress event: the answer is an SSE stream now

    revoke('k_a');
    await refused(keys.a);
    writeFileSync(join(dir, 'go-json'), '');
    writeFileSync(join(dir, 'go-sse'), '');

    // Before the fix: 200 with "…: exists", and the SSE stream's last event the result.
    const jsonAnswer = await json.done;
    expect(jsonAnswer.status, jsonAnswer.body).toBe(401);
    expect(jsonAnswer.headers['www-authenticate']).toBe('Bearer realm="mcp-warden", error="invalid_token"');
    expect(messages(jsonAnswer.body)[0]).toMatchObject({ id: 2, error: { code: -32000 } });
    const events = messages((await sse.done).body);
    expect(events[0]).toMatchObject({ method: 'notifications/progress' });
    expect(events.at(-1), JSON.stringify(events)).toMatchObject({ id: 3, error: { code: -32000 } });
    expect(events.some((e) => e.result !== undefined)).toBe(false);
    await until(() => /"client":"alice".*http: answers ended: the credential their requests were made with is no longer valid/.test(serve.stderr()), 'the log line');
  });

  it('legacy SSE: the stream of a revoked key ends before the answer goes out on it', async () => {
    const stream = send(serve.sseUrl, 'GET', undefined, { accept: 'text/event-stream', 'x-api-key': keys.b });
    await until(() => /event: endpoint\ndata: (\S+)/.test(stream.text()), 'the endpoint event');
    const endpoint = new URL(/event: endpoint\ndata: (\S+)/.exec(stream.text())![1]!, serve.sseUrl).toString();
    const postB = async (body: string) => expect((await send(endpoint, 'POST', body, { 'content-type': 'application/json', 'x-api-key': keys.b }).done).status).toBe(202);
    await postB(INIT);
    await until(() => messages(stream.text()).some((m) => m.id === 1), 'the initialize answer');
    await postB(INITIALIZED);
    await postB(awaitFile(2, join(dir, 'go-legacy')));

    revoke('k_b');
    await refused(keys.b);
    writeFileSync(join(dir, 'go-legacy'), '');

    // Before the fix the answer came on the stream, which stayed open until the sweep.
    const ended = await stream.done;
    expect(messages(ended.body).some((m) => m.id === 2), ended.body).toBe(false);
    await until(() => /"client":"bob".*http: stream closed: the credential it was opened or last used with is no longer valid/.test(serve.stderr()), 'the log line');
  });
});
