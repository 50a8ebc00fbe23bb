/**
 * A damaged journal line (disk corruption, a torn write, an edit of the journal files: wrong types,
 * fields missing, numbers out of range, JSON not as the proxy writes it) must never block the audit
 * log and never be stored as if it were valid: both writers (ChainWriter and native/writer's C loop)
 * skip it, count it `unreadable`, name its journal seq and why (BatchResult.skipped), write the lines
 * around it and keep a chain that verifies; the writer thread says so at error level instead of
 * retrying the batch forever, and so does the import of a journal left by a crashed process.
 * Before: a raw head whose clientId was not a string (and other lines) threw on every retry, and
 * others were stored as rows `audit verify` refuses or with values never recorded.
 */
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { chainKeying } from '../src/audit/chain-key.js';
import { ChainWriter, type BatchResult } from '../src/audit/chain-writer.js';
import { openAuditStore } from '../src/audit/index.js';
import { journalBody } from '../src/audit/journal-line.js';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { loadWriterAddon, openNativeWriter } from '../src/audit/native-writer.js';
import { rawHeadJson, rawJournalBody, RawEntryReader } from '../src/audit/raw-entry.js';
import { AuditRecorder } from '../src/audit/recorder.js';
import { Redactor } from '../src/audit/redact.js';
import { journalDir, Spool } from '../src/audit/spool.js';
import { verifyChain } from '../src/audit/verify.js';
import type { RawRecordHead } from '../src/types.js';
import { auditConfig, sampleRecord } from './helpers/audit.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';
import { runWriterThread } from './helpers/writer-thread.js';
import { dumpAuditDb, openWriterDb } from './helpers/audit-db.js';
import { keptLogger } from './helpers/kept-logger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'warden-damaged-'));
  dirs.push(d);
  return d;
}

const FIELDS = ['password', 'token'];
const CAP = 4096;
const redactor = new Redactor(FIELDS);
const reader = () => new RawEntryReader(new Redactor(FIELDS), CAP);
const built = loadWriterAddon();

const HEAD: RawRecordHead = { clientId: 'local:root', clientName: 'root', authMethod: 'local', sessionId: 's', transport: 'stdio', backend: 'b', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 3 };
const HEAD_VALUES = JSON.parse(rawHeadJson(HEAD)) as unknown[];

/** A raw entry's body (its request id `n`), with the head JSON, request and time given. */
function rawBody(n: number, head = rawHeadJson(HEAD), request?: string, time = `${1795000000000 + n}`): string {
  const req = request ?? `{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":"echo","arguments":{"text":"t${n}"}}}`;
  const ans = `{"jsonrpc":"2.0","id":${n},"result":{"content":[]}}`;
  return rawJournalBody(head, 0, 850, req.length, ans.length, req, ans).replace(/^R0,/, `R${time},`);
}
/** A raw body whose head value `k` is `v` (as JSON). */
const rawHead = (k: number, v: unknown, n = 2): string => rawBody(n, JSON.stringify(HEAD_VALUES.map((x, i) => (i === k ? v : x))));

/** A parsed row's body (request id `n`). */
function parsedBody(n: number): string {
  return journalBody(sampleRecord({ time: 1795000000000 + n, requestId: n, tool: `t${n}` }), redactor, CAP);
}
/** A parsed body whose scalar `k` (0: time, 1: client_id, ... as the body has them: no seq) is `v`. */
function parsedScalar(k: number, v: unknown, n = 2): string {
  const body = parsedBody(n);
  const tab = body.indexOf('\t');
  const scalars = JSON.parse(body.slice(0, tab)) as unknown[];
  scalars[k] = v;
  return JSON.stringify(scalars) + body.slice(tab);
}

/** Damaged bodies of line 2, each between two good lines. */
const DAMAGED: Array<[string, string]> = [
  // (a): threw on every retry.
  ['raw head: clientId a number', rawHead(0, 5)],
  ['raw head: sessionId an object', rawHead(3, { a: 1 })],
  ['raw head: backend a number', rawHead(5, 7)],
  ['raw head: reasons null', rawHead(7, null)],
  ['raw request: null', rawBody(2, undefined, 'null')],
  ['parsed: client_id null (NOT NULL)', parsedScalar(1, null)],
  ['parsed: decision_micros true', parsedScalar(23, true)],
  ['parsed: tool an object', parsedScalar(9, {})],
  // (b): stored as a row verify refuses.
  ['raw head: authMethod a number', rawHead(2, 5)],
  ['parsed: client_id a number', parsedScalar(1, 5)],
  ['parsed: time a string of digits', parsedScalar(0, '1795000000002')],
  ['parsed: a space after a comma', parsedBody(2).replace(',"alice"', ', "alice"')],
  ['parsed: a lone surrogate', parsedScalar(2, '\ud800')],
  // (b): stored with values never recorded.
  ['raw head: decisionMicros a string', rawHead(9, '12')],
  ['raw head: roles not strings', rawBody(2, JSON.stringify([...HEAD_VALUES, [1, 2]]))],
  ['raw head: reasons not strings', rawHead(7, [5])],
  ['raw: a time of 17 digits (not exact in a double)', rawBody(2, undefined, undefined, '12345678901234567')],
  ['raw request: method a number', rawBody(2, undefined, '{"jsonrpc":"2.0","id":2,"method":5,"params":{"name":"echo"}}')],
  ['raw request: params a string', rawBody(2, undefined, '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":"echo"}')],
  ['parsed: decision_micros 1.5', parsedScalar(23, 1.5)],
  ['parsed: is_error 7', parsedScalar(20, 7)],
  ['parsed: arguments_bytes not the arguments\' size (a line cut short and joined to the next)', parsedBody(2).replace('{"filter":"running"}', '{"filter":"run')],
  ['parsed: reasons not a JSON array', parsedScalar(15, 'no')],
];


