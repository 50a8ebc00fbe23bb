/**
 * A database's journal files on disk: where they are and how they are named (`<db>.journal/`,
 * segment `<pid>-<random>-<n>` and lock file `<pid>-<random>.lock` of each writing process, plus
 * journals an earlier version left beside the database), listing them grouped by writer, reading a
 * segment of either kind (mapped: only the bytes its header counts), and the segment written with
 * one write() per batch (FileSegment) where the journal is not mapped. The journal itself, which
 * appends, rotates and hands lines to the writer thread, is spool.ts.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DATA_AT, MAGIC, mappedLines } from './mapped-journal.js';
import { ownerOnly } from './journal-dir.js';

export interface JournalFiles {
  /** "<pid>-<random>": unique per writing process. */
  id: string;
  pid: number;
  /** Segment files, oldest first. */
  files: string[];
  /** Its lock file (journal-lock.ts), held while its writer runs; absent for journals of earlier versions. */
  lockFile?: string;
}

/** The directory of a database's journals: segment `<pid>-<random>-<n>` of each writing process. */
export function journalDir(dbPath: string): string {
  return `${dbPath}.journal`;
}

type Segments = Map<string, { pid: number; segments: Array<[number, string]>; lockFile?: string }>;

/**
 * Adds the segments among `dir`'s entries named `<prefix><pid>-<random>-<n>` to `byId`, and the
 * lock files `<prefix><pid>-<random>.lock` (a journal may be a lock file alone: its writer had
 * written nothing yet, or an import stopped before removing it).
 */
function collectSegments(dir: string, prefix: string, byId: Segments): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-([0-9a-f]+)(?:-(\d+)|\.lock)$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const id = `${m[1]}-${m[2]}`;
    const entry = byId.get(id) ?? { pid: Number(m[1]), segments: [] };
    if (m[3] === undefined) entry.lockFile = join(dir, name);
    else entry.segments.push([Number(m[3]), join(dir, name)]);
    byId.set(id, entry);
  }
}

/**
 * The journals of a database, grouped by writer: those in its journal directory, and those an
 * earlier version left beside it (`<db>.journal-<pid>-<random>-<n>`), which are imported alike.
 */
export function listJournals(dbPath: string): JournalFiles[] {
  const byId: Segments = new Map();
  // Beside the database only when no other user may write there (journal-dir.ts): they are imported as ours.
  if (ownerOnly(dirname(dbPath))) collectSegments(dirname(dbPath), `${basename(dbPath)}.journal-`, byId);
  collectSegments(journalDir(dbPath), '', byId);
  return [...byId.entries()].map(([id, e]) => {
    const journal: JournalFiles = { id, pid: e.pid, files: e.segments.sort((a, b) => a[0] - b[0]).map((s) => s[1]) };
    if (e.lockFile !== undefined) journal.lockFile = e.lockFile;
    return journal;
  });
}

/** The lines of a segment file, either kind (a mapped segment: only the bytes it counts). */
export function readSegment(file: string): string {
  const data = readFileSync(file);
  if (data.length >= DATA_AT && data.subarray(0, MAGIC.length).equals(MAGIC)) return mappedLines(data);
  // A mapped segment whose process died before its header was written holds nothing.
  if (data.length > 0 && data[0] === 0) return '';
  return data.toString('utf8');
}

export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The active segment of a journal written with write(). */
export class FileSegment {
  lastSeq = 0;
  private readonly fd: number;
  private bytes = 0;
  /** It may end in a partial line (a failed write could not be cut off): it takes no more lines. */
  private torn = false;

  constructor(
    readonly file: string,
    private readonly rotateAt: number,
  ) {
    this.fd = openSync(file, 'a', 0o600);
  }

  get nearlyFull(): boolean {
    return this.bytes >= this.rotateAt;
  }

  /**
   * Appends with one write(); false when the segment takes no more lines. Throws on I/O errors
   * (disk full) and on a short write, after cutting off what part of them was written.
   */
  append(lines: string): boolean {
    if (this.torn) return false;
    let written: number;
    try {
      written = writeSync(this.fd, lines);
    } catch (err) {
      this.cutTail();
      throw err;
    }
    if (written !== lines.length && written !== Buffer.byteLength(lines)) {
      this.cutTail();
      throw new Error(`audit journal: short write (${written} bytes) to ${this.file}`);
    }
    this.bytes += written;
    return true;
  }

  /** Removes a partly written line; if that fails too, the next append starts a new segment. */
  private cutTail(): void {
    try {
      ftruncateSync(this.fd, this.bytes);
    } catch {
      this.torn = true;
    }
  }

  /** Its file was deleted by name while in use (lines appended still go to the unnamed file). */
  get deleted(): boolean {
    return fstatSync(this.fd).nlink === 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}
