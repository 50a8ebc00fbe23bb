/**
 * Batches handed to the writer thread by where their lines are in a mapped segment's file
 * (Spool.take() gives a JournalRange; the writer reads it: src/audit/journal-range.ts), so that the
 * proxy's thread neither copies nor decodes them, across rotations too: a batch that spans one is
 * the rotated file's range and the next file's, never their text. Real files, the real addon, the real recorder and
 * writer thread: every line is handed out once and in order across rotations in place, a range
 * reads back exactly the lines appended, and ranges posted to a writer thread that dies before
 * committing them are read again by its successor (every row once, the chain verifies).
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalBatchPieces, PIECE_BYTES, readJournalRange, type JournalBatch, type JournalRange, type RangeReader } from '../src/audit/journal-range.js';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { AuditRecorder } from '../src/audit/recorder.js';
import { configureWriter, migrate } from '../src/audit/schema.js';
import { listJournals, Spool } from '../src/audit/spool.js';
import { sampleRecord, tempDir } from './helpers/audit.js';
import { expectStoredInOrder } from './helpers/audit-journal.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';

const addon = journalAddon().addon;

/** A batch's lines as one text (the pieces the writer gets, joined). */
function batchText(batch: JournalBatch, reader: RangeReader): string {
  return journalBatchPieces(batch, reader).join('');
}

function newDatabase(path: string): void {
  const init = new Database(path);
  configureWriter(init);
  migrate(init);
  init.close();
}

