/**
 * The native audit writer (native/writer/, src/audit/native-writer.ts) against ChainWriter: the
 * same journal bytes written by both into two real SQLite files must give the same batch results,
 * rows (every column's value and type), head and journal marks, and a chain that verifies; with
 * SHA-256 and HMAC, payloads at the cap's edges, every spelling of a redacted field, torn and
 * malformed lines, a batch imported twice. On Linux the addon must be built (npm ci builds it).
 */
import { closeSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { chainKeying } from '../src/audit/chain-key.js';
import { ChainWriter } from '../src/audit/chain-writer.js';
import { journalBody } from '../src/audit/journal-line.js';
import { journalBatchPieces, type JournalBatch } from '../src/audit/journal-range.js';
import { nativeWriterCheck } from '../src/audit/native-writer-check.js';
import { loadWriterAddon, openNativeWriter, type NativeWriter } from '../src/audit/native-writer.js';
import { rawHeadJson, rawJournalBody, RawEntryReader } from '../src/audit/raw-entry.js';
import { Redactor } from '../src/audit/redact.js';
import { verifyChain } from '../src/audit/verify.js';
import { spawnWriter } from '../src/audit/writer-spawn.js';
import type { FromWriter } from '../src/audit/writer-worker.js';
import { dumpAuditDb, openWriterDb } from './helpers/audit-db.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Options {
  redactFields: readonly string[];
  maxPayloadBytes: number;
  chainKey?: string;
}
const DEFAULTS: Options = { redactFields: ['password', 'token', 'api_key', 'apikey', 'authorization', 'secret'], maxPayloadBytes: 4096 };


/** Writes `batches` with ChainWriter and with the native writer; returns both databases' dumps and the native counts. */
function differential(options: Options, batches: JournalBatch[]): { js: string; native: string; counts: NativeWriter['counts']; results: [unknown[], unknown[]]; verified: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-native-writer-'));
  dirs.push(dir);
  const keying = chainKeying(options.chainKey);
  const reader = () => new RawEntryReader(new Redactor(options.redactFields), options.maxPayloadBytes);
  const a = openWriterDb(join(dir, 'js.db'), options.chainKey);
  const b = openWriterDb(join(dir, 'native.db'), options.chainKey);
  try {
    const js = new ChainWriter(a, keying, reader());
    const opened = openNativeWriter(b, new ChainWriter(b, keying, reader()), options);
    if ('why' in opened) throw new Error(`native writer not available: ${opened.why}`);
    const native = opened.writer;
    const results: [unknown[], unknown[]] = [[], []];
    const ranges = { buffer: Buffer.alloc(0) };
    for (const text of batches) {
      results[0].push(js.writeBatch('j', journalBatchPieces(text, ranges)));
      results[1].push(native.writeBatch('j', text));
    }
    native.close();
    return { js: dumpAuditDb(a), native: dumpAuditDb(b), counts: native.counts, results, verified: verifyChain(b, keying).ok };
  } finally {
    a.close();
    b.close();
  }
}

/** Numbered journal lines cut into batches of `per`, the second imported again, and a torn old line at the end. */
function batchesOf(bodies: string[], per = 200): string[] {
  const numbered = bodies.map((l, i) => `${i + 1} ${l}\n`);
  const out: string[] = [];
  for (let i = 0; i < numbered.length; i += per) out.push(numbered.slice(i, i + per).join(''));
  if (out.length > 1) out.splice(2, 0, out[1]!);
  out.push(numbered[numbered.length - 1]!.slice(0, -1) + ' torn tail');
  return out;
}

const HEADS = [
  { clientId: 'local:root', clientName: 'root', authMethod: 'local', sessionId: 'stdio-1', transport: 'stdio', backend: 'bench', decision: 'allow', reasons: [], policyVersion: 'sha256:0f3a9c5e', decisionMicros: 0 },
  { clientId: 'jwt:alice', clientName: 'Zoë "Z" Ålund', authMethod: 'jwt', roles: ['admin', 'opsé'], sessionId: 's-2', transport: 'streamable-http', backend: undefined, decision: 'allow', reasons: ['allowed by rule "x"'], policyVersion: undefined, decisionMicros: 37 },
  { clientId: 'key:k1', clientName: 'tab\there', authMethod: 'api_key', sessionId: 's-3', transport: 'sse', backend: 'b\\2', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 12.6 },
].map((h) => rawHeadJson(h as Parameters<typeof rawHeadJson>[0]));

