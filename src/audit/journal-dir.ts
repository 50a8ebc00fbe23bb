/**
 * Who may write the audit journal's directory. Its files are imported into the audit database as
 * this process's own records (chained and verified like any row), so a directory that another user
 * can write to would let that user plant forged calls, or remove journals before they are imported.
 * The proxy creates `<db>.journal/` owner-only (0700); one found owned by another user, or writable
 * by its group or by others (made by hand, or by another tool), is refused with an error saying how
 * to fix it, and the proxy does not start: its files are not imported, since they may already hold
 * planted lines. Journals an earlier version left beside the database (`<db>.journal-*`) are read
 * from the database's own directory only when that directory passes the same check. A symbolic
 * link to the directory must be this user's (or root's): its owner could point it at another
 * directory once the check is made.
 */
import { lstatSync, statSync } from 'node:fs';
import { makeDirs } from '../shared/make-dirs.js';

/** Why `dir` may be written by someone other than this process's user, or undefined when it may not. */
export function notOwnerOnly(dir: string): string | undefined {
  // Not POSIX (Windows): ownership and mode bits do not apply.
  if (typeof process.geteuid !== 'function') return undefined;
  const uid = process.geteuid();
  // A symbolic link its owner may point elsewhere at any time (in a sticky /tmp too): after this check.
  const link = lstatSync(dir);
  if (link.isSymbolicLink() && link.uid !== uid && link.uid !== 0) return `it is a symbolic link owned by uid ${link.uid}, who may point it elsewhere, not by this process's user (uid ${uid})`;
  const st = statSync(dir);
  if (!st.isDirectory()) return 'it is not a directory';
  if (st.uid !== uid) return `it is owned by uid ${st.uid}, not by this process's user (uid ${uid})`;
  if ((st.mode & 0o022) !== 0) {
    const who = (st.mode & 0o020) === 0 ? 'others' : (st.mode & 0o002) === 0 ? 'its group' : 'its group and others';
    return `it is writable by ${who} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  }
  return undefined;
}

/** Creates the journal directory owner-only if missing; throws when it exists and others may write to it. */
export function prepareJournalDir(dir: string): void {
  makeDirs(dir, 0o700);
  const why = notOwnerOnly(dir);
  if (why === undefined) return;
  throw new Error(
    `the audit journal directory ${dir} is refused: ${why}. Its files are imported into the audit database as this process's records, ` +
      `so only this user may write to it: check its files, then make it owner-only (chown to this user; chmod 700), or remove it`,
  );
}

/** Whether journals may be read from `dir` (the database's directory, for an earlier version's journals). */
export function ownerOnly(dir: string): boolean {
  try {
    return notOwnerOnly(dir) === undefined;
  } catch {
    return false;
  }
}