describe.runIf(runsUnless('audit-journal-range', noMappedJournal(addon, true)))('journal ranges: the writer reads its batches from the segment files', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('take() of a mapped journal gives where the lines are (not their bytes), and the ranges read back every line once, in order', () => {
    const spool = new Spool(`${tmp.dir}/audit.db`, { segmentBytes: 8192 });
    const reader: RangeReader = { buffer: Buffer.alloc(0) };
    expect(spool.mode).toBe('mapped');
    expect(spool.take()).toBe('');
    const want: string[] = [];
    let got = '';
    let ranges = 0;
    let previous: JournalRange | undefined;
    for (let seq = 1; seq <= 300; seq++) {
      const line = `${seq} ${'é'.repeat(seq % 7)}${'x'.repeat(30 + (seq % 60))}\n`;
      want.push(line);
      spool.append(line, seq);
      if (seq % 23 === 0) {
        const batch = spool.take();
        // Never text while the files can be read: a batch that spans a rotation is its parts' ranges.
        expect(typeof batch).not.toBe('string');
        const parts = Array.isArray(batch) ? batch : [batch];
        for (const t of parts) {
          if (typeof t === 'string') throw new Error(`a batch part as text: ${t.slice(0, 40)}`);
          ranges++;
          expect(t.to).toBeGreaterThan(t.from);
          // Ranges of one file adjoin: nothing skipped, nothing handed out twice.
          if (previous !== undefined && previous.file === t.file) expect(t.from).toBe(previous.to);
          previous = t;
          const pieces: string[] = [];
          readJournalRange(t, reader, pieces);
          got += pieces.join('');
        }
        expect(spool.take()).toBe('');
        spool.committed(seq); // rotates in place once three quarters full, deletes committed files
      }
    }
    got += batchText(spool.take(), reader);
    expect(got).toBe(want.join(''));
    expect(ranges).toBeGreaterThan(6);
    spool.close(true);
  });

  it('a batch that spans rotations (the segment filled up between two takes) is the rotated files\' ranges and the next one\'s, in order: nothing decoded on this thread', () => {
    const spool = new Spool(`${tmp.dir}/audit.db`, { segmentBytes: 8192 });
    const reader: RangeReader = { buffer: Buffer.alloc(0) };
    const want: string[] = [];
    // ~20 KB with no take() between: the segment fills and is rotated by the appends, twice.
    for (let seq = 1; seq <= 200; seq++) {
      const line = `${seq} ${'é'.repeat(seq % 5)}${'y'.repeat(90 + (seq % 11))}\n`;
      want.push(line);
      spool.append(line, seq);
    }
    const batch = spool.take();
    expect(Array.isArray(batch)).toBe(true);
    const parts = batch as Array<string | JournalRange>;
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(parts.every((p) => typeof p !== 'string')).toBe(true);
    // One part per file, each file's lines from where the last take left off.
    expect(new Set(parts.map((p) => (p as JournalRange).file)).size).toBe(parts.length);
    expect(batchText(batch, reader)).toBe(want.join(''));
    expect(spool.take()).toBe('');
    spool.close(true);
  });

  it('a range longer than PIECE_BYTES is decoded in pieces of whole lines, none over PIECE_BYTES bytes but a line longer than that, the characters around every cut intact', () => {
    const spool = new Spool(`${tmp.dir}/audit.db`, { segmentBytes: 1 << 20 });
    const reader: RangeReader = { buffer: Buffer.alloc(0) };
    const want: string[] = [];
    for (let seq = 1; seq <= 2000; seq++) {
      // Two-byte characters at every offset, and one line longer than a piece.
      const line = seq === 700 ? `${seq} ${'é'.repeat(PIECE_BYTES)}\n` : `${seq} ${'é'.repeat(seq % 13)}${'z'.repeat(40 + (seq % 97))}\n`;
      want.push(line);
      spool.append(line, seq);
    }
    const batch = spool.take();
    const pieces = journalBatchPieces(batch, reader);
    expect(pieces.join('')).toBe(want.join(''));
    expect(pieces.length).toBeGreaterThan(3);
    const lines = new Set(want);
    let long = 0;
    for (const piece of pieces) {
      expect(piece.endsWith('\n')).toBe(true);
      for (const line of piece.slice(0, -1).split('\n')) expect(lines.has(`${line}\n`)).toBe(true);
      const bytes = Buffer.byteLength(piece);
      if (bytes > PIECE_BYTES) {
        long++;
        expect(piece).toBe(want[699]);
      }
    }
    expect(long).toBe(1);
    spool.close(true);
  });

  it('a writer thread that dies with ranges posted and not committed: its successor reads them again from the files; every row once, in order, and the chain verifies', async () => {
    const path = `${tmp.dir}/audit.db`;
    newDatabase(path);
    // Two pages per segment: rotations in place while ranges of the previous file are in flight.
    const spool = new Spool(path, { segmentBytes: 8192 });
    expect(spool.mode).toBe('mapped');
    const recorder = new AuditRecorder({
      dbPath: path,
      spool,
      redactFields: ['password'],
      maxPayloadBytes: 1024,
      flushIntervalMs: 60_000,
      maxQueue: 10_000,
      backpressure: 'block',
      retentionIntervalMs: 60_000,
      writerNice: 0,
    });
    const internals = recorder as unknown as { post(): void; writer: { worker: { terminate(): Promise<number> }; inflight: unknown[] } };
    const ids: string[] = [];
    let n = 0;
    const some = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const id = `r${n++}`;
        ids.push(id);
        await recorder.record(sampleRecord({ requestId: id, arguments: { filter: id } }));
      }
    };
    try {
      await some(30);
      await recorder.flush();
      // Batches posted, then the thread is gone before it could commit them all.
      for (let b = 0; b < 4; b++) {
        await some(17);
        internals.post();
      }
      expect(internals.writer.inflight.length).toBeGreaterThan(0);
      await internals.writer.worker.terminate();
      await some(25);
      await recorder.flush();
      expect(recorder.queued).toBe(0);
    } finally {
      await recorder.close();
    }
    expectStoredInOrder(path, ids);
    // All committed at close: no segment is left behind.
    expect(listJournals(path).flatMap((j) => j.files)).toEqual([]);
  });
});