function raw(i: number, request: string, answer: string, head = HEADS[0]!): string {
  return rawJournalBody(head, 1795000000000 + i, 850 + (i % 300), request.length, answer.length, request, answer);
}
function call(i: number, args: string | undefined, result: string, method = '"tools/call"', id: string | null = String(i)): [string, string] {
  const params = args === undefined ? '{"name":"echo"}' : `{"name":"echo","arguments":${args}}`;
  return [`{"jsonrpc":"2.0",${id === null ? '' : `"id":${id},`}"method":${method},"params":${params}}`, `{"jsonrpc":"2.0","id":${id ?? 'null'},"result":${result}}`];
}

/** Varied entries (the differential inputs of the native writer prototype): ids, arguments, answers, methods, heads, parsed rows, torn and malformed lines. */
function generated(n: number, options: Options): string[] {
  const big = 'x'.repeat(options.maxPayloadBytes + 10);
  const ids = [(i: number) => `${i}`, (i: number) => `"r-${i}"`, () => '"q\\"uo\\\\te\\n"', () => null, () => '-0', () => '1.5', () => '12345678901234567', () => '{"a":1}'];
  const args = [
    () => undefined, () => '{"text":"hello"}', () => `{"text":"${big}"}`, () => '{"password":"hunter2"}', () => '{"q":"100%"}',
    () => '{"a":[1,2,{"b":null,"c":true,"d":false}],"e":"x\\ty"}', () => '{"a":1,"a":2}', () => '{"a": 1}', () => '{"t":"héllo"}', () => '{"1a":2}',
    () => '{"u":"\\u0041"}', () => '{"p":"a\\/b"}', () => '{"API-KEY":"k"}', () => '{"n":-12,"z":0,"f":1e5}', () => '[]', () => '"str"',
    ...[60, 61, 62, 63, 64].map((d) => () => `{"d":${'['.repeat(d)}${']'.repeat(d)}}`),
    ...[505, 506, 507, 508].map((k) => () => `{${Array.from({ length: k }, (_, j) => `"k${j}":${j}`).join(',')}}`),
    () => '{"n":123456789012345}', () => '{"n":1234567890123456}', () => '{"s":"\\\\\\""}',
  ];
  const results = ['{"content":[{"type":"text","text":"ok"}]}', '{"content":[],"isError":true}', '{"isError":false}', '"text"', `{"content":[{"type":"text","text":"${big}"}]}`, '{"token":"t"}', '{"isError":"true"}'];
  const methods = ['"tools/call"', '"tools/call"', '"resources/read"', '"tools\\tcall"', '"tools/list"'];
  const redactor = new Redactor(options.redactFields);
  let rnd = 12345;
  const pick = <T>(a: readonly T[]): T => a[(rnd = (rnd * 1103515245 + 12345) & 0x7fffffff) % a.length]!;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 17 === 5) {
      lines.push(journalBody({ time: 1795000000000 + i, clientId: 'key:k', clientName: 'K', authMethod: 'api_key', sessionId: 's', transport: 'streamable-http', method: 'tools/call', requestId: i, tool: 't', arguments: { password: 'p', n: i }, decision: i % 2 ? 'deny' : 'allow', reasons: [], outcome: i % 2 ? 'denied' : 'ok', decisionMicros: 5 }, redactor, options.maxPayloadBytes));
      continue;
    }
    const [request, answer] = call(i, pick(args)(), pick(results), pick(methods), pick(ids)(i));
    lines.push(raw(i, request, pick([answer, 'not json at all']), pick(HEADS)));
    if (i % 97 === 3) lines.push(lines.pop()!.slice(0, -3)); // torn: the lengths no longer match
    if (i % 101 === 7) lines.push('R12,3,4'); // malformed raw entry
    if (i % 89 === 11) lines.push('x not a journal line');
  }
  return lines;
}

const built = loadWriterAddon();

