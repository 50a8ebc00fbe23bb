/**
 * Who may write the keys file. Its entries are sha256 hashes bound to a client and roles, so anyone
 * who can write the file (or replace it in its directory) can add a key for any client with any
 * roles. `mcp-warden keys` writes it 0600 in a 0700 directory; a file made otherwise is checked here:
 * refused when others may write it, when its directory lets others rename files in it (writable by
 * others without the sticky bit), or when either is owned by another user than this process's or
 * root (a Kubernetes secret mount is root's, read-only, and passes). Writable by its group only is
 * allowed (a pod's fsGroup volume is) but worth a warning. A symbolic link is followed; the
 * directories of the link and of its target are both checked.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

export interface KeysFileTrust {
  /** Why the file cannot be trusted, or undefined. */
  refused?: string;
  /** Why it is weaker than owner-only (group-writable), or undefined. */
  warning?: string;
}

const mode = (st: Stats): string => (st.mode & 0o7777).toString(8).padStart(4, '0');

function ownerProblem(what: string, st: Stats, uid: number): string | undefined {
  if (st.uid !== uid && st.uid !== 0) return `${what} is owned by uid ${st.uid}, not by this process's user (uid ${uid}) or root`;
  return undefined;
}

/** Checks the keys file (when it exists) and its directories; POSIX only (elsewhere: trusted). */
export function keysFileTrust(file: string): KeysFileTrust {
  if (typeof process.geteuid !== 'function') return {};
  const uid = process.geteuid();
  const st = statSync(file, { throwIfNoEntry: false });
  const dirs = new Set([dirname(file)]);
  if (st !== undefined) {
    const owner = ownerProblem(`it (${file})`, st, uid);
    if (owner) return { refused: owner };
    if ((st.mode & 0o002) !== 0) return { refused: `it is writable by others (mode ${mode(st)})` };
    dirs.add(dirname(realpathSync(file)));
  }
  let warning = st !== undefined && (st.mode & 0o020) !== 0 ? `it is writable by its group (mode ${mode(st)})` : undefined;
  for (const dir of dirs) {
    const d = statSync(dir, { throwIfNoEntry: false });
    if (d === undefined) continue;
    const owner = ownerProblem(`its directory ${dir}`, d, uid);
    if (owner) return { refused: owner };
    const sticky = (d.mode & 0o1000) !== 0;
    if ((d.mode & 0o002) !== 0 && !sticky) return { refused: `its directory ${dir} is writable by others (mode ${mode(d)})` };
    if ((d.mode & 0o020) !== 0 && !sticky) warning ??= `its directory ${dir} is writable by its group (mode ${mode(d)})`;
  }
  return warning === undefined ? {} : { warning };
}

/** The error text for a refused keys file: what is wrong and how to fix it. */
export function untrustedKeysFileMessage(why: string): string {
  return `refused: ${why}. Anyone who can write the keys file can add a key for any client and role: make it owner-only (chown to this user; chmod 600 the file, chmod 700 its directory)`;
}
