/**
 * A damaged journal NUMBER (a line's `<journal seq>` changed by a disk error, a torn write, an edit)
 * must never make other lines vanish silently. Before: a line numbered 99999999 (or 8 instead of 5)
 * was inserted and moved the journal's mark, and the lines after it, numbered below the mark, were
 * skipped as "already committed" without a word; a damaged line last in a batch left the mark below
 * it, so the proxy never saw its batch committed (and a clean close kept the journal's files after
 * forgetting its mark).
 *
 * The rule (both writers, ChainWriter and native/writer's C loop, alike):
 * - a batch holds journal numbers up to a ceiling: the batch's last number as the proxy numbered it
 *   (the writer thread is told it with every batch), else the mark plus the batch's lines; a line
 *   numbered beyond it is skipped and named, and once the mark has moved it takes the next number;
 * - a line at or below the mark is silently skipped (already committed) only before the mark moved
 *   in this batch (a resend, an import overlapping what was committed: always a prefix), or, for an
 *   import, in an earlier file of the same journal; after that it is skipped and named;
 * - the batch's mark ends at least at the ceiling the proxy gave: every line up to it was written
 *   or named.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { chainKeying } from '../src/audit/chain-key.js';
import { ChainWriter, type BatchResult } from '../src/audit/chain-writer.js';
import { openAuditStore } from '../src/audit/index.js';
import { journalBody } from '../src/audit/journal-line.js';
import { loadWriterAddon, openNativeWriter } from '../src/audit/native-writer.js';
import { rawHeadJson, rawJournalBody, RawEntryReader } from '../src/audit/raw-entry.js';
import { Redactor } from '../src/audit/redact.js';
import { journalDir } from '../src/audit/spool.js';
import { verifyChain } from '../src/audit/verify.js';
import type { RawRecordHead } from '../src/types.js';
import { auditConfig, sampleRecord } from './helpers/audit.js';
import { runWriterThread } from './helpers/writer-thread.js';
import { dumpAuditDb, openWriterDb } from './helpers/audit-db.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'warden-seq-damaged-'));
  dirs.push(d);
  return d;
}

const FIELDS = ['password', 'token'];
const CAP = 4096;
const reader = () => new RawEntryReader(new Redactor(FIELDS), CAP);
const built = loadWriterAddon();
const HEAD: RawRecordHead = { clientId: 'local:root', clientName: 'root', authMethod: 'local', sessionId: 's', transport: 'stdio', backend: 'b', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 3 };

/** Call `n`'s body: a raw entry in the fast form (made in C), or a parsed row (every third: a JS run). */
function body(n: number): string {
  if (n % 3 === 0) return journalBody(sampleRecord({ time: 1795000000000 + n, requestId: n, tool: `t${n}` }), new Redactor(FIELDS), CAP);
  const req = `{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":"echo","arguments":{"text":"t${n}"}}}`;
  const ans = `{"jsonrpc":"2.0","id":${n},"result":{"content":[]}}`;
  return rawJournalBody(rawHeadJson(HEAD), 1795000000000 + n, 850, req.length, ans.length, req, ans);
}
/** Journal lines of calls `from`..`to`, each numbered as `number(call)` says (default: its own number). */
function lines(from: number, to: number, number: (n: number) => string = (n) => `${n}`): string {
  let text = '';
  for (let n = from; n <= to; n++) text += `${number(n)} ${body(n)}\n`;
  return text;
}
/** The calls whose rows are stored, in order (request ids). */
const calls = (db: Database.Database): number[] => (db.prepare('SELECT request_id FROM audit_log ORDER BY seq').pluck().all() as string[]).map((id) => Number(JSON.parse(id)));


interface Batch {
  text: string;
  /** The batch's last journal number as the proxy numbered it (the writer thread's batches). */
  last?: number;
  /** An earlier file of the same import moved the mark. */
  resumed?: boolean;
  /** Written by a fresh writer (a resend to a restarted writer thread). */
  fresh?: boolean;
}
interface Written {
  results: BatchResult[];
  calls: number[];
  verified: boolean;
  dump: string;
}
type BatchWriter = { writeBatch(journalId: string, text: string, bounds?: { last?: number; resumed?: boolean }): BatchResult; close?(): void };

