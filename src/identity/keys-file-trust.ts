/**
 * Who may write the keys file. Its entries are sha256 hashes bound to a client and roles, so anyone
 * who can write the file (or replace it in its directory) can add a key for any client with any
 * roles. `mcp-warden keys` writes it 0600 in a 0700 directory; a file made otherwise is checked here
 * (shared/file-trust.ts, the rule TLS files follow too, plus owners): refused when others may write
 * it, when its directory lets others rename files in it (writable by others without the sticky
 * bit), or when either is owned by another user than this process's or root (a Kubernetes secret
 * mount is root's, read-only, and passes). Writable by its group only is allowed (a pod's fsGroup
 * volume is) but worth a warning. Readable by everyone is not warned about: it holds hashes of
 * random keys, not keys. A symbolic link is followed; the directories of the link and of its
 * target are both checked.
 */
import { fileTrust, trustFix } from '../shared/file-trust.js';

export interface KeysFileTrust {
  /** Why the file cannot be trusted, or undefined. */
  refused?: string;
  /** Why it is weaker than owner-only (group-writable), or undefined. */
  warning?: string;
}

/** Checks the keys file (when it exists) and its directories; POSIX only (elsewhere: trusted). */
export function keysFileTrust(file: string): KeysFileTrust {
  const trust = fileTrust(file, { owner: true, name: 'it' });
  if (trust.refused !== undefined) return { refused: trust.refused };
  return trust.warnings.length === 0 ? {} : { warning: trust.warnings[0] };
}

/** The error text for a refused keys file: what is wrong and how to fix it. */
export function untrustedKeysFileMessage(why: string, file?: string): string {
  const fix = file === undefined ? '' : `${trustFix(file, why)}; better, `;
  return `refused: ${why}. Anyone who can write the keys file can add a key for any client and role: ${fix}make it owner-only (chown to this user; chmod 600 the file, chmod 700 its directory)`;
}