describe('native audit writer', () => {
  it('is built and loads on Linux, and its self-check passes', () => {
    if (process.platform !== 'linux') return;
    expect('why' in built ? built.why : undefined).toBeUndefined();
    if ('why' in built) return;
    expect(nativeWriterCheck(built.addon, built.file, DEFAULTS)).toBeUndefined();
    expect(nativeWriterCheck(built.addon, built.file, { ...DEFAULTS, chainKey: 'k1', maxPayloadBytes: 100 })).toBeUndefined();
  });

  it.each([undefined, 'chain key ✓'])('writes the rows ChainWriter writes (key %s)', (chainKey) => {
    if ('why' in built) return;
    const options = { ...DEFAULTS, chainKey };
    const r = differential(options, batchesOf(generated(2500, options)));
    expect(r.results[1]).toEqual(r.results[0]);
    expect(r.native).toBe(r.js);
    expect(r.verified).toBe(true);
    expect(r.counts.fast).toBeGreaterThan(200);
    expect(r.counts.slow).toBeGreaterThan(200);
  });

  it('agrees at the payload cap: cap - 1, cap and cap + 1 bytes of arguments and of result', () => {
    if ('why' in built) return;
    const cap = 200;
    const options = { ...DEFAULTS, maxPayloadBytes: cap };
    const bodies: string[] = [];
    let i = 0;
    for (const argsLen of [cap - 1, cap, cap + 1]) {
      for (const resultLen of [cap - 1, cap, cap + 1]) {
        const args = `{"t":"${'a'.repeat(argsLen - 8)}"}`;
        const result = `{"c":"${'b'.repeat(resultLen - 8)}"}`;
        expect([args.length, result.length]).toEqual([argsLen, resultLen]);
        const [request, answer] = call(++i, args, result);
        bodies.push(raw(i, request, answer));
      }
    }
    const r = differential(options, batchesOf(bodies, 4));
    expect(r.native).toBe(r.js);
    expect(r.counts).toEqual({ fast: 9, slow: 0 });
    expect(r.js).toContain('"a'.padEnd(cap - 7, 'a')); // at the cap: stored
  });

  it('sends every spelling of a redacted field through the JS writer (redacted as it redacts)', () => {
    if ('why' in built) return;
    const options = { ...DEFAULTS, redactFields: ['Api-Key', 'password', 'X_Token'] };
    const spellings = ['api_key', 'API_KEY', 'api-key', 'Api-Key', 'aPi_KeY', 'API-key', 'PASSWORD', 'pass_word', 'x-token', 'X_TOKEN', 'x_Token'];
    const bodies = spellings.flatMap((s, i) => {
      const [request, answer] = call(i + 1, `{"${s}":"hunter2"}`, '{"content":[]}');
      const [r2, a2] = call(i + 100, '{"plain":1}', `{"${s}":"hunter2"}`);
      return [raw(i + 1, request, answer), raw(i + 100, r2, a2)];
    });
    const r = differential(options, batchesOf(bodies, 5));
    expect(r.native).toBe(r.js);
    // "pass_word" is not "password": its value stays (twice: in arguments and in a result), made in C;
    // every other line went to a JS run and its value was redacted.
    expect(r.native.split('hunter2').length - 1).toBe(2);
    expect(r.counts.fast).toBe(2);
    expect(r.counts.slow).toBe(bodies.length - 2);
  });

  it('decodes lines of invalid UTF-8 in a segment file as the JS writer does (runs of bytes, not strings)', () => {
    if ('why' in built) return;
    const dir = mkdtempSync(join(tmpdir(), 'warden-native-writer-'));
    dirs.push(dir);
    const [request, answer] = call(1, '{"text":"hi"}', '{"content":[]}');
    const good = (i: number) => Buffer.from(`${i} ${raw(i, request, answer)}\n`, 'utf8');
    const bad = (i: number, bytes: number[]) => {
      const [r2, a2] = call(i, '{"text":"XX"}', '{"content":[]}');
      const line = Buffer.from(`${i} ${raw(i, r2, a2)}\n`, 'utf8');
      line.set(bytes, line.indexOf('XX'));
      return line;
    };
    const parsedBad = Buffer.concat([Buffer.from('6 [1795000000006,"k",'), Buffer.from([0xff, 0xc3]), Buffer.from(',"api_key"]\t\t\n')]);
    // Invalid bytes, a lone continuation byte, a multibyte character cut short before the newline.
    const bytes = Buffer.concat([good(1), bad(2, [0xff, 0xfe]), bad(3, [0x80, 0x41]), good(4), bad(5, [0xe2, 0x82]), parsedBad, good(7), Buffer.from([0xf0, 0x9f, 0x98, 0x0a]), good(8)]);
    const file = join(dir, 'segment');
    writeFileSync(file, bytes);
    const fd = openSync(file, 'r');
    try {
      const r = differential(DEFAULTS, [{ file, fd, from: 0, to: bytes.length }]);
      expect(r.native).toBe(r.js);
      expect(r.results[1]).toEqual(r.results[0]);
      expect(r.counts.fast).toBe(4);
      expect(r.js).toContain('\ufffd');
    } finally {
      closeSync(fd);
    }
  });

  it('MCP_WARDEN_NATIVE_WRITER=off keeps the JS writer, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-native-writer-'));
    dirs.push(dir);
    const db = openWriterDb(join(dir, 'a.db'), undefined);
    const before = process.env.MCP_WARDEN_NATIVE_WRITER;
    process.env.MCP_WARDEN_NATIVE_WRITER = 'off';
    try {
      const opened = openNativeWriter(db, new ChainWriter(db, chainKeying(undefined), new RawEntryReader(new Redactor([]), 100)), DEFAULTS);
      expect(opened).toEqual({ why: 'MCP_WARDEN_NATIVE_WRITER=off' });
    } finally {
      if (before === undefined) delete process.env.MCP_WARDEN_NATIVE_WRITER;
      else process.env.MCP_WARDEN_NATIVE_WRITER = before;
      db.close();
    }
  });

  it('the writer thread runs it, says so, writes a batch with it and closes (statements finalized before db.close())', async () => {
    if ('why' in built) return;
    const dir = mkdtempSync(join(tmpdir(), 'warden-native-writer-'));
    dirs.push(dir);
    const dbPath = join(dir, 'a.db');
    openWriterDb(dbPath, undefined).close();
    const worker = spawnWriter({ dbPath, journalId: 'j', retentionIntervalMs: 3_600_000, maxQueue: 1000, redactFields: DEFAULTS.redactFields, maxPayloadBytes: DEFAULTS.maxPayloadBytes });
    const seen: FromWriter[] = [];
    const [request, answer] = call(1, '{"text":"hi"}', '{"content":[]}');
    const closed = new Promise<void>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', (msg: FromWriter) => {
        seen.push(msg);
        if (msg.type === 'writer') worker.postMessage({ type: 'batch', text: `1 ${raw(1, request, answer)}\n`, lastSeq: 1, earlierRows: 0 });
        if (msg.type === 'committed') worker.postMessage({ type: 'close' });
        if (msg.type === 'closed') resolve();
        if (msg.type === 'error') reject(new Error(msg.message));
      });
    });
    await closed;
    await worker.terminate();
    // Its connection is closed for real: no file of the database still open in this process (better-sqlite3
    // closes with sqlite3_close_v2: a statement left unfinalized keeps the connection and its files open).
    const open = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dbPath);
      } catch {
        return false;
      }
    });
    expect(open).toEqual([]);
    expect(seen.find((m) => m.type === 'writer')).toEqual({ type: 'writer', native: true, why: 'the addon loaded and its self-check passed' });
    const db = new Database(dbPath, { readonly: true });
    try {
      // The head it reports (main's headHash) is the head stored by C's batch.
      const headHash = db.prepare("SELECT value FROM audit_meta WHERE key = 'head_hash'").pluck().get();
      expect(seen.filter((m) => m.type === 'committed')).toEqual([{ type: 'committed', committed: 1, head: { seq: 1, hash: headHash } }]);
      expect(db.prepare('SELECT seq, tool, outcome FROM audit_log').raw().all()).toEqual([[1, 'echo', 'ok']]);
      expect(verifyChain(db, chainKeying(undefined)).ok).toBe(true);
    } finally {
      db.close();
    }
  });
});
