/**
 * The audit's raw path (docs/audit.md, "The raw path"): a tools/call nothing judges is journaled as
 * its request and answer lines as they came, and the writer thread makes its row. The row equals,
 * column for column and hash for hash, the row the parsed path records for the same call; a call
 * whose request or answer holds a sensitive name takes the parsed path (redacted before it is
 * journaled), and its secret is in neither the journal nor the database file. In process, with the
 * real proxy, a real SQLite file and a real backend child (test/servers/raw-audit-backend.mjs).
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { Spool } from '../src/audit/spool.js';
import { backendCredentialResolver } from '../src/identity/index.js';
import { createLogger } from '../src/log/logger.js';
import { buildRecord, outcomeOf, type Exchange } from '../src/proxy/intercept.js';
import type { RpcMessage } from '../src/proxy/jsonrpc.js';
import { WardenProxy } from '../src/proxy/proxy.js';
import { NdjsonTransport } from '../src/transport/ndjson.js';
import { RAW_VERDICT, type Decision, type InterceptContext, type PolicyDecider, type RawRecordHead, type Recorder } from '../src/types.js';
import { auditConfig, batchText, databaseBytes, tempDir } from './helpers/audit.js';
import { ROOT, stdioBackend } from './helpers/proxy.js';

const BACKEND = join(ROOT, 'test/servers/raw-audit-backend.mjs');
const ALLOW: Decision = { allowed: true, reasons: [], mode: 'enforce', policyVersion: 'allow-all-v1', micros: 3 };
const decider: PolicyDecider = { unconditionalAllow: ALLOW, decide: () => ALLOW };
const CLIENT = { id: 'alice', name: 'Alice', auth: 'local' as const, roles: [], claims: {} };

/** Every column of every row, in chain order. */
function rows(path: string): Array<Record<string, unknown>> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

/** What the proxy's parsed path records for a request line and its answer line (buildRecord, as finish() does). */
function parsedPathRecord(head: RawRecordHead, time: number, backendMicros: number, request: string, answerLine: string) {
  const req = JSON.parse(request) as RpcMessage;
  const params = req.params as Record<string, unknown>;
  const ctx = {
    phase: 'request',
    method: req.method,
    client: { id: head.clientId, name: head.clientName, auth: head.authMethod, roles: head.roles ?? [], claims: {} },
    session: { id: head.sessionId, transport: head.transport },
    backend: { name: head.backend, transport: 'stdio' },
    params,
    tool: { name: String(params.name), backendName: String(params.name) },
    arguments: params.arguments,
  } as unknown as InterceptContext;
  const ex = { originalId: req.id, method: req.method, ctx, decision: ALLOW, time, requestBytes: Buffer.byteLength(request) } as unknown as Exchange;
  const answer = JSON.parse(answerLine) as RpcMessage;
  answer.id = req.id!;
  return buildRecord(ex, outcomeOf(req.method!, answer), answer, backendMicros, Buffer.byteLength(answerLine), undefined);
}

