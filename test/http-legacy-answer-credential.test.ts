/**
 * Legacy SSE (GET /sse + POST /messages): every answer travels on the session's one stream, and
 * each POST may prove another key of the same client. An answer was checked with the session's
 * last credential, not with the credential of the request it answers: a request made with a key
 * revoked since got its answer as long as a later POST had shown another, valid key; and the
 * sweep ended nothing of a request in flight (only the stream, by its last credential). Now each
 * answer, and each message about a request, goes out only while that request's own credential
 * holds: otherwise the request gets an error in its place and is cancelled at the backend (audited
 * cancelled), as on Streamable HTTP. Real `serve`, a keys file revoked while it runs, a backend
 * whose calls answer on a signal from outside the session (a file, or a release), real sockets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyEntry } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { startServe, type ServeProcess } from './helpers/proxy.js';
import { answerMessages, HOLD_BACKEND, INIT_BODY, INITIALIZED_BODY, POST_HEADERS, streamRequest, toolCallBody } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

const CREDENTIAL_GONE = /^Unauthorized: the credential it was made with is no longer valid/;

describe('legacy SSE: an answer goes out only while the credential of its own request holds', { timeout: 90_000 }, () => {
  let dir: string;
  const keysFile = () => join(dir, 'keys.yaml');
  // Two keys of one client: the session's POSTs may show either.
  const keys = { first: generateApiKey(), second: generateApiKey() };
  const entries: ApiKeyEntry[] = [
    { id: 'k_first', hash: hashApiKey(keys.first), client: 'alice', roles: [] },
    { id: 'k_second', hash: hashApiKey(keys.second), client: 'alice', roles: [] },
  ];
  const serves: ServeProcess[] = [];
  const config = (idleMs: number) => `
server: { sessionIdleMs: ${idleMs} }
backends:
  - { name: hold, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(HOLD_BACKEND)}] }
auth:
  keysFile: ${JSON.stringify(keysFile())}
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-legacy-credential-'));
  });
  afterAll(async () => {
    for (const s of serves) await s.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** serve with both keys valid, and a legacy session opened (and initialized) with the second key. */
  async function session(idleMs: number) {
    writeKeysFile(keysFile(), entries);
    const serve = await startServe(config(idleMs));
    serves.push(serve);
    const stream = streamRequest(serve.sseUrl, 'GET', undefined, { accept: 'text/event-stream', 'x-api-key': keys.second });
    await until(() => /event: endpoint\ndata: (\S+)/.test(stream.text()), 'the endpoint event');
    const endpoint = new URL(/event: endpoint\ndata: (\S+)/.exec(stream.text())![1]!, serve.sseUrl).toString();
    const messages = () => answerMessages(stream.text());
    const post = async (key: string, body: string) =>
      expect((await streamRequest(endpoint, 'POST', body, { 'content-type': 'application/json', 'x-api-key': key }).done).status).toBe(202);
    await post(keys.second, INIT_BODY);
    await until(() => messages().some((m) => m.id === 1), 'the initialize answer');
    await post(keys.second, INITIALIZED_BODY);
    const revokeFirst = async () => {
      writeKeysFile(keysFile(), entries.map((e) => (e.id === 'k_first' ? { ...e, revoked: new Date().toISOString() } : e)));
      await until(async () => (await streamRequest(serve.url, 'POST', INIT_BODY, { ...POST_HEADERS, 'x-api-key': keys.first }).done).status === 401, 'the revoked key to be refused');
    };
    return { serve, stream, post, messages, revokeFirst, endpoint };
  }

  it('as it goes out: the answer of a request made with a key revoked since is withheld, though a later POST showed a valid key', async () => {
    // Sweeps every 10 s (the most): none comes between the revocation and the answers here, but by chance.
    const s = await session(3_600_000);
    await s.post(keys.first, toolCallBody(2, 'await-file', { path: join(dir, 'go-first') }));
    // The same id again while it is in flight, with the valid key: refused (its answer would be taken
    // for request 2's, and request 2 held to this key). Before: 202.
    const again = await streamRequest(s.endpoint, 'POST', toolCallBody(2, 'await-file', { path: join(dir, 'go-second') }), { 'content-type': 'application/json', 'x-api-key': keys.second }).done;
    expect(again.status, again.body).toBe(400);
    expect(answerMessages(again.body)[0]).toMatchObject({ id: 2, error: { code: -32600 } });
    await s.post(keys.second, toolCallBody(3, 'await-file', { path: join(dir, 'go-second') }));
    await s.revokeFirst();
    writeFileSync(join(dir, 'go-first'), '');
    writeFileSync(join(dir, 'go-second'), '');

    await until(() => s.messages().some((m) => m.id === 3), 'the answer of the request made with the valid key');
    await until(() => s.messages().some((m) => m.id === 2), 'a message for the request made with the revoked key');
    const forFirst = s.messages().filter((m) => m.id === 2);
    // Before the fix: the result (`.../go-first: exists`) came on the stream.
    expect(forFirst.some((m) => m.result !== undefined), s.stream.text()).toBe(false);
    expect(forFirst[0]!.error?.message).toMatch(CREDENTIAL_GONE);
    expect(s.messages().find((m) => m.id === 3)!.result).toBeDefined();
    // The stream is the valid key's: it stays open and carries the next answers.
    await s.post(keys.second, toolCallBody(4, 'held'));
    await until(() => s.messages().some((m) => m.id === 4 && m.result !== undefined), 'the next answer');
    await until(() => /"client":"alice".*http: answers ended: the credential their requests were made with is no longer valid/.test(s.serve.stderr()), 'the log line');
  });

  it('at the sweep: a request in flight made with a key revoked since is ended and cancelled at the backend', async () => {
    // Sweeps every 100 ms.
    const s = await session(400);
    await s.post(keys.first, toolCallBody(2, 'hold', { key: 'by-first' }));
    await s.post(keys.second, toolCallBody(3, 'held'));
    await until(() => s.messages().some((m) => m.id === 3 && JSON.stringify(m.result).includes('by-first')), 'the hold to be waiting at the backend');
    await s.revokeFirst();

    // Before the fix nothing came for request 2 (it held until the test's deadline).
    await until(() => s.messages().some((m) => m.id === 2), 'the end of the request made with the revoked key');
    expect(s.messages().find((m) => m.id === 2)!.error?.message).toMatch(CREDENTIAL_GONE);
    await s.post(keys.second, toolCallBody(4, 'cancelled'));
    await until(() => s.messages().some((m) => m.id === 4), 'the list of cancelled holds');
    expect(s.messages().find((m) => m.id === 4)!.result!.content[0]!.text).toContain('by-first');
  });
});
