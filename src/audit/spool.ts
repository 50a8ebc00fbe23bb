/**
 * The audit journal: append-only files in a directory beside the database (`<db>.journal/`), one
 * per writing process (rotated into numbered segments), each record's line in it before record()
 * returns. On Linux a segment is a preallocated file mapped shared into memory (mapped-journal.ts):
 * a line is copied into the page cache with no system call. Elsewhere, or without the native addon,
 * or with MCP_WARDEN_AUDIT_JOURNAL=write, lines are appended with one write() per batch. Either way
 * the kernel keeps them if the process is killed with SIGKILL, so an answered call is never lost;
 * the writer thread moves lines into SQLite and committed segments are deleted. A journal left by a
 * process that is gone is imported by the next process that opens the database. The segments live
 * in their own directory so that a watch on the database's directory (say the policy's, when both
 * share one) is not woken by every call's write.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statfsSync, unlink, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { DATA_AT, journalAddon, MAGIC, MappedSegment, mappedLines, unsafeForMapping, type JournalAddon } from './mapped-journal.js';
import { putRawJournalLine, rawJournalLineMaxBytes } from './raw-entry.js';
import { holdOwnJournal, leaveOwnJournal, type HeldJournalLock } from './journal-lock.js';
import { ownerOnly } from './journal-dir.js';
import type { JournalRange } from './journal-range.js';

export type { JournalRange } from './journal-range.js';

/**
 * Segments are rotated once they pass this size (mapped ones: three quarters of it), then deleted
 * when all their lines are committed.
 */
const SEGMENT_BYTES = 4 * 1024 * 1024;
/**
 * How far past its lines a mapped segment's pages are faulted in ahead of use, at each commit (off
 * the call path): more than a busy proxy journals between two commits.
 */
const PREFAULT_BYTES = 1024 * 1024;

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
class FileSegment {
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

  close(): void {
    closeSync(this.fd);
  }
}

export interface SpoolOptions {
  /**
   * Map segments into memory when the host allows it (default: unless the environment variable
   * MCP_WARDEN_AUDIT_JOURNAL is `write`); false: one write() per batch.
   */
  mapped?: boolean;
  /** Told once per process, at info level, when the journal is not mapped and why. */
  logger?: Logger;
  /** Size at which segments are rotated (tests make it small). */
  segmentBytes?: number;
}

let toldWhyNotMapped = false;

/** This process's journal. */
export class Spool {
  readonly id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  /** How lines reach the kernel: copied into mapped segments, or one write() per batch. */
  readonly mode: 'mapped' | 'write';
  private active: FileSegment | MappedSegment;
  private readonly closed: Array<{ file: string; lastSeq: number }> = [];
  private nextNumber = 1;
  /** Committed segments being deleted in the background; close() finishes the job synchronously. */
  private readonly removing = new Set<string>();
  private readonly addon: JournalAddon | undefined;
  private readonly segmentBytes: number;
  private isOpen = true;

  private readonly dir: string;
  /** This journal's lock (journal-lock.ts), held until close(); undefined where locks cannot be taken. */
  private readonly lock: HeldJournalLock | undefined;
  /**
   * Lines appended and not yet handed out by take(): with write(), the texts written; mapped, the
   * texts of rotated segments' last lines (the active segment's are read back from its mapping).
   */
  private untaken: string[] = [];

  constructor(dbPath: string, options: SpoolOptions = {}) {
    this.dir = journalDir(dbPath);
    this.segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
    // Owner-only, as the database: the journal holds what the rows will.
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // Held before the first segment exists, so no importer ever sees a segment of ours unlocked.
    this.lock = holdOwnJournal(this.dir, this.id);
    try {
      const first = this.openFirstSegment(options);
      this.addon = first.addon;
      this.mode = first.addon !== undefined ? 'mapped' : 'write';
      this.active = first.segment;
    } catch (err) {
      leaveOwnJournal(this.id);
      this.lock?.release(true);
      throw err;
    }
  }

