/**
 * The audit journal ("spool"): append-only segment files beside the database, one canonical line
 * per record, each appended with a single write() before record() returns. The kernel holds that
 * write even if the process is killed with SIGKILL, so an answered call is never lost; the batch
 * writer moves lines into SQLite and committed segments are deleted. A lock file keeps two
 * processes from writing the same database.
 */
import { closeSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Segments are rotated once they pass this size, then deleted when all their rows are committed. */
const SEGMENT_BYTES = 4 * 1024 * 1024;

interface Segment {
  file: string;
  lastSeq: number;
}

function segmentPrefix(dbPath: string): string {
  return `${basename(dbPath)}.spool-`;
}

/** Existing segment files, oldest first. */
export function listSegments(dbPath: string): string[] {
  const dir = dirname(dbPath);
  const prefix = segmentPrefix(dbPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map((n) => join(dir, n));
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

export class Spool {
  private fd = -1;
  private active: Segment;
  private activeBytes = 0;
  private readonly closed: Segment[] = [];
  private nextNumber: number;

  constructor(private readonly dbPath: string) {
    const existing = listSegments(dbPath);
    const prefix = segmentPrefix(dbPath);
    this.nextNumber = existing.length === 0 ? 1 : Number(basename(existing[existing.length - 1]!).slice(prefix.length)) + 1;
    this.active = this.openSegment();
  }

  private openSegment(): Segment {
    const file = join(dirname(this.dbPath), `${segmentPrefix(this.dbPath)}${String(this.nextNumber++).padStart(6, '0')}`);
    this.fd = openSync(file, 'a', 0o600);
    this.activeBytes = 0;
    return { file, lastSeq: 0 };
  }

  /** Appends one line (ending in "\n") with one write(); throws on I/O errors (disk full). */
  append(line: string, seq: number): void {
    this.activeBytes += writeSync(this.fd, line);
    this.active.lastSeq = seq;
  }

  /** Called after rows up to `seq` are committed: rotates a large segment and deletes committed ones. */
  committed(seq: number): void {
    if (this.activeBytes >= SEGMENT_BYTES) {
      closeSync(this.fd);
      this.closed.push(this.active);
      this.active = this.openSegment();
    }
    while (this.closed.length > 0 && this.closed[0]!.lastSeq <= seq) removeFile(this.closed.shift()!.file);
  }

  /** Closes the active segment; with `allCommitted`, deletes every segment. */
  close(allCommitted: boolean): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (allCommitted) {
      for (const s of this.closed) removeFile(s.file);
      removeFile(this.active.file);
      this.closed.length = 0;
    }
  }
}

/** An exclusive lock on the database for this process (stale locks of dead processes are taken over). */
export function acquireLock(dbPath: string): () => void {
  const file = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => removeFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(readFileSafe(file), 10);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new Error(`audit database ${dbPath} is in use by process ${pid} (lock file ${file})`);
      }
      removeFile(file);
    }
  }
  throw new Error(`cannot lock audit database ${dbPath}`);
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
