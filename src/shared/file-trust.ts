/**
 * Who else may change, or read, a file mcp-warden trusts: the keys file, TLS private keys,
 * certificates and CA bundles. A file any other user can write, or one in a directory others can
 * write without the sticky bit (they could rename another file into its place), is refused: whoever
 * can do that chooses the key, the certificate or the clients' keys mcp-warden uses. A secret file
 * (a private key) readable by every user is only warned about: Kubernetes mounts Secrets 0644 by
 * default, and the pod is often the only user there. Writable by the group only is a warning too
 * (a pod's fsGroup volume). A symbolic link is followed (a Secret's `..data` links): the file's
 * mode is its target's, and the directories of the link and of its target are both checked.
 * Owners are checked only when asked (the keys file: keys-file-trust.ts). POSIX only: elsewhere
 * (Windows) nothing is checked.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

export interface FileTrust {
  /** Why the file must not be used, or undefined. */
  refused?: string;
  /** What is weaker than it should be (said at start, not refused). */
  warnings: string[];
}

export interface FileTrustOptions {
  /** The file holds a secret (a private key): readable by every user is worth a warning. */
  secret?: boolean;
  /** Also refuse a file or directory owned by another user than this process's or root. */
  owner?: boolean;
  /** How the file is named in the texts (default: the path). */
  name?: string;
}

export const modeText = (st: Stats): string => (st.mode & 0o7777).toString(8).padStart(4, '0');

/** Whether modes mean anything here (POSIX: process.geteuid exists). */
export const modesChecked = (): boolean => typeof process.geteuid === 'function';

function ownerProblem(what: string, st: Stats, uid: number): string | undefined {
  if (st.uid !== uid && st.uid !== 0) return `${what} is owned by uid ${st.uid}, not by this process's user (uid ${uid}) or root`;
  return undefined;
}

/**
 * Checks `file` (when it exists: a missing file is for the reader to report) and its directories.
 * Never throws for the file's sake; a stat error other than ENOENT does (the reader would fail too).
 */
export function fileTrust(file: string, options: FileTrustOptions = {}): FileTrust {
  const warnings: string[] = [];
  if (!modesChecked()) return { warnings };
  const uid = process.geteuid!();
  const name = options.name ?? file;
  const st = statSync(file, { throwIfNoEntry: false });
  if (st === undefined) return { warnings };
  if (options.owner) {
    const owner = ownerProblem(`it (${file})`, st, uid);
    if (owner) return { refused: owner, warnings };
  }
  if ((st.mode & 0o002) !== 0) return { refused: `${name} is writable by others (mode ${modeText(st)})`, warnings };
  if ((st.mode & 0o020) !== 0) warnings.push(`${name} is writable by its group (mode ${modeText(st)})`);
  if (options.secret && (st.mode & 0o004) !== 0) warnings.push(`${name} is readable by every user (mode ${modeText(st)})`);
  for (const dir of new Set([dirname(file), dirname(realpathSync(file))])) {
    const d = statSync(dir, { throwIfNoEntry: false });
    if (d === undefined) continue;
    if (options.owner) {
      const owner = ownerProblem(`its directory ${dir}`, d, uid);
      if (owner) return { refused: owner, warnings };
    }
    const sticky = (d.mode & 0o1000) !== 0;
    if ((d.mode & 0o002) !== 0 && !sticky) return { refused: `its directory ${dir} is writable by others (mode ${modeText(d)})`, warnings };
    if ((d.mode & 0o020) !== 0 && !sticky) warnings.push(`its directory ${dir} is writable by its group (mode ${modeText(d)})`);
  }
  return { warnings };
}

/** The fix for a refusal: for the file itself, `chmod go-w FILE`; for its directory, the directory's. */
export function trustFix(file: string, refused: string): string {
  const dir = /^its directory (.+) is writable by others/.exec(refused)?.[1];
  if (dir !== undefined) return `chmod o-w ${dir} (or add the sticky bit: chmod +t ${dir}), or move the file to a directory only its owner can write`;
  if (refused.includes(' is owned by uid ')) return `chown it to this process's user (or root)`;
  return `chmod go-w ${file}`;
}