/** `text` written by ChainWriter, and by the native writer when it is built: results, dumps, verify. */
function writeBoth(text: string): { js: BatchResult | Error; native?: BatchResult | Error; jsDump: string; nativeDump?: string; jsVerified: boolean; tools: unknown[] } {
  const dir = tmp();
  const a = openWriterDb(join(dir, 'js.db'));
  const b = openWriterDb(join(dir, 'native.db'));
  try {
    const attempt = (f: () => BatchResult): BatchResult | Error => {
      try {
        return f();
      } catch (err) {
        return err as Error;
      }
    };
    const js = attempt(() => new ChainWriter(a, chainKeying(undefined), reader()).writeBatch('j', text));
    const out: ReturnType<typeof writeBoth> = { js, jsDump: dumpAuditDb(a), jsVerified: verifyChain(a, chainKeying(undefined)).ok, tools: a.prepare('SELECT request_id FROM audit_log ORDER BY seq').pluck().all() };
    if (!('why' in built)) {
      const opened = openNativeWriter(b, new ChainWriter(b, chainKeying(undefined), reader()), { redactFields: FIELDS, maxPayloadBytes: CAP });
      if ('why' in opened) throw new Error(opened.why);
      out.native = attempt(() => opened.writer.writeBatch('j', text));
      opened.writer.close();
      out.nativeDump = dumpAuditDb(b);
    }
    return out;
  } finally {
    a.close();
    b.close();
  }
}

describe('a damaged journal line', () => {
  it.each(DAMAGED)('%s: skipped, counted and named by both writers; the lines around it written; the chain verifies', (_name, body) => {
    const good2 = body.startsWith('R') ? rawBody(2) : parsedBody(2);
    // The undamaged line is written (the test's damage is what makes the difference).
    expect(writeBoth(`1 ${rawBody(1)}\n2 ${good2}\n3 ${parsedBody(3)}\n`).js).toMatchObject({ inserted: 3, unreadable: 0 });
    const r = writeBoth(`1 ${rawBody(1)}\n2 ${body}\n3 ${parsedBody(3)}\n`);
    expect(r.js).not.toBeInstanceOf(Error);
    expect(r.js).toMatchObject({ committed: 3, headSeq: 2, inserted: 2, unreadable: 1, skipped: [{ seq: 2, why: expect.any(String) }] });
    expect(r.tools).toEqual(['1', '3']);
    expect(r.jsVerified).toBe(true);
    if (r.native !== undefined) {
      expect(r.native).toEqual(r.js);
      expect(r.nativeDump).toBe(r.jsDump);
    }
  });

  it('a line without a journal number is named too (seq null), by both writers alike', () => {
    const r = writeBoth(`1 ${rawBody(1)}\nx ${rawBody(2)}\n3 ${rawBody(3)}\n`);
    expect(r.js).toMatchObject({ committed: 3, inserted: 2, unreadable: 1, skipped: [{ seq: null, why: expect.stringMatching(/journal sequence number/) }] });
    if (r.native !== undefined) expect(r.native).toEqual(r.js);
  });

  it('what the proxy writes still reads: heads with roles, no backend, a fractional decisionMicros, lone surrogates in names', () => {
    const heads = [
      rawHeadJson({ ...HEAD, roles: ['admin', 'opsé'], backend: undefined, policyVersion: undefined, decisionMicros: 12.6, reasons: ['allowed by "x"'] }),
      rawHeadJson({ ...HEAD, clientName: 'a\ud800b', sessionId: '\udc00' }),
    ];
    const text = heads.map((h, i) => `${i + 1} ${rawBody(i + 1, h)}\n`).join('') + `3 ${journalBody(sampleRecord({ clientName: 'x\ud800', errorCode: 1e300, roles: ['r'], isError: true }), redactor, CAP)}\n`;
    const r = writeBoth(text);
    expect(r.js).toMatchObject({ inserted: 3, unreadable: 0, skipped: [] });
    expect(r.jsVerified).toBe(true);
    if (r.native !== undefined) expect(r.nativeDump).toBe(r.jsDump);
  });

  for (const native of [true, false]) {
    it(`the writer thread (${native ? 'native' : 'JS'} writer) commits the lines around it, once, and reports it instead of retrying the batch`, async () => {
      if (native && 'why' in built) return;
      const dir = tmp();
      const dbPath = join(dir, 'a.db');
      openWriterDb(dbPath).close();
      const batches = [{ text: `1 ${rawBody(1)}\n2 ${rawHead(0, 5)}\n3 ${rawBody(3)}\n`, lastSeq: 3 }];
      const seen = await runWriterThread({ dbPath, native, redactFields: FIELDS, maxPayloadBytes: CAP, batches, until: 3 });
      expect(seen.filter((m) => m.type === 'error')).toEqual([]);
      expect(seen.find((m) => m.type === 'writer')).toMatchObject({ native });
      expect(seen.filter((m) => m.type === 'skipped')).toEqual([{ type: 'skipped', journalId: 'j', files: [], lines: 1, skipped: [{ seq: 2, why: expect.stringMatching(/clientId/) }] }]);
      const db = new Database(dbPath, { readonly: true });
      try {
        expect(db.prepare('SELECT request_id FROM audit_log ORDER BY seq').pluck().all()).toEqual(['1', '3']);
        expect(verifyChain(db, chainKeying(undefined)).ok).toBe(true);
      } finally {
        db.close();
      }
    });
  }
});


