/**
 * A batch of journal lines handed to the writer thread by where they are in a mapped segment's file
 * instead of by their text (Spool.take()): the proxy's thread neither copies nor decodes them, and
 * the writer reads them with one pread into a buffer it keeps. The lines are read from the same
 * pages of the page cache the mapping wrote, and the file is removed only once they are committed.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Journal lines as bytes [from, to) of a segment file (whole lines, UTF-8): a batch the writer
 * thread reads itself (readJournalRange). The file is removed only once its lines are committed.
 */
export interface JournalRange {
  file: string;
  from: number;
  to: number;
}

/**
 * Reads the lines of a JournalRange on the thread that writes them into the database, into
 * `into.buffer` (grown as needed and kept: no allocation per batch), through one open file kept
 * in `into` until a range names another file (close with closeRangeReader()).
 */
export interface RangeReader {
  buffer: Buffer;
  file: string | undefined;
  fd: number;
}

export function readJournalRange(range: JournalRange, into: RangeReader): string {
  const length = range.to - range.from;
  if (into.file !== range.file) {
    closeRangeReader(into);
    into.fd = openSync(range.file, 'r');
    into.file = range.file;
  }
  if (into.buffer.length < length) into.buffer = Buffer.allocUnsafe(Math.max(length, into.buffer.length * 2));
  for (let got = 0; got < length; ) {
    const n = readSync(into.fd, into.buffer, got, length - got, range.from + got);
    if (n === 0) throw new Error(`audit journal: ${range.file} ends at ${range.from + got}, before byte ${range.to} of its lines`);
    got += n;
  }
  return into.buffer.toString('utf8', 0, length);
}

export function closeRangeReader(into: RangeReader): void {
  if (into.file === undefined) return;
  into.file = undefined;
  closeSync(into.fd);
}