  /** Maps the first segment, or opens it for write() when it cannot be mapped (and says why, once). */
  private openFirstSegment(options: SpoolOptions): { addon: JournalAddon | undefined; segment: FileSegment | MappedSegment } {
    const fromEnv = process.env.MCP_WARDEN_AUDIT_JOURNAL === 'write';
    const wanted = options.mapped ?? !fromEnv;
    let { addon, reason } = wanted ? journalAddon() : { addon: undefined, reason: fromEnv ? 'MCP_WARDEN_AUDIT_JOURNAL=write' : 'turned off' };
    let first: MappedSegment | undefined;
    if (addon !== undefined) {
      const unsafe = unsafeForMapping(statfsSync(this.dir).type);
      if (unsafe !== undefined) {
        addon = undefined;
        reason = unsafe;
      }
    }
    if (addon !== undefined) {
      try {
        first = new MappedSegment(addon, this.nextFile(), this.segmentBytes);
        first.prefault(PREFAULT_BYTES);
      } catch (err) {
        addon = undefined;
        reason = `mapping a segment failed: ${(err as Error).message}`;
      }
    }
    if (reason !== undefined && options.logger !== undefined && !toldWhyNotMapped) {
      toldWhyNotMapped = true;
      options.logger.info({ reason }, 'audit journal: one write() per batch of records (not mapped into memory)');
    }
    return { addon, segment: first ?? new FileSegment(this.nextFile(), this.segmentBytes) };
  }

  private nextFile(): string {
    return join(this.dir, `${this.id}-${this.nextNumber++}`);
  }

  /** A new segment with room for at least `minLineBytes` of lines (mapped ones are preallocated). */
  private newSegment(minLineBytes: number): FileSegment | MappedSegment {
    const file = this.nextFile();
    if (this.addon === undefined) return new FileSegment(file, this.segmentBytes);
    const segment = new MappedSegment(this.addon, file, this.segmentBytes, minLineBytes);
    segment.prefault(PREFAULT_BYTES);
    return segment;
  }

  /**
   * Appends lines (each ending in "\n"; `seq`: the last one's number), in a new segment if the
   * active one cannot take them. Throws, with none of them in the journal, on I/O errors (disk full).
   */
  append(lines: string, seq: number): void {
    if (!this.active.append(lines)) {
      if (this.appendOversized(lines, Buffer.byteLength(lines), seq)) return;
      this.rotate(Buffer.byteLength(lines));
      if (!this.active.append(lines)) throw new Error(`audit journal: a new segment refused ${lines.length} characters (${this.active.file})`);
    }
    this.active.lastSeq = seq;
    if (this.addon === undefined) this.untaken.push(lines);
  }

  /**
   * Appends raw entry line `seq` (raw-entry.ts, putRawJournalLine: ASCII request and answer lines
   * copied from their bytes, `head` the head's JSON and a tab in UTF-8). Mapped journals only
   * (mode 'mapped'); throws as append() does.
   */
  appendRaw(seq: number, time: number, backendMicros: number, head: Uint8Array, request: Buffer, requestStart: number, requestEnd: number, answer: Buffer, answerStart: number, answerEnd: number): void {
    const need = rawJournalLineMaxBytes(head, requestEnd - requestStart, answerEnd - answerStart);
    let segment = this.active as MappedSegment;
    let at = segment.room(need);
    if (at < 0) {
      if (!segment.canReuse(this.segmentBytes, need) && segment.canReuse(this.segmentBytes, 0)) {
        // Larger than any segment of the usual size: a file of its own (appendOversized).
        const line = Buffer.allocUnsafe(need);
        const end = putRawJournalLine(line, 0, seq, time, backendMicros, head, request, requestStart, requestEnd, answer, answerStart, answerEnd);
        if (this.appendOversized(line.toString('utf8', 0, end), end, seq)) return;
      }
      this.rotate(need);
      segment = this.active as MappedSegment;
      at = segment.room(need);
      if (at < 0) throw new Error(`audit journal: a new segment refused ${need} bytes (${segment.file})`);
    }
    segment.commit(putRawJournalLine(segment.bytes, at, seq, time, backendMicros, head, request, requestStart, requestEnd, answer, answerStart, answerEnd));
    segment.lastSeq = seq;
  }