describe('audit raw path: rows from request and answer lines as they came', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let proxy: WardenProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    vi.restoreAllMocks();
    tmp?.cleanup();
  });

  // A client's roles are in the raw entry's head (made once per session) and in the parsed record.
  it.each([
    ['no roles', undefined],
    ['roles', ['admin', 'vm-operator', 'ü "quoted" \ud800']],
  ])('makes the same row (every column, the same hash chain) as the parsed path for the same call: %s', async (_, roles) => {
    tmp = tempDir();
    const rawPath = join(tmp.dir, 'raw.db');
    const parsedPath = join(tmp.dir, 'parsed.db');
    // A small cap, so that one payload is stored as its hash and size.
    const bytesPath = join(tmp.dir, 'bytes.db');
    const raw = openAuditStore(auditConfig(rawPath, { maxPayloadBytes: 200 }));
    const parsed = openAuditStore(auditConfig(parsedPath, { maxPayloadBytes: 200 }));
    // From the lines' bytes (what the proxy does): copied into the mapped journal as they are when
    // ASCII, recorded from their text otherwise; a parsed record in the same turn keeps its place.
    const bytes = openAuditStore(auditConfig(bytesPath, { maxPayloadBytes: 200 }));
    const head: RawRecordHead = { clientId: 'alice', clientName: 'Alice', authMethod: 'api_key', roles, sessionId: 's-1', transport: 'stdio', backend: 'inv', decision: 'allow', reasons: [], policyVersion: 'allow-all-v1', decisionMicros: 3 };
    const big = 'x'.repeat(300);
    const calls: Array<[string, string]> = [
      ['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}', '{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"echo:hi"}]}}'],
      ['{"method":"tools/call","params":{"name":"fail","arguments":{}},"jsonrpc":"2.0","id":2}', '{"result":{"content":[{"type":"text","text":"no"}],"isError":true},"jsonrpc":"2.0","id":8}'],
      ['{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}', '{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"Unknown tool: nope"}}'],
      ['{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"text":"grüße, 日本 🎉","n":[1,2.5,-0,1e21],"deep":{"a":{"b":null}}}}}', '{"jsonrpc":"2.0","id":10,"result":{"content":[{"type":"text","text":"ok ✓"}],"extra":{"b":1, "a" : 2}}}'],
      [`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"${big}"}}}`, `{"jsonrpc":"2.0","id":11,"result":{"content":[{"type":"text","text":"${big}"}]}}`],
      ['{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":{"dup":1,"dup":2}}}', '{"jsonrpc":"2.0","id":12,"result":{}}'],
      // Read off the text where canonical (raw-scan.ts), parsed where not: the same rows either way.
      ['{"jsonrpc":"2.0","id":"r\\"7\\n","method":"tools/call","params":{"name":"e\\"cho","arguments":{"t":"a\\tb","10":1,"2":[true,false,null]}}}', '{"jsonrpc":"2.0","id":13,"result":null}'],
      ['{"jsonrpc":"2.0","id":-8,"method":"tools/call","params":{"name":"echo"}}', '{"jsonrpc":"2.0","id":14,"result":[{"isError":true}]}'],
      ['{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"n":123456789012345}}}', '{"jsonrpc":"2.0","id":15,"result":{"content":{"isError":true},"isError":false}}'],
      ['{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"echo","arguments":{"n":1234567890123456789}}}', '{"jsonrpc":"2.0","id":16,"result":{"isError":"true","x":0.1}}'],
      ['{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"echo","arguments":{}}}', '{"jsonrpc":"2.0","id":17}'],
      ['{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"echo","arguments":"not an object"}}', '{"jsonrpc":"2.0","id":18,"result":{"a":1.25e-7,"b":"x"}}'],
    ];
    try {
      let time = 1_790_000_000_000;
      for (const [request, answer] of calls) {
        expect(raw.rawSafe!(request) && raw.rawSafe!(answer)).toBe(true);
        time += 17;
        await raw.recordRaw!(head, time, 1234, request, Buffer.byteLength(request), answer, Buffer.byteLength(answer));
        await parsed.record(parsedPathRecord(head, time, 1234, request, answer));
        const req = Buffer.from(`junk${request}\n`);
        const ans = Buffer.from(`{}\n${answer}\nmore`);
        const requestChars = bytes.rawSafeBytes!(req, 4, req.length - 1);
        const answerChars = bytes.rawSafeBytes!(ans, 3, ans.length - 5);
        expect([requestChars, answerChars]).toEqual([request.length, answer.length]);
        await bytes.recordRawBytes!(head, time, 1234, req, 4, req.length - 1, requestChars, ans, 3, ans.length - 5, answerChars);
      }
      const [request, answer] = calls[0]!;
      const req = Buffer.from(request);
      const ans = Buffer.from(answer);
      time += 17;
      await parsed.record(parsedPathRecord(head, time, 1, request, answer));
      await parsed.record(parsedPathRecord(head, time, 2, request, answer));
      await parsed.record(parsedPathRecord(head, time, 3, request, answer));
      const first = bytes.record(parsedPathRecord(head, time, 1, request, answer));
      const second = bytes.record(parsedPathRecord(head, time, 2, request, answer)); // batched in this turn
      const third = bytes.recordRawBytes!(head, time, 3, req, 0, req.length, req.length, ans, 0, ans.length, ans.length);
      expect(first).toBeUndefined();
      expect(third).toBeUndefined(); // in the mapped journal when it returns
      await second;
      for (const store of [raw, parsed, bytes]) await store.flush();
      expect(raw.verify()).toMatchObject({ ok: true });
      expect(parsed.verify()).toMatchObject({ ok: true });
      expect(bytes.verify()).toMatchObject({ ok: true });
    } finally {
      await raw.close();
      await parsed.close();
      await bytes.close();
    }
    const got = rows(rawPath);
    expect(got).toHaveLength(calls.length);
    const parsedRows = rows(parsedPath);
    expect(got).toEqual(parsedRows.slice(0, calls.length));
    expect(rows(bytesPath)).toEqual(parsedRows);
    expect(got.map((r) => r.outcome)).toEqual(['ok', 'tool_error', 'rpc_error', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(got[4]).toMatchObject({ arguments: null, arguments_bytes: 311, result: null });
    expect(typeof got[4]!.result_sha256).toBe('string');
    expect(new Set(got.map((r) => r.roles))).toEqual(new Set([roles === undefined ? null : JSON.stringify(roles)]));
  });

  it('journals as they came only the lines free of every sensitive name (escapes included)', () => {
    tmp = tempDir();
    const store = openAuditStore(auditConfig(join(tmp.dir, 'a.db')));
    try {
      const safe = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}';
      expect(store.rawSafe!(safe)).toBe(true);
      expect(store.rawSafeBytes!(Buffer.from(safe), 0, safe.length)).toBe(safe.length);
      expect(store.rawSafeBytes!(Buffer.from('{"a":"ü✓"}'), 0, 13)).toBe(10);
      for (const unsafe of ['{"password":"x"}', '{"API-KEY":1}', '{"accessToken":1}', '{"pass\\u0077ord":"x"}', '{"a\\/b":1}', '{"x\\Ub":1}', '{"to\u212Aen":1}', '{"note":"my secret"}', '{"note":"ü secret"}']) {
        expect(store.rawSafe!(unsafe), unsafe).toBe(false);
        expect(store.rawSafeBytes!(Buffer.from(unsafe), 0, Buffer.byteLength(unsafe)), unsafe).toBe(-1);
      }
      // The byte scan decides exactly as the regular expression on ASCII lines (and leaves the others to it).
      const alphabet = ['p', 'A', 's', 'S', 'w', 'o', 'r', 'd', '_', '-', 't', 'K', 'e', 'n', 'i', 'y', 'c', '\\', 'u', 'U', '/', '"', ' ', 'ü', 'k'];
      let seed = 7;
      for (let n = 0; n < 20_000; n++) {
        let text = '';
        const length = 1 + (n % 24);
        for (let i = 0; i < length; i++) {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          text += n % 3 === 0 && i % 3 === 0 ? ['pass', 'word', 'tok', 'en', 'api', 'key', 'sec', 'ret', 'auth'][seed % 9] : alphabet[seed % alphabet.length];
        }
        const b = Buffer.from(`x${text}y`);
        const expected = store.rawSafe!(`x${text}y`) ? `x${text}y`.length : -1;
        expect(store.rawSafeBytes!(b, 0, b.length), text).toBe(expected);
        // The bytes around the line are not read.
        expect(store.rawSafeBytes!(b, 1, b.length - 1), text).toBe(store.rawSafe!(text) ? text.length : -1);
      }
    } finally {
      void store.close();
    }
  });

  it('through the proxy: plain calls go raw, calls with a secret in the request or the answer are redacted first; no secret in the journal or the database', async () => {
    tmp = tempDir();
    const dbPath = join(tmp.dir, 'audit.db');
    const store = openAuditStore(auditConfig(dbPath));
    // Every journal line, as read back from the journal for the writer thread.
    const journal: string[] = [];
    const take = Spool.prototype.take;
    vi.spyOn(Spool.prototype, 'take').mockImplementation(function (this: Spool) {
      const lines = take.call(this);
      journal.push(batchText(lines));
      return lines;
    });
    const recordRawBytes = vi.fn(store.recordRawBytes!);
    // With the native addon, a plain answer is checked and journaled in one call (native/raw_check.c).
    const recordRawAnswer = store.recordRawAnswer === undefined ? undefined : vi.fn(store.recordRawAnswer);
    const answers = await runCalls({ ...store, record: (e) => store.record(e), close: async () => undefined, recordRawBytes, recordRawAnswer }, [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}',
      '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","password":"hunter2-raw-args"}}}',
      '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"creds","arguments":{}}}',
      '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"fail","arguments":{}}}',
      '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"nope","arguments":{}}}',
      '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"broken","arguments":{}}}',
    ]);
    try {
      await store.flush();
      expect(store.verify()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
    // The client got every answer; the answer holding a credential reached the client unchanged.
    expect(answers.get(1)).toContain('echo:hello');
    expect(answers.get(3)).toContain('tok-answer-secret-77');
    expect(answers.get(6)).toBe('{"jsonrpc":"2.0","id":6,"result":{"content":[}');
    // Raw: echo hello, fail, nope, broken; the password call and the creds answer took the parsed path.
    const natively = recordRawAnswer?.mock.results.filter((r) => r.value === RAW_VERDICT.recorded).length ?? 0;
    expect(recordRawBytes.mock.calls.length + natively).toBe(4);
    if (recordRawAnswer !== undefined) expect(natively).toBe(3); // "broken" is not JSON: recorded raw as a parse error by recordRawBytes
    const text = journal.join('');
    expect(text).toMatch(/^\d+ R/m);
    expect(text).toMatch(/^\d+ \[/m);
    for (const secret of ['hunter2-raw-args', 'tok-answer-secret-77']) {
      expect(text.includes(secret), `journal holds ${secret}`).toBe(false);
      expect(databaseBytes(dbPath).includes(Buffer.from(secret)), `database holds ${secret}`).toBe(false);
    }
    const byId = new Map(rows(dbPath).filter((r) => r.method === 'tools/call').map((r) => [JSON.parse(r.request_id as string) as number, r]));
    expect(byId.get(1)).toMatchObject({ tool: 'echo', arguments: '{"text":"hello"}', outcome: 'ok', is_error: 0, decision: 'allow', policy_version: 'allow-all-v1', client_id: 'alice', backend: 'inv' });
    expect(byId.get(2)).toMatchObject({ tool: 'echo', arguments: '{"text":"x","password":"[REDACTED]"}', outcome: 'ok' });
    expect(byId.get(3)).toMatchObject({ tool: 'creds', arguments: '{}', outcome: 'ok' });
    expect(JSON.parse(byId.get(3)!.result as string)).toEqual({ content: [{ type: 'text', text: 'issued' }], structuredContent: { session_token: '[REDACTED]' } });
    expect(byId.get(4)).toMatchObject({ tool: 'fail', outcome: 'tool_error', is_error: 1 });
    expect(byId.get(5)).toMatchObject({ tool: 'nope', outcome: 'rpc_error', error_code: -32602, error_message: 'Unknown tool: nope' });
    expect(byId.get(6)).toMatchObject({ tool: 'broken', outcome: 'rpc_error', error_code: -32700, result: null });
    for (const r of byId.values()) {
      expect(r.request_bytes).toBeGreaterThan(50);
      expect(r.response_bytes).toBeGreaterThan(20);
      expect(r.backend_micros).toBeGreaterThan(0);
    }
  });

  it.each([
    ['no roles', []],
    ['roles', ['admin', 'ops']],
  ])('through the proxy: the raw rows equal the rows of a recorder without the raw path (but time and backend time): %s', async (_, roles) => {
    tmp = tempDir();
    const lines = [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}',
      '{"method":"tools/call","params":{"name":"fail"},"jsonrpc":"2.0","id":2}',
      '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope","arguments":{"a":[1,{"b":"ü"}]}}}',
    ];
    const stored: Array<Array<Record<string, unknown>>> = [];
    for (const rawPath of [true, false]) {
      const dbPath = join(tmp.dir, `${rawPath}.db`);
      const store = openAuditStore(auditConfig(dbPath));
      const recordRawBytes = vi.fn(store.recordRawBytes!);
      const recorder: Recorder = rawPath
        ? { record: (e) => store.record(e), rawSafeBytes: (b, s, e) => store.rawSafeBytes!(b, s, e), recordRawBytes, close: async () => undefined }
        : { record: (e) => store.record(e), close: async () => undefined };
      await runCalls(recorder, lines, { ...CLIENT, roles });
      await store.flush();
      expect(store.verify()).toMatchObject({ ok: true });
      await store.close();
      expect(recordRawBytes).toHaveBeenCalledTimes(rawPath ? 3 : 0);
      stored.push(rows(dbPath).map(({ time, backend_micros, hash, prev_hash, ...rest }) => (void [time, backend_micros, hash, prev_hash], rest)));
    }
    expect(stored[0]!.length).toBe(4); // initialize and the three calls
    expect(stored[0]).toEqual(stored[1]);
    expect(stored[0]!.map((r) => r.roles)).toEqual(Array(4).fill(roles.length === 0 ? null : JSON.stringify(roles)));
  });
});