/** The batches written in turn by ChainWriter and by the native writer (when built), each into a database of its own. */
function writeBoth(batches: Batch[]): { js: Written; native?: Written } {
  const dir = tmp();
  const run = (file: string, make: (db: Database.Database) => BatchWriter): Written => {
    const db = openWriterDb(join(dir, file));
    try {
      let writer = make(db);
      const results: BatchResult[] = [];
      for (const b of batches) {
        if (b.fresh) {
          writer.close?.();
          writer = make(db);
        }
        const bounds: { last?: number; resumed?: boolean } = {};
        if (b.last !== undefined) bounds.last = b.last;
        if (b.resumed !== undefined) bounds.resumed = b.resumed;
        results.push(writer.writeBatch('j', b.text, bounds));
      }
      writer.close?.();
      return { results, calls: calls(db), verified: verifyChain(db, chainKeying(undefined)).ok, dump: dumpAuditDb(db) };
    } finally {
      db.close();
    }
  };
  const out: { js: Written; native?: Written } = { js: run('js.db', (db) => new ChainWriter(db, chainKeying(undefined), reader())) };
  if (!('why' in built)) {
    out.native = run('native.db', (db) => {
      const opened = openNativeWriter(db, new ChainWriter(db, chainKeying(undefined), reader()), { redactFields: FIELDS, maxPayloadBytes: CAP });
      if ('why' in opened) throw new Error(opened.why);
      return opened.writer;
    });
  }
  return out;
}
/** JS's results (the native writer's must be the same, rows and all). */
function both(batches: Batch[]): Written {
  const r = writeBoth(batches);
  expect(r.js.verified).toBe(true);
  if (r.native !== undefined) {
    expect(r.native.results).toEqual(r.js.results);
    expect(r.native.dump).toBe(r.js.dump);
  }
  return r.js;
}
const beyond = (n: number, ceiling: number) => ({ seq: n, why: `its journal number ${n} is beyond ${ceiling}, the last this batch can hold` });
const notAfter = (n: number, mark: number) => ({ seq: n, why: `its journal number ${n} is not after ${mark}, the journal's number before it (a damaged number, or a line out of place)` });

