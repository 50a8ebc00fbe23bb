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
 * share one) is not woken by every call's write. Naming, listing and reading those files, and the
 * write() segment: journal-files.ts.
 */
import { randomBytes } from 'node:crypto';
import { statfsSync, unlink } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { journalAddon, MappedSegment, unsafeForMapping, type JournalAddon } from './mapped-journal.js';
import { FileSegment, journalDir, removeFile } from './journal-files.js';
import { putRawJournalLine, rawJournalLineMaxBytes } from './raw-entry.js';
import { holdOwnJournal, leaveOwnJournal, type HeldJournalLock } from './journal-lock.js';
import { RAW_VERDICT } from '../types.js';
import type { JournalBatch, JournalRange } from './journal-range.js';
import { SegmentReaders } from './segment-readers.js';
import { makeDirs } from '../shared/make-dirs.js';

export type { JournalRange } from './journal-range.js';
export { journalDir, listJournals, readSegment, removeFile, type JournalFiles } from './journal-files.js';

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
   * Lines appended and not yet handed out by take(): with write(), the texts written; mapped, where
   * rotated segments' last lines are in their files (the text only where a file could not be
   * opened, or of lines written to a file of their own). The active segment's are not in here.
   */
  private untaken: Array<string | JournalRange> = [];
  /** Descriptors on mapped segments whose lines the writer thread reads (kept until committed). */
  private readonly readers = new SegmentReaders();
  private readonly logger: Logger | undefined;

  constructor(dbPath: string, options: SpoolOptions = {}) {
    this.dir = journalDir(dbPath);
    this.segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
    this.logger = options.logger;
    // Owner-only, as the database: the journal holds what the rows will.
    makeDirs(this.dir, 0o700);
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
   * appendRaw of a raw entry whose answer line the addon checks in the same call (Recorder.recordRawAnswer,
   * native/raw_check.c rawAnswer with `names`, RawNameScan.nativeTable): RAW_VERDICT.recorded
   * once the line is in the segment, else the addon's code (nothing appended; notJournaled when
   * it does not fit: appendRaw rotates). Mapped journals with an addon that has rawAnswer only.
   */
  appendRawChecked(names: Uint8Array, seq: number, time: number, backendMicros: number, head: Uint8Array, request: Buffer, requestStart: number, requestEnd: number, answer: Buffer, answerStart: number, answerEnd: number): number {
    const segment = this.active as MappedSegment;
    const end = this.addon!.rawAnswer!(names, answer, answerStart, answerEnd, segment.bytes, segment.room(0), request, requestStart, requestEnd, head, seq, time, backendMicros);
    if (end < 0) return end;
    segment.commit(end);
    segment.lastSeq = seq;
    return RAW_VERDICT.recorded;
  }

  /** The addon, when it checks and journals raw answers in one call (appendRawChecked). */
  get rawAddon(): JournalAddon | undefined {
    return this.mode === 'mapped' && this.addon?.rawAnswer !== undefined ? this.addon : undefined;
  }

  /**
   * The lines appended since the last take(), in order (what the writer thread is handed next):
   * mapped, where they are in the segments' files (JournalRange: the writer reads them from the
   * file; this thread neither copies nor decodes them): one range, or the parts of a batch that
   * spans a rotation. Text only for lines not in a file that could be opened ('' when none).
   */
  take(): JournalBatch {
    let active: string | JournalRange = '';
    if (this.active instanceof MappedSegment && this.isOpen) active = this.activeLines(this.active);
    if (this.untaken.length === 0) return active;
    const parts = this.untaken;
    this.untaken = [];
    if (active !== '') parts.push(active);
    if (parts.every((p) => typeof p === 'string')) return parts.join('');
    return parts.length === 1 ? parts[0]! : parts;
  }

  /**
   * A mapped segment's lines not yet handed out: where they are in its file (opened before its
   * first range goes out, kept until its lines are committed: segment-readers.ts), or their text
   * copied from the mapping when the file was deleted before it could be opened ('' when none).
   */
  private activeLines(segment: MappedSegment): string | JournalRange {
    const fd = this.readers.fdFor(segment.file);
    if (fd < 0) return segment.take();
    const range = segment.takeRange();
    return range.from === range.to ? '' : { file: segment.file, fd, from: range.from, to: range.to };
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
    const rest = this.activeLines(active);
    if (rest !== '') this.untaken.push(rest);
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
      // Where they are in its file (kept, and its descriptor open, until they are committed), not
      // their text: a rotation decodes and posts nothing on this thread.
      const rest = this.activeLines(previous);
      if (rest !== '') this.untaken.push(rest);
      previous.reuse(this.nextFile()); // throws (disk full): the current segment stays in use
      previous.prefault(PREFAULT_BYTES);
      this.closed.push({ file, lastSeq });
      return;
    }
    this.active = this.newSegment(minLineBytes); // on a failure (throws) the current segment stays in use
    // Its lines not yet handed out are read before it is unmapped.
    if (previous instanceof MappedSegment) {
      const rest = this.activeLines(previous);
      if (rest !== '') this.untaken.push(rest);
    }
    previous.close();
    this.closed.push({ file: previous.file, lastSeq: previous.lastSeq });
  }

  /** Called after lines up to `seq` are committed: rotates a large segment and deletes committed ones. */
  committed(seq: number): void {
    const active = this.active;
    if (this.isOpen && (active instanceof FileSegment ? active.deleted : this.readers.deleted(active.file))) this.leaveDeleted();
    else if (this.isOpen && this.active.nearlyFull) {
      try {
        this.rotate();
      } catch {
        // Disk full: the active segment goes on; an append it cannot take rotates and reports it.
      }
    }
    if (this.isOpen && this.active instanceof MappedSegment) this.active.prefault(PREFAULT_BYTES);
    while (this.closed.length > 0 && this.closed[0]!.lastSeq <= seq) {
      const file = this.closed.shift()!.file;
      this.readers.release(file);
      this.removeInBackground(file);
    }
  }

  /**
   * The active segment's file was deleted by name (by hand, by a tmp cleaner): its lines still reach
   * the database (read through the descriptor kept on it, copied from the mapping, or as the text
   * written with write()), but would
   * not survive a crash of this process. Said, and the journal moves on to a new file.
   */
  private leaveDeleted(): void {
    const file = this.active.file;
    try {
      this.rotate();
      this.logger?.warn({ file }, 'audit journal: a segment in use was deleted; its rows are still committed from the open file, and the journal moved to a new segment');
    } catch (err) {
      this.logger?.error({ file, err: (err as Error).message }, 'audit journal: a segment in use was deleted and no new one could be made; rows recorded meanwhile would not survive a crash');
    }
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
    this.readers.releaseAll();
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