/** Opens a session on a proxy recording with `recorder`, sends the lines, and returns the answers' lines by id. */
async function runCalls(recorder: Recorder, lines: string[], client: InterceptContext['client'] = CLIENT): Promise<Map<number, string>> {
  const backend = stdioBackend({ name: 'inv', prefix: '', command: process.execPath, args: [BACKEND], timeoutMs: 10_000 });
  const proxy = new WardenProxy({ backends: [backend], restartBackends: false, decider, recorder, backendCredentials: backendCredentialResolver(), logger: createLogger({ level: 'silent' }), version: '0.0.0-test' });
  const toProxy = new PassThrough();
  const toClient = new PassThrough();
  const answers = new Map<number, string>();
  let buffered = '';
  const waiters = new Map<number, () => void>();
  toClient.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const id = Number(/"id":(\d+)/.exec(line)?.[1]);
      answers.set(id, line);
      waiters.get(id)?.();
    }
  });
  const answered = (id: number) => new Promise<void>((resolve) => (answers.has(id) ? resolve() : waiters.set(id, resolve)));
  try {
    await proxy.openSession(new NdjsonTransport(toProxy, toClient, { answerInvalid: true }), { sessionId: 'session-raw', transport: 'stdio', client });
    toProxy.write('{"jsonrpc":"2.0","id":1000,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n');
    await answered(1000);
    toProxy.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    // All at once: several answers may come in one chunk (one turn, one journal write).
    await Promise.all(lines.map((line, i) => (toProxy.write(`${line}\n`), answered(i + 1))));
  } finally {
    await proxy.close();
  }
  return answers;
}
