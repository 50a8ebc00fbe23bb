/**
 * A POST awaiting its answer over Streamable HTTP (a JSON answer not begun, or an answer turned
 * into an SSE stream carrying the request's progress and server requests) was never looked at again
 * once taken: the sweep that ends the GET stream of a revoked or expired credential only looked at
 * sessions with a GET stream open, so the holder of a revoked key went on getting the request's
 * messages and then its answer, however long the backend took. Now each sweep checks, for every
 * request in flight, the credential its own POST proved: one no longer valid gets its answer ended
 * (401 with a JSON-RPC error, or the error as the SSE stream's last event) and the call cancelled at
 * the backend (audited cancelled); requests of a credential still valid, in the same session, go on.
 * Real `serve`, a keys file revoked while it runs, a backend of our own whose calls wait for a
 * signal (test/servers/hold-backend.mjs), real sockets, the audit read with the CLI.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyEntry } from '../src/config/auth.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { CLI, startServe, type ServeProcess } from './helpers/proxy.js';
import { answerMessages, HOLD_BACKEND, keyHeaders, openKeyedSession, POST_HEADERS, postOnce, toolCallBody } from './helpers/keyed-http.js';
import { until } from './helpers/wait.js';

const run = promisify(execFile);
const call = toolCallBody;
const keys = { old: generateApiKey(), other: generateApiKey() };
const entries: ApiKeyEntry[] = [
  { id: 'k_old', hash: hashApiKey(keys.old), client: 'alice', roles: [] },
  { id: 'k_other', hash: hashApiKey(keys.other), client: 'alice', roles: [] },
];
/** How long a held answer may take to end once its key is revoked (sweeps come every second here): only bounds a broken build. */
const HANG_MS = 30_000;

interface Answer {
  status: number;
  body: string;
}

/** A POST whose answer is read over a real socket: `first` resolves with its first bytes, `done` when it ends (rejects if it is still open HANG_MS after `bound()`). */
function postHeld(url: string, body: string, headers: Record<string, string>) {
  let text = '';
  let firstBytes!: () => void;
  const first = new Promise<void>((r) => (firstBytes = r));
  let req!: http.ClientRequest;
  const done = new Promise<Answer>((resolveDone, reject) => {
    req = http.request(url, { method: 'POST', headers: { ...POST_HEADERS, ...headers } }, (res) => {
      res.on('data', (c: Buffer) => {
        text += c.toString();
        firstBytes();
      });
      res.on('end', () => resolveDone({ status: res.statusCode!, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  const bound = (): Promise<Answer> => {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the answer was still due ${HANG_MS} ms after the key was revoked: ${text}`)), HANG_MS)));
    return Promise.race([done, hang]).finally(() => clearTimeout(timer));
  };
  return { first, bound, close: () => req.destroy() };
}

describe('answers of requests in flight, once their credential is revoked', { timeout: 120_000 }, () => {
  let dir: string;
  let serve: ServeProcess;
  const keysFile = () => join(dir, 'keys.yaml');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-inflight-revocation-'));
    writeKeysFile(keysFile(), entries);
    // Sweeps every sessionIdleMs / 4: every second.
    serve = await startServe(`
server: { sessionIdleMs: 4000 }
backends:
  - { name: hold, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(HOLD_BACKEND)}] }
auth:
  keysFile: ${JSON.stringify(keysFile())}
policy: { paths: [allow-all], watch: false }
audit: { path: audit.db }
`);
  });

  afterAll(async () => {
    await serve?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Streamable HTTP: a JSON answer and an SSE answer of the revoked key end, their calls are cancelled; the other key\'s call in the same session goes on', async () => {
    const withKey = keyHeaders;
    const session = await openKeyedSession(serve.url, keys.old);
    let nextId = 100;
    const tool = async (name: string, args: Record<string, unknown> = {}) => answerMessages((await postOnce(serve.url, call(nextId++, name, args), withKey(keys.other, session))).body)[0]!.result!.content[0]!.text;

    const json = postHeld(serve.url, call(2, 'hold', { key: 'json' }), withKey(keys.old, session));
    const sse = postHeld(serve.url, call(3, 'hold', { key: 'sse' }, 'p3'), withKey(keys.old, session));
    const kept = postHeld(serve.url, call(4, 'hold', { key: 'kept' }), withKey(keys.other, session));
    await sse.first; // its progress event: the answer is an SSE stream now
    await until(async () => JSON.parse(await tool('held')).length === 3, 'the three calls to reach the backend');

    writeKeysFile(keysFile(), [{ ...entries[0]!, revoked: new Date().toISOString() }, entries[1]!]);

    // Before the fix both waited for the backend's answer, which never comes (nothing releases them).
    const jsonAnswer = await json.bound();
    expect(jsonAnswer.status).toBe(401);
    expect(answerMessages(jsonAnswer.body)).toEqual([
      { jsonrpc: '2.0', id: 2, error: { code: -32000, message: 'Unauthorized: the credential it was made with is no longer valid (revoked, expired or removed); the request was cancelled and its answer withheld' } },
    ]);
    const sseAnswer = await sse.bound();
    expect(sseAnswer.status).toBe(200);
    const events = answerMessages(sseAnswer.body);
    expect(events[0]).toMatchObject({ method: 'notifications/progress' });
    expect(events.at(-1)).toMatchObject({ id: 3, error: { code: -32000 } });
    expect(events.at(-1)!.error!.message).toContain('no longer valid');

    // The backend was told: both calls cancelled there; the other key's call still waits.
    await until(async () => JSON.parse(await tool('cancelled')).length === 2, 'the backend to see both calls cancelled');
    expect(JSON.parse(await tool('cancelled')).sort()).toEqual(['json', 'sse']);
    expect(JSON.parse(await tool('held'))).toEqual(['kept']);
    expect(await tool('release', { key: 'kept' })).toBe('kept: released');
    const keptAnswer = await kept.bound();
    expect(keptAnswer.status).toBe(200);
    expect(answerMessages(keptAnswer.body)[0]!.result!.content[0]!.text).toBe('kept: released');

    expect(serve.stderr()).toMatch(/"client":"alice".*"requests":2.*http: answers ended: the credential their requests were made with is no longer valid/);
    // The revoked key itself is refused, as before.
    expect((await postOnce(serve.url, call(5, 'held'), withKey(keys.old, session))).status).toBe(401);

    const audit = join(serve.dir, 'audit.db');
    type Row = { requestId: unknown; outcome: string; errorMessage: string | null };
    const rows = async () => JSON.parse((await run(process.execPath, [CLI, 'audit', 'query', '--db', audit, '--json', '--tool', 'hold'])).stdout) as Row[];
    await until(async () => (await rows()).length === 3, 'the three calls to be audited');
    const byId = new Map((await rows()).map((r) => [r.requestId, r]));
    for (const id of [2, 3]) expect(byId.get(id)).toMatchObject({ outcome: 'cancelled', errorMessage: 'the credential it was made with is no longer valid (revoked, expired or removed)' });
    expect(byId.get(4)).toMatchObject({ outcome: 'ok' });
  });
});