  /**
   * The lines appended since the last take(), in order (what the writer thread is handed next):
   * where they are in the active mapped segment's file when they are all there (JournalRange: the
   * writer reads them from the file; this thread neither copies nor decodes them), else as text.
   */
  take(): string | JournalRange {
    const mapped = this.active instanceof MappedSegment && this.isOpen;
    if (mapped && this.untaken.length === 0) {
      const active = this.active as MappedSegment;
      const range = active.takeRange();
      return range.from === range.to ? '' : { file: active.file, from: range.from, to: range.to };
    }
    const active = mapped ? (this.active as MappedSegment).take() : '';
    if (this.untaken.length === 0) return active;
    const text = this.untaken.join('') + active;
    this.untaken = [];
    return text;
  }

  /**
   * Lines larger than a mapped segment of the usual size (a raw answer of megabytes), `bytes` long,
   * the last numbered `seq`: written with one write() to a file of their own, between the active
   * segment's file and its next, which the active segment moves to first (MappedSegment.reuse): no
   * buffer is detached (a segment mapped for them and unmapped after would be the process's first
   * detach: see detachOneBuffer). false when that does not apply (not mapped, or the addon cannot
   * remap): the caller rotates. Throws, with none of the lines in the journal, on I/O errors.
   */
  private appendOversized(lines: string, bytes: number, seq: number): boolean {
    const active = this.active;
    if (!(active instanceof MappedSegment) || !active.canReuse(this.segmentBytes, 0) || active.canReuse(this.segmentBytes, bytes)) return false;
    const own = this.nextFile();
    const previous = active.file;
    const previousSeq = active.lastSeq;
    const rest = active.take();
    if (rest.length > 0) this.untaken.push(rest);
    active.reuse(this.nextFile()); // throws (disk full): the active segment stays as it was
    active.prefault(PREFAULT_BYTES);
    this.closed.push({ file: previous, lastSeq: previousSeq });
    const file = new FileSegment(own, Number.MAX_SAFE_INTEGER);
    try {
      file.append(lines); // throws on I/O errors, with what part of them was written cut off
    } catch (err) {
      file.close();
      removeFile(own);
      throw err;
    }
    file.close();
    this.closed.push({ file: own, lastSeq: seq });
    this.untaken.push(lines);
    return true;
  }

  private rotate(minLineBytes = 0): void {
    const previous = this.active;
    if (previous instanceof MappedSegment && previous.canReuse(this.segmentBytes, minLineBytes)) {
      // The next segment in the same memory (no buffer detached: MappedSegment.reuse). Its lines not
      // yet handed out are read first; if the new file cannot be made, they are handed out next all the same.
      const file = previous.file;
      const lastSeq = previous.lastSeq;
      const rest = previous.take();
      if (rest.length > 0) this.untaken.push(rest);
      previous.reuse(this.nextFile()); // throws (disk full): the current segment stays in use
      previous.prefault(PREFAULT_BYTES);
      this.closed.push({ file, lastSeq });
      return;
    }
    this.active = this.newSegment(minLineBytes); // on a failure (throws) the current segment stays in use
    // Its lines not yet handed out are read before it is unmapped.
    if (previous instanceof MappedSegment) this.untaken.push(previous.take());
    previous.close();
    this.closed.push({ file: previous.file, lastSeq: previous.lastSeq });
  }

  /** Called after lines up to `seq` are committed: rotates a large segment and deletes committed ones. */
  committed(seq: number): void {
    if (this.isOpen && this.active.nearlyFull) {
      try {
        this.rotate();
      } catch {
        // Disk full: the active segment goes on; an append it cannot take rotates and reports it.
      }
    }
    if (this.isOpen && this.active instanceof MappedSegment) this.active.prefault(PREFAULT_BYTES);
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

  /** Closes the journal (a mapped segment is unmapped); with `allCommitted`, deletes its files. */
  close(allCommitted: boolean): void {
    if (this.isOpen) this.active.close();
    const wasOpen = this.isOpen;
    this.isOpen = false;
    leaveOwnJournal(this.id);
    if (allCommitted) {
      for (const s of this.closed) removeFile(s.file);
      // An exit right after close() must not leave a segment whose journal mark is forgotten.
      for (const file of this.removing) removeFile(file);
      removeFile(this.active.file);
      this.closed.length = 0;
    }
    // Let go last: from then on the next writer may import what is left (nothing, when all is committed).
    if (wasOpen) this.lock?.release(allCommitted);
  }
}
