/**
 * Descriptors this process keeps open on its mapped journal segments, for the writer thread to read
 * batches from (JournalRange: descriptors are shared by the process's threads). A segment's file
 * is opened when its first batch is handed out and closed once all its lines are committed, so a
 * segment deleted by name meanwhile (by hand, by a tmp cleaner) stays readable: its inode lives as
 * long as a descriptor does. A segment whose file is already gone when it would be opened is
 * marked so (-1): the journal then copies its lines from the mapping instead (Spool.take()).
 */
import { closeSync, fstatSync, openSync } from 'node:fs';

export class SegmentReaders {
  /** Segment file -> descriptor open on it, or -1: it could not be opened (gone). */
  private readonly fds = new Map<string, number>();

  /** The descriptor to read `file` through (opened at the first call), or -1 when it cannot be opened. */
  fdFor(file: string): number {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      try {
        fd = openSync(file, 'r');
      } catch {
        // Deleted before its first batch (or no descriptor left): its lines go out as text.
        fd = -1;
      }
      this.fds.set(file, fd);
    }
    return fd;
  }

  /**
   * Whether `file` was deleted while in use (opened by fdFor(): it could not be, or no name links
   * to its inode any more). A file never handed out is not checked.
   */
  deleted(file: string): boolean {
    const fd = this.fds.get(file);
    if (fd === undefined) return false;
    if (fd < 0) return true;
    try {
      return fstatSync(fd).nlink === 0;
    } catch {
      return false;
    }
  }

  /** Closes `file`'s descriptor: all its lines are committed. */
  release(file: string): void {
    const fd = this.fds.get(file);
    if (fd === undefined) return;
    this.fds.delete(file);
    if (fd >= 0) closeSync(fd);
  }

  /** Closes every descriptor (the journal is closed; the writer thread is gone). */
  releaseAll(): void {
    for (const file of [...this.fds.keys()]) this.release(file);
  }
}