describe('a damaged journal number', () => {
  for (const last of [undefined, 5]) {
    const mode = last === undefined ? 'no ceiling given (an import)' : 'the proxy\'s last number given (the writer thread)';
    it(`${mode}: line 3 numbered 99999999 is skipped and named, the mark not moved by it, lines 4 and 5 written`, () => {
      const r = both([{ text: lines(1, 5, (n) => (n === 3 ? '99999999' : `${n}`)), last }]);
      expect(r.results).toEqual([expect.objectContaining({ committed: 5, inserted: 4, unreadable: 1, skipped: [beyond(99999999, 5)] })]);
      expect(r.calls).toEqual([1, 2, 4, 5]);
    });

    it(`${mode}: 5 becomes 8 in a batch 5..9: the lines it displaced (6, 7 and the real 8) are named, not skipped silently`, () => {
      const r = both([{ text: lines(1, 4), last: last === undefined ? undefined : 4 }, { text: lines(5, 9, (n) => (n === 5 ? '8' : `${n}`)), last: last === undefined ? undefined : 9 }]);
      expect(r.results[1]).toEqual(expect.objectContaining({ committed: 9, inserted: 2, unreadable: 3, skipped: [notAfter(6, 8), notAfter(7, 8), notAfter(8, 8)] }));
      // Call 5's row is stored (its number was damaged, not its body); nothing is lost without a word.
      expect(r.calls).toEqual([1, 2, 3, 4, 5, 9]);
    });

    it(`${mode}: a number damaged downwards after a line was written is named`, () => {
      const r = both([{ text: lines(1, 5, (n) => (n === 4 ? '1' : `${n}`)), last }]);
      expect(r.results).toEqual([expect.objectContaining({ committed: 5, inserted: 4, unreadable: 1, skipped: [notAfter(1, 3)] })]);
      expect(r.calls).toEqual([1, 2, 3, 5]);
    });

    it(`${mode}: a line without a number, a number with a letter: named, the others written`, () => {
      const r = both([{ text: lines(1, 5, (n) => (n === 2 ? 'x' : n === 4 ? '4a' : `${n}`)), last }]);
      expect(r.results).toEqual([expect.objectContaining({ committed: 5, inserted: 3, unreadable: 2 })]);
      expect(r.calls).toEqual([1, 3, 5]);
    });

    it(`${mode}: a resend of committed lines to a fresh writer is skipped silently, the new ones after them written`, () => {
      const r = both([
        { text: lines(1, 5), last },
        { text: lines(1, 5), last, fresh: true },
        { text: lines(3, 8), last: last === undefined ? undefined : 8, fresh: true },
      ]);
      expect(r.results.map((x) => [x.committed, x.inserted, x.unreadable, x.skipped])).toEqual([
        [5, 5, 0, []],
        [5, 0, 0, []],
        [8, 3, 0, []],
      ]);
      expect(r.calls).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it(`${mode}: a damaged number inside a committed prefix is named and takes no number: the lines after the prefix are written`, () => {
      const r = both([
        { text: lines(1, 3), last: last === undefined ? undefined : 3 },
        { text: lines(1, 5, (n) => (n === 2 ? '99999999' : `${n}`)), last, fresh: true },
      ]);
      expect(r.results[1]).toEqual(expect.objectContaining({ committed: 5, inserted: 2, unreadable: 1, skipped: [beyond(99999999, last ?? 8)] }));
      expect(r.calls).toEqual([1, 2, 3, 4, 5]);
    });
  }

  it('a line that took a newer number than it had (a torn line joined to the next) costs no other line when the proxy gives the last number', () => {
    // Line 2 cut short and joined to line 3: one line numbered 2 holding two bodies.
    const torn = `1 ${body(1)}\n2 ${body(2).slice(0, 40)}3 ${body(3)}\n`;
    const r = both([{ text: torn, last: 3 }, { text: lines(4, 4), last: 4 }, { text: lines(5, 5), last: 5 }]);
    expect(r.results.map((x) => [x.committed, x.inserted, x.unreadable])).toEqual([
      [3, 1, 1],
      [4, 1, 0],
      [5, 1, 0],
    ]);
    expect(r.calls).toEqual([1, 4, 5]);
  });

  it('without the last number (an import), a torn line joined to the next costs at most the batch\'s last line, named; the next batch is exact', () => {
    const torn = `1 ${body(1)}\n2 ${body(2).slice(0, 40)}3 ${body(3)}\n${lines(4, 5)}`;
    const r = both([{ text: torn }, { text: lines(6, 8), resumed: true }]);
    expect(r.results.map((x) => [x.committed, x.inserted, x.unreadable, x.skipped.map((s) => s.seq)])).toEqual([
      [5, 2, 2, [2, 5]],
      [8, 3, 0, []],
    ]);
    expect(r.calls).toEqual([1, 4, 6, 7, 8]);
  });

  it('damaged lines last in a batch: the mark reaches the proxy\'s last number, and the next batch is written whole', () => {
    const r = both([{ text: lines(1, 4, (n) => (n === 3 ? 'x' : n === 4 ? '77777777' : `${n}`)), last: 4 }, { text: lines(5, 6), last: 6 }]);
    expect(r.results.map((x) => [x.committed, x.inserted, x.unreadable])).toEqual([
      [4, 2, 2],
      [6, 2, 0],
    ]);
    expect(r.calls).toEqual([1, 2, 5, 6]);
  });

  it('single-line batches after a damaged number: no cascade', () => {
    const batches: Batch[] = [];
    for (let n = 1; n <= 8; n++) batches.push({ text: lines(n, n, (k) => (k === 3 ? '99999999' : k === 5 ? 'x' : `${k}`)), last: n });
    const r = both(batches);
    expect(r.results.map((x) => x.committed)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.calls).toEqual([1, 2, 4, 6, 7, 8]);
  });

  it('an import whose first file took a number beyond its end: the next file\'s lines at or below it are named, not skipped silently', () => {
    // Lines 1..5 committed; the journal's first file (1..10) has line 1 damaged to 14 (a committed
    // line: its body is good), the second holds 11..20.
    const r = both([
      { text: lines(1, 5) },
      { text: lines(1, 10, (n) => (n === 1 ? '14' : `${n}`)), fresh: true },
      { text: lines(11, 20), resumed: true },
    ]);
    const named = r.results.flatMap((x) => x.skipped.map((s) => s.seq));
    expect(named).toEqual(expect.arrayContaining([6, 7, 8, 9, 10, 11, 12, 13, 14]));
    expect(r.results[2]).toEqual(expect.objectContaining({ committed: 20, inserted: 6, unreadable: 4 }));
    expect(r.calls).toEqual([1, 2, 3, 4, 5, 1, 15, 16, 17, 18, 19, 20]);
  });
});

describe('the writer thread and the import', () => {
  for (const native of [true, false]) {
    it(`the writer thread (${native ? 'native' : 'JS'} writer): a line numbered beyond its batch is named, the lines after it written; a damaged last line still commits the batch`, async () => {
      if (native && 'why' in built) return;
      const dir = tmp();
      const dbPath = join(dir, 'a.db');
      openWriterDb(dbPath).close();
      const batches = [
        { text: lines(1, 5, (n) => (n === 3 ? '99999999' : `${n}`)), lastSeq: 5 },
        // Its last line lost its number.
        { text: lines(6, 7, (n) => (n === 7 ? 'x' : `${n}`)), lastSeq: 7 },
        { text: lines(8, 8), lastSeq: 8 },
      ];
      const seen = await runWriterThread({ dbPath, native, redactFields: FIELDS, maxPayloadBytes: CAP, batches, until: 8 });
      expect(seen.filter((m) => m.type === 'error')).toEqual([]);
      expect(seen.find((m) => m.type === 'writer')).toMatchObject({ native });
      expect(seen.filter((m) => m.type === 'committed').map((m) => (m as { committed: number }).committed)).toEqual([5, 7, 8]);
      expect(seen.filter((m) => m.type === 'skipped')).toEqual([
        { type: 'skipped', journalId: 'j', files: [], lines: 1, skipped: [beyond(99999999, 5)] },
        { type: 'skipped', journalId: 'j', files: [], lines: 1, skipped: [{ seq: null, why: expect.stringMatching(/journal sequence number/) }] },
      ]);
      const db = new Database(dbPath, { readonly: true });
      try {
        expect(calls(db)).toEqual([1, 2, 4, 5, 6, 8]);
        expect(verifyChain(db, chainKeying(undefined)).ok).toBe(true);
      } finally {
        db.close();
      }
    });
  }

  it('the import of a partly committed journal: a damaged number is named with its file, the lines after it imported', async () => {
    const dir = tmp();
    const path = join(dir, 'audit.db');
    const id = '999999-0f0f0f0f';
    // Lines 1..3 of the crashed process's journal were committed before it died.
    const db = openWriterDb(path);
    new ChainWriter(db, chainKeying(undefined), reader()).writeBatch(id, lines(1, 3));
    db.close();
    mkdirSync(journalDir(path), { mode: 0o700 });
    const first = join(journalDir(path), `${id}-1`);
    const second = join(journalDir(path), `${id}-2`);
    writeFileSync(first, lines(1, 6, (n) => (n === 5 ? '99999999' : `${n}`)));
    // The second file's line 7 numbered 1: not a committed line any more (the first file moved the mark).
    writeFileSync(second, lines(7, 9, (n) => (n === 7 ? '1' : `${n}`)));
    const logged: Array<{ level: number; file?: string; lines?: number; skipped?: unknown }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) logged.push(JSON.parse(l) as (typeof logged)[number]);
        done();
      },
    });
    const store = openAuditStore(auditConfig(path), pino({ level: 'info' }, sink));
    await store.close();
    const check = new Database(path, { readonly: true });
    try {
      expect(calls(check)).toEqual([1, 2, 3, 4, 6, 8, 9]);
      expect(verifyChain(check, chainKeying(undefined)).ok).toBe(true);
    } finally {
      check.close();
    }
    const errors = logged.filter((l) => l.level === 50);
    expect(errors).toEqual([
      expect.objectContaining({ file: first, lines: 1, skipped: [beyond(99999999, 9)] }),
      expect.objectContaining({ file: second, lines: 1, skipped: [notAfter(1, 6)] }),
    ]);
  });
});
