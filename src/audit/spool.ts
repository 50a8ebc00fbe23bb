/**
 * The audit journal: append-only files in a directory beside the database (`<db>.journal/`), one
 * per writing process (rotated into numbered segments), one line per record appended with a single
 * write() before record() returns. The kernel keeps that write even if the process is killed with
 * SIGKILL, so an answered call is never lost; the writer thread moves lines into SQLite and
 * committed segments are deleted. A journal left by a process that is gone is imported by the next
 * process that opens the database. The segments live in their own directory so that a watch on the
 * database's directory (say the policy's, when both share one) is not woken by every call's write.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlink, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Segments are rotated once they pass this size, then deleted when all their lines are committed. */
const SEGMENT_BYTES = 4 * 1024 * 1024;

export interface JournalFiles {
  /** "<pid>-<random>": unique per writing process. */
  id: string;
  pid: number;
  /** Segment files, oldest first. */
  files: string[];
}

/** The directory of a database's journals: segment `<pid>-<random>-<n>` of each writing process. */
export function journalDir(dbPath: string): string {
  return `${dbPath}.journal`;
}

type Segments = Map<string, { pid: number; segments: Array<[number, string]> }>;

/** Adds the segments among `dir`'s entries named `<prefix><pid>-<random>-<n>` to `byId`. */
function collectSegments(dir: string, prefix: string, byId: Segments): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-([0-9a-f]+)-(\d+)$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const id = `${m[1]}-${m[2]}`;
    const entry = byId.get(id) ?? { pid: Number(m[1]), segments: [] };
    entry.segments.push([Number(m[3]), join(dir, name)]);
    byId.set(id, entry);
  }
}

/**
 * The journals of a database, grouped by writer: those in its journal directory, and those an
 * earlier version left beside it (`<db>.journal-<pid>-<random>-<n>`), which are imported alike.
 */
export function listJournals(dbPath: string): JournalFiles[] {
  const byId: Segments = new Map();
  collectSegments(dirname(dbPath), `${basename(dbPath)}.journal-`, byId);
  collectSegments(journalDir(dbPath), '', byId);
  return [...byId.entries()].map(([id, e]) => ({ id, pid: e.pid, files: e.segments.sort((a, b) => a[0] - b[0]).map((s) => s[1]) }));
}

export function readSegment(file: string): string {
  return readFileSync(file, 'utf8');
}

export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** True when a process with this pid exists (journals of live writers are theirs to commit). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Segment {
  file: string;
  lastSeq: number;
}

/** This process's journal. */
export class Spool {
  readonly id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private fd = -1;
  private active: Segment;
  private activeBytes = 0;
  private readonly closed: Segment[] = [];
  private nextNumber = 1;
  /** Committed segments being deleted in the background; close() finishes the job synchronously. */
  private readonly removing = new Set<string>();
  /** The active segment may end in a partial line (a failed write could not be cut off). */
  private torn = false;

  private readonly dir: string;

  constructor(dbPath: string) {
    this.dir = journalDir(dbPath);
    // Owner-only, as the database: the journal holds what the rows will.
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.active = this.openSegment();
  }

  private openSegment(): Segment {
    const file = join(this.dir, `${this.id}-${this.nextNumber++}`);
    this.fd = openSync(file, 'a', 0o600);
    this.activeBytes = 0;
    return { file, lastSeq: 0 };
  }

  /**
   * Appends lines (each ending in "\n"; `seq`: the last one's number) with one write(); throws on
   * I/O errors (disk full) and on a short write, after cutting off what part of them was written.
   */
  append(lines: string, seq: number): void {
    if (this.torn) this.rotate();
    let written: number;
    try {
      written = writeSync(this.fd, lines);
    } catch (err) {
      this.cutTail();
      throw err;
    }
    if (written !== lines.length && written !== Buffer.byteLength(lines)) {
      this.cutTail();
      throw new Error(`audit journal: short write (${written} bytes) to ${this.active.file}`);
    }
    this.activeBytes += written;
    this.active.lastSeq = seq;
  }

  /** Removes a partly written line; if that fails too, the next append starts a new segment. */
  private cutTail(): void {
    try {
      ftruncateSync(this.fd, this.activeBytes);
    } catch {
      this.torn = true;
    }
  }

  private rotate(): void {
    const previous = this.active;
    const previousFd = this.fd;
    this.active = this.openSegment(); // on a failure (throws) the current segment stays in use
    closeSync(previousFd);
    this.closed.push(previous);
    this.torn = false;
  }

  /** Called after lines up to `seq` are committed: rotates a large segment and deletes committed ones. */
  committed(seq: number): void {
    if (this.activeBytes >= SEGMENT_BYTES) this.rotate();
    while (this.closed.length > 0 && this.closed[0]!.lastSeq <= seq) this.removeInBackground(this.closed.shift()!.file);
  }

  /** Deletes a committed segment off this thread (unlinking megabytes takes milliseconds). */
  private removeInBackground(file: string): void {
    this.removing.add(file);
    unlink(file, (err) => {
      // On a failure the file stays listed, and close() tries again (and reports the error).
      if (!err || err.code === 'ENOENT') this.removing.delete(file);
    });
  }

  /** Closes the journal; with `allCommitted`, deletes its files. */
  close(allCommitted: boolean): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (allCommitted) {
      for (const s of this.closed) removeFile(s.file);
      // An exit right after close() must not leave a segment whose journal mark is forgotten.
      for (const file of this.removing) removeFile(file);
      removeFile(this.active.file);
      this.closed.length = 0;
    }
  }
}
