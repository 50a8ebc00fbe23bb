/**
 * Which audit journals are still being written, and by whom. A writing process holds an exclusive
 * flock(2) on its journal's lock file (`<id>.lock` in the journal directory) from before its first
 * segment exists until its Spool is closed. The kernel drops that lock when the process dies,
 * however it dies, and it is seen alike from every pid namespace on the host: two containers that
 * share the database's volume are both PID 1, and a pid from another container says nothing here.
 * A journal whose lock is free is an orphan: the next writer takes the lock over while it imports
 * the journal (so two starting writers never import it at once) and then removes it. A journal
 * without a lock file (left by an earlier version, or written on a host without the native addon)
 * falls back to its pid: alive when another process has it, or when it is this process's and one
 * of our Spools has it open (pids are reused: in the container a restart is PID 1 again).
 * Liveness alone (isJournalLive: `audit verify`) is probed with a shared lock held for a moment, so
 * an importer that finds an orphan's lock taken can tell probes from a writer and try again; neither
 * a probe nor a claim ever creates a lock file (one made anew over a deleted one would be unlocked
 * while its writer still runs). A writer killed between locking `<id>.lock.new` and renaming it
 * leaves that empty file; the next writer to start removes it once it is old and unlocked.
 */
import { readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { journalAddon, type JournalLock } from './mapped-journal.js';

/** The lock file of journal `id` in journal directory `dir`. */
export function lockFileOf(dir: string, id: string): string {
  return join(dir, `${id}.lock`);
}

interface Locker {
  lock(path: string, create?: boolean): JournalLock | null;
  unlock(handle: JournalLock): void;
  /** Absent in addons built before it (then lock() also ignores `create`). */
  probe?(path: string): 'missing' | 'held' | 'free';
}

/** The addon's lock and unlock, or undefined where locks cannot be taken (no addon, an old build). */
function locker(): Locker | undefined {
  const { addon } = journalAddon();
  if (addon?.lock === undefined || addon.unlock === undefined) return undefined;
  return addon as Locker;
}

/**
 * How often a writer makes sure its lock file still exists: deleted by hand (a clean-up of "stale"
 * lock files), it is made anew and locked again, else a process that starts in another pid
 * namespace would take the live journal for an orphan by its pid, import it and remove its segments.
 */
const LOCK_FILE_CHECK_MS = 1000;
/**
 * How many times, a millisecond apart, an importer tries again to claim an orphan whose lock only
 * probes hold (each holds it for a moment): a writer's or an importer's lock makes it give up at once.
 */
const CLAIM_RETRIES = 200;
/**
 * Age past which an unlocked `<id>.lock.new` is stale: a writer holds its own from open to rename
 * (microseconds), so one older than this and unlocked was left by a writer killed in between.
 */
const STALE_NEW_LOCK_MS = 60_000;

/** Ids of this process's journals that are open (a Spool until its close()). */
const openHere = new Set<string>();

/** A lock on one journal held by this process: its own journal's, or an orphan's being imported. */
export class HeldJournalLock {
  private handle: JournalLock | undefined;
  private keeping: NodeJS.Timeout | undefined;
  /** The inode of the lock file this handle locks (keepFile: another file at its path is not ours). */
  private inode = -1;

  constructor(
    private readonly locks: Locker,
    handle: JournalLock,
    readonly file: string,
  ) {
    this.handle = handle;
  }

  /** Checks every LOCK_FILE_CHECK_MS, until released, that the lock file exists, and makes it anew if not. */
  keepFile(): void {
    this.inode = inodeOf(this.file);
    this.keeping = setInterval(() => this.relockIfDeleted(), LOCK_FILE_CHECK_MS);
    this.keeping.unref();
  }

  private relockIfDeleted(): void {
    // Deleted, or replaced by another file (an older version's probe made it anew, unlocked).
    if (this.handle === undefined || inodeOf(this.file) === this.inode) return;
    try {
      const handle = this.locks.lock(this.file);
      // null: another process holds the file now at its path; tried again at the next check.
      if (handle === null) return;
      this.locks.unlock(this.handle);
      this.handle = handle;
      this.inode = inodeOf(this.file);
    } catch {
      // The directory is unusable (removed, read-only): the journal's own appends report that.
    }
  }

  /** Releases the lock; with `removeFile`, deletes the lock file first (the journal is gone). */
  release(removeFile: boolean): void {
    clearInterval(this.keeping);
    if (this.handle === undefined) return;
    if (removeFile) {
      try {
        unlinkSync(this.file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    this.locks.unlock(this.handle);
    this.handle = undefined;
  }
}

/**
 * Marks journal `id` as written by this process from now on: takes its lock when locks can be
 * taken here (undefined otherwise: the journal then goes by its pid). Throws when the lock cannot
 * be taken, which for a fresh random id means the directory is unusable.
 */
export function holdOwnJournal(dir: string, id: string): HeldJournalLock | undefined {
  openHere.add(id);
  const locks = locker();
  if (locks === undefined) return undefined;
  const file = lockFileOf(dir, id);
  removeStaleNewLocks(dir, locks);
  // Locked under another name, then renamed: an importer never finds it there unlocked (it would
  // take it between open and flock, and this writer would fail to start).
  const handle = locks.lock(`${file}.new`);
  if (handle === null) throw new Error(`audit journal: the lock ${file} of a new journal is held by another process`);
  renameSync(`${file}.new`, file);
  const held = new HeldJournalLock(locks, handle, file);
  held.keepFile();
  return held;
}

/** The inode of `file`, or -1 when it does not exist. */
function inodeOf(file: string): number {
  return statSync(file, { throwIfNoEntry: false })?.ino ?? -1;
}

/**
 * Removes the `<id>.lock.new` files of `dir` left by writers killed between locking and renaming
 * them: only old ones (a writer's own is microseconds old) that nobody holds, locked while removed.
 * Needs lock() without create (addons with probe()): else a file removed meanwhile would be made anew.
 */
function removeStaleNewLocks(dir: string, locks: Locker): void {
  if (locks.probe === undefined) return;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!/^\d+-[0-9a-f]+\.lock\.new$/.test(name)) continue;
    const file = join(dir, name);
    try {
      const st = statSync(file, { throwIfNoEntry: false });
      if (st === undefined || now - st.mtimeMs < STALE_NEW_LOCK_MS) continue;
      const handle = locks.lock(file, false);
      if (handle === null) continue; // its writer is between flock and rename
      try {
        unlinkSync(file);
      } finally {
        locks.unlock(handle);
      }
    } catch {
      // Removed meanwhile by another writer's start, or not removable: it is ignored either way.
    }
  }
}

/** This process stopped writing journal `id` (its Spool is closed). */
export function leaveOwnJournal(id: string): void {
  openHere.delete(id);
}

/** True when a process with this pid exists (in this pid namespace). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the pid says of a journal without a lock file. */
function aliveByPid(id: string, pid: number): boolean {
  if (pid === process.pid) return openHere.has(id);
  return isProcessAlive(pid);
}

/** A journal of the directory, as claimOrphan() reads it. */
export interface JournalOwner {
  id: string;
  pid: number;
  /** Its lock file, when it has one. */
  lockFile?: string;
}

/**
 * Claims a journal whose writer is gone, for import: a held lock (release(true) once its segments
 * are removed), `null` for a journal without a lock (the pid says it is an orphan; nothing to
 * hold), or undefined when its writer may still be running (leave it alone).
 */
export function claimOrphan(journal: JournalOwner): HeldJournalLock | null | undefined {
  if (openHere.has(journal.id)) return undefined;
  const locks = journal.lockFile === undefined ? undefined : locker();
  if (journal.lockFile === undefined || locks === undefined) return aliveByPid(journal.id, journal.pid) ? undefined : null;
  const file = journal.lockFile;
  for (let tries = 0; ; tries++) {
    let handle: JournalLock | null;
    try {
      handle = locks.lock(file, false);
    } catch (err) {
      // Gone since the listing: imported and removed by another process, or deleted by hand under
      // a live writer (which makes it anew). Left alone this time.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (handle !== null) return new HeldJournalLock(locks, handle, file);
    // Held by its writer or an importer; or only by liveness probes, which let go at once.
    if (locks.probe === undefined || tries >= CLAIM_RETRIES || locks.probe(file) !== 'free') return undefined;
    Atomics.wait(PAUSE, 0, 0, 1);
  }
}

/** Something to wait on for a millisecond (Atomics.wait). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Whether a journal's writer may still be running, without claiming it or creating its lock file. */
export function isJournalLive(journal: JournalOwner): boolean {
  if (openHere.has(journal.id)) return true;
  const locks = journal.lockFile === undefined ? undefined : locker();
  if (journal.lockFile === undefined || locks === undefined) return aliveByPid(journal.id, journal.pid);
  if (locks.probe === undefined) {
    // An older addon: a lock is taken and let go.
    const claim = claimOrphan(journal);
    claim?.release(false);
    return claim === undefined;
  }
  const state = locks.probe(journal.lockFile);
  // Missing since the listing: imported meanwhile, or deleted by hand under its writer (its pid says which).
  return state === 'missing' ? aliveByPid(journal.id, journal.pid) : state === 'held';
}