describe('a damaged journal line left by a crashed process', () => {
  it('is skipped at the import with an error naming the file, its seq and why; the other lines are imported and the store opens', async () => {
    const dir = tmp();
    const db = join(dir, 'audit.db');
    mkdirSync(journalDir(db), { mode: 0o700 });
    const file = join(journalDir(db), '999999-0f0f0f0f-1');
    writeFileSync(file, `1 ${rawBody(1)}\n2 ${rawHead(0, 5)}\n3 ${parsedBody(3)}\n`);
    const { logger, lines } = keptLogger();
    const store = openAuditStore(auditConfig(db), logger);
    await store.close();
    const check = new Database(db, { readonly: true });
    try {
      expect(check.prepare('SELECT request_id FROM audit_log ORDER BY seq').pluck().all()).toEqual(['1', '3']);
      expect(verifyChain(check, chainKeying(undefined)).ok).toBe(true);
    } finally {
      check.close();
    }
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file, lines: 1, skipped: [{ seq: 2, why: expect.stringMatching(/clientId/) }] });
  });
});

const mapped = journalAddon().addon;
describe.runIf(runsUnless('audit-journal-damaged', noMappedJournal(mapped, true)))('a line of the live journal damaged before the writer read it', () => {
  it('does not hold up the audit (flush settles, back-pressure never waits on it): the other rows are stored and the error names the segment and seq', async () => {
    const dir = tmp();
    const path = join(dir, 'audit.db');
    openWriterDb(path).close();
    const { logger, lines } = keptLogger();
    const spool = new Spool(path, { segmentBytes: 8192, logger });
    const recorder = new AuditRecorder({ dbPath: path, spool, redactFields: FIELDS, maxPayloadBytes: CAP, flushIntervalMs: 60_000, maxQueue: 100_000, backpressure: 'block', retentionIntervalMs: 60_000, writerNice: 0, logger });
    const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
    try {
      for (const id of ['r1', 'r2', 'r3']) await recorder.record(sampleRecord({ requestId: id, clientId: 'alice' }));
      // Line 2's client id, in the segment's file (the writer reads those bytes), becomes a null of the same length.
      const seg = readdirSync(journalDir(path)).find((n) => !n.endsWith('.lock'))!;
      const segFile = join(journalDir(path), seg);
      const bytes = readFileSync(segFile);
      const second = bytes.indexOf('"alice"', bytes.indexOf('\n2 ['));
      expect(bytes.indexOf('\n2 [')).toBeGreaterThan(0);
      const fd = openSync(segFile, 'r+');
      writeSync(fd, Buffer.from('null   '), 0, 7, second);
      closeSync(fd);
      expect(await within(recorder.flush(), 10_000)).toBeUndefined();
      expect(recorder.queued).toBe(0);
    } finally {
      await within(recorder.close(), 10_000);
    }
    const check = new Database(path, { readonly: true });
    try {
      expect(check.prepare('SELECT request_id FROM audit_log ORDER BY seq').pluck().all()).toEqual(['"r1"', '"r3"']);
      expect(verifyChain(check, chainKeying(undefined)).ok).toBe(true);
    } finally {
      check.close();
    }
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ lines: 1, skipped: [{ seq: 2, why: expect.stringMatching(/client_id/) }] });
    expect(String((errors[0]!.files as string[])[0])).toContain(journalDir(path));
  }, 30_000);
});
