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

/** The lines of `range`, read into `into.buffer`; throws JournalLinesUnreadable when they cannot be. */
export function readJournalRange(range: JournalRange, into: RangeReader): string {
  const length = range.to - range.from;
  if (into.buffer.length < length) into.buffer = Buffer.allocUnsafe(Math.max(length, into.buffer.length * 2));
  for (let got = 0; got < length; ) {
    let n: number;
    try {
      n = readSync(range.fd, into.buffer, got, length - got, range.from + got);
    } catch (err) {
      throw new JournalLinesUnreadable(range.file, (err as Error).message);
    }
    if (n === 0) throw new JournalLinesUnreadable(range.file, `it ends at byte ${range.from + got}, before byte ${range.to} of its lines: it was cut short`);
    got += n;
  }
  return into.buffer.toString('utf8', 0, length);
}

/**
 * What the writer thread is handed at once: lines as text, where they are in a segment file, or
 * several such parts in order (a rotated segment's last lines, then the next segment's).
 */
export type JournalBatch = string | JournalRange | Array<string | JournalRange>;

/** The text of a batch's lines (ranges read through `into`); throws JournalLinesUnreadable as readJournalRange. */
export function journalBatchText(batch: JournalBatch, into: RangeReader): string {
  if (typeof batch === 'string') return batch;
  if (!Array.isArray(batch)) return readJournalRange(batch, into);
  let text = '';
  for (const part of batch) text += typeof part === 'string' ? part : readJournalRange(part, into);
  return text;
}
