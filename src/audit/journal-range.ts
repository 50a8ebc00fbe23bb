/**
 * A batch of journal lines handed to the writer thread by where they are in a mapped segment's file
 * instead of by their text (Spool.take()): the proxy's thread neither copies nor decodes them, and
 * the writer reads them with one pread into a buffer it keeps. The lines are read from the same
 * pages of the page cache the mapping wrote, through a descriptor the journal opened on the
 * segment (SegmentReaders) and keeps open until those lines are committed: a segment deleted by
 * name meanwhile (by hand, by a tmp cleaner) stays readable. Lines that cannot be read back all the
 * same (the file was cut short, an I/O error) are JournalLinesUnreadable: the writer stops there
 * and the audit fails closed (recorder.ts); a retry could never bring them back.
 */
import { readSync } from 'node:fs';

/**
 * Journal lines as bytes [from, to) of a segment file (whole lines, UTF-8), read through `fd` (open
 * on `file` in this process, until the lines are committed): a batch the writer thread reads itself.
 */
export interface JournalRange {
  file: string;
  fd: number;
  from: number;
  to: number;
}

/** The writer thread's read buffer (grown as needed and kept: no allocation per batch). */
export interface RangeReader {
  buffer: Buffer;
}

/** Lines of a JournalRange that cannot be read back from their file: they are lost to the audit. */
export class JournalLinesUnreadable extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`audit journal: the lines of ${file} not yet committed cannot be read back (${reason})`);
    this.name = 'JournalLinesUnreadable';
  }
}

/**
 * The most bytes of a batch decoded into one string. A longer string is a large object to V8 (above
 * 128 KiB), allocated on pages of its own that are new to the process at every batch, and the first
 * touch of each such page is a page fault (7-25 µs on the virtual machines measured): at c=16 that
 * was a third of the writer thread's faults, about a tenth of a fault per row. Pieces of at most
 * this size, cut after a newline, are allocated in the young generation, whose pages are reused.
 */
export const PIECE_BYTES = 64 * 1024;

/**
 * The lines of `range`, read into `into.buffer` and appended to `pieces` as strings of whole lines
 * (at most PIECE_BYTES each, or one line when a line is longer); throws JournalLinesUnreadable when
 * they cannot be read.
 */
export function readJournalRange(range: JournalRange, into: RangeReader, pieces: string[]): void {
  const length = range.to - range.from;
  if (into.buffer.length < length) into.buffer = Buffer.allocUnsafe(Math.max(length, into.buffer.length * 2));
  const buffer = into.buffer;
  for (let got = 0; got < length; ) {
    let n: number;
    try {
      n = readSync(range.fd, buffer, got, length - got, range.from + got);
    } catch (err) {
      throw new JournalLinesUnreadable(range.file, (err as Error).message);
    }
    if (n === 0) throw new JournalLinesUnreadable(range.file, `it ends at byte ${range.from + got}, before byte ${range.to} of its lines: it was cut short`);
    got += n;
  }
  // A newline byte is never part of a longer UTF-8 sequence: a cut after one splits no character.
  for (let at = 0; at < length; ) {
    let end = length;
    if (length - at > PIECE_BYTES) {
      const cut = buffer.lastIndexOf(0x0a, at + PIECE_BYTES - 1);
      if (cut >= at) end = cut + 1;
      else {
        const next = buffer.indexOf(0x0a, at + PIECE_BYTES);
        if (next >= 0 && next < length) end = next + 1;
      }
    }
    pieces.push(buffer.toString('utf8', at, end));
    at = end;
  }
}

/**
 * What the writer thread is handed at once: lines as text, where they are in a segment file, or
 * several such parts in order (a rotated segment's last lines, then the next segment's).
 */
export type JournalBatch = string | JournalRange | Array<string | JournalRange>;

/**
 * A batch's lines as strings of whole lines in order (ranges read through `into`, in pieces:
 * readJournalRange); throws JournalLinesUnreadable as readJournalRange.
 */
export function journalBatchPieces(batch: JournalBatch, into: RangeReader): string[] {
  const pieces: string[] = [];
  if (typeof batch === 'string') pieces.push(batch);
  else if (!Array.isArray(batch)) readJournalRange(batch, into, pieces);
  else {
    for (const part of batch) {
      if (typeof part === 'string') pieces.push(part);
      else readJournalRange(part, into, pieces);
    }
  }
  return pieces;
}
