/**
 * The journal's write per turn (the journal written by write(), the fallback where segments cannot
 * be mapped): the first record of a turn of the event loop is in the journal when
 * record() returns; the records after it in the same turn are written together when the turn's
 * synchronous work ends, and their promises settle only after that write (a caller answers only
 * then). A failed write refuses exactly the records it carried (their promises reject, or record()
 * throws for the first of a turn), and the recorder goes on without holes in its numbering.
 * A mapped journal holds a line once it is copied in: every record of a turn is in it when record()
 * returns (undefined: answer now), and a failed append refuses that record alone.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditReader, Redactor } from '../src/audit/index.js';
import { journalBody, rowFromBody } from '../src/audit/journal-line.js';
import { AuditRecorder } from '../src/audit/recorder.js';
import { canonicalLine } from '../src/audit/row.js';
import { configureWriter, migrate, ROW_COLUMNS, SCALAR_COLUMNS } from '../src/audit/schema.js';
import { listJournals, readSegment, Spool } from '../src/audit/spool.js';
import { sampleRecord, tempDir } from './helpers/audit.js';

/** A journal whose next write can be made to fail as on a full disk (the real file otherwise). */
class DiskFullOnce extends Spool {
  failNext = false;
  override append(lines: string, seq: number): void {
    if (this.failNext) {
      this.failNext = false;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    super.append(lines, seq);
  }
}

function journalText(dbPath: string): string {
  return listJournals(dbPath)
    .flatMap((j) => j.files.map((f) => readSegment(f)))
    .join('');
}

describe('audit journal writes per turn', () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    tmp = tempDir();
    path = `${tmp.dir}/audit.db`;
    const init = new Database(path);
    configureWriter(init);
    migrate(init);
    init.close();
  });
  afterEach(() => tmp.cleanup());

  function recorder(spool: Spool): AuditRecorder {
    return new AuditRecorder({
      dbPath: path,
      spool,
      redactFields: ['password'],
      maxPayloadBytes: 1024,
      flushIntervalMs: 60_000,
      maxQueue: 1000,
      backpressure: 'block',
      retentionIntervalMs: 60_000,
      writerNice: 0,
    });
  }

  it('mapped: every record of a turn is in the journal when record() returns', async () => {
    const spool = new DiskFullOnce(path);
    expect(spool.mode).toBe('mapped');
    const rec = recorder(spool);
    try {
      for (const [i, id] of ['a', 'b', 'c'].entries()) {
        expect(rec.record(sampleRecord({ requestId: id }))).toBeUndefined();
        expect(journalText(path).split('\n').filter(Boolean)).toHaveLength(i + 1);
      }
      // A failed append (as on a full disk) refuses that record alone, in the same turn as others.
      spool.failNext = true;
      expect(() => rec.record(sampleRecord({ requestId: 'lost' }))).toThrow(/ENOSPC/);
      expect(rec.record(sampleRecord({ requestId: 'd' }))).toBeUndefined();
      const lines = journalText(path).split('\n').filter(Boolean);
      expect(lines.map((l) => Number(l.slice(0, l.indexOf(' '))))).toEqual([1, 2, 3, 4]);
      await rec.flush();
      expect(rec.queued).toBe(0);
    } finally {
      await rec.close();
    }
    const reader = openAuditReader(path);
    try {
      expect(reader.query({ order: 'asc' }).rows.map((r) => r.requestId)).toEqual(['a', 'b', 'c', 'd']);
      expect(reader.verify().ok).toBe(true);
    } finally {
      reader.close();
    }
  });

  it('writes the first record of a turn at once and the others of the turn together before their promises settle', async () => {
    const rec = recorder(new Spool(path, { mapped: false }));
    try {
      const first = rec.record(sampleRecord({ requestId: 'a' }));
      expect(first).toBeUndefined();
      expect(journalText(path).split('\n').filter(Boolean)).toHaveLength(1);
      const later = ['b', 'c', 'd'].map((id) => rec.record(sampleRecord({ requestId: id })));
      for (const p of later) expect(p).toBeInstanceOf(Promise);
      // Not yet in the journal: their answers must wait.
      expect(journalText(path)).not.toContain('"\\"b\\""');
      await Promise.all(later);
      expect(journalText(path)).toContain('"\\"b\\""');
      const lines = journalText(path).split('\n').filter(Boolean);
      expect(lines.map((l) => Number(l.slice(0, l.indexOf(' '))))).toEqual([1, 2, 3, 4]);
      // The next turn starts over: its first record is written at once.
      expect(rec.record(sampleRecord({ requestId: 'e' }))).toBeUndefined();
      expect(journalText(path).split('\n').filter(Boolean)).toHaveLength(5);
      await rec.flush();
    } finally {
      await rec.close();
    }
    const reader = openAuditReader(path);
    try {
      expect(reader.query({ order: 'asc' }).rows.map((r) => r.requestId)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(reader.verify().ok).toBe(true);
    } finally {
      reader.close();
    }
  });

  it('refuses exactly the records of a failed write, then goes on without holes', async () => {
    const spool = new DiskFullOnce(path, { mapped: false });
    const rec = recorder(spool);
    try {
      expect(rec.record(sampleRecord({ requestId: 'kept-1' }))).toBeUndefined();
      const batched = [rec.record(sampleRecord({ requestId: 'lost-1' })), rec.record(sampleRecord({ requestId: 'lost-2' }))];
      // The metrics' rows recorded (admin /metrics: a counter, never lower than before) are the rows
      // in the journal: the two of the turn not yet written are not, and their failed write takes nothing back.
      expect(rec.counters().recorded).toBe(1);
      spool.failNext = true;
      const outcomes = await Promise.allSettled(batched);
      expect(rec.counters().recorded).toBe(1);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      expect((outcomes[0] as PromiseRejectedResult).reason.code).toBe('ENOSPC');
      // The first record of a turn: record() itself throws.
      spool.failNext = true;
      expect(() => rec.record(sampleRecord({ requestId: 'lost-3' }))).toThrow(/ENOSPC/);
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      expect(rec.record(sampleRecord({ requestId: 'kept-2' }))).toBeUndefined();
      await rec.record(sampleRecord({ requestId: 'kept-3' }));
      // flush() settles: the refused records left no gap in the numbers the writer waits for.
      await rec.flush();
      expect(rec.queued).toBe(0);
      expect(rec.counters()).toMatchObject({ recorded: 3, committed: 3 });
    } finally {
      await rec.close();
    }
    const reader = openAuditReader(path);
    try {
      expect(reader.query({ order: 'asc' }).rows.map((r) => r.requestId)).toEqual(['kept-1', 'kept-2', 'kept-3']);
      expect(reader.verify().ok).toBe(true);
    } finally {
      reader.close();
    }
  });

  it('writes each journal line exactly as the canonical line verify recomputes (JSON.stringify of the columns)', async () => {
    const texts = ['a', '', 'quote"s', 'back\\slash', 'tab\there', 'nl\nx', '\ud800lone', 'emoji 😀', 'ü', '\u2028', '\x01', undefined];
    const numbers = [0, -0, 1.5, 2.4999, 1e21, -7, Number.NaN, Number.POSITIVE_INFINITY, undefined];
    const pick = <T>(list: T[], i: number): T => list[(i * 7919 + 13) % list.length]!;
    const redactor = new Redactor(['password']);
    const records = Array.from({ length: 400 }, (_, i) =>
      sampleRecord({
        time: pick([Date.now(), 1.7, Number.NaN], i),
        clientId: pick(texts, i + 1) ?? 'c',
        sessionId: pick(texts, i + 2) ?? 's',
        backend: pick(texts, i + 3),
        requestId: pick([1, 'x"y', '\ud800', undefined, 2.5], i),
        tool: pick(texts, i + 4),
        arguments: pick([undefined, { a: pick(texts, i + 5) }, { password: 'p' }, [1, 2]], i),
        reasons: pick([[], ['r1', 'q"']], i),
        roles: pick([undefined, [], ['admin'], ['a"b', '\ud800', 'ü']], i + 8),
        errorCode: pick(numbers, i + 1),
        errorMessage: pick(texts, i + 6),
        isError: pick([true, false, undefined], i),
        result: pick([undefined, { x: pick(texts, i + 7) }, 'text'], i),
        decisionMicros: pick(numbers, i + 2) ?? 0,
        backendMicros: pick(numbers, i + 3),
        redact: pick([undefined, [{ pattern: 'a+' }]], i),
      }),
    );
    for (const record of records) {
      const [canonical, values] = rowFromBody(1, journalBody(record, redactor, 64))!;
      // The roles (after the scalars) are in the line only when not null.
      const scalars = values.slice(0, SCALAR_COLUMNS.length);
      if (values[SCALAR_COLUMNS.length] !== null) scalars.push(values[SCALAR_COLUMNS.length]!);
      expect(canonical).toBe(`${JSON.stringify(scalars)}\t${values.at(-2) ?? ''}\t${values.at(-1) ?? ''}`);
      expect(canonicalLine(Object.fromEntries(ROW_COLUMNS.map((c, k) => [c, values[k]])))).toBe(canonical);
      expect(values[SCALAR_COLUMNS.length]).toBe(record.roles === undefined || record.roles.length === 0 ? null : JSON.stringify(record.roles));
    }
    const rec = recorder(new Spool(path));
    try {
      for (const record of records.slice(0, 60)) await rec.record(record);
      await rec.flush();
    } finally {
      await rec.close();
    }
    const reader = openAuditReader(path);
    try {
      expect(reader.verify()).toMatchObject({ ok: true, rows: 60 });
    } finally {
      reader.close();
    }
  });
});
