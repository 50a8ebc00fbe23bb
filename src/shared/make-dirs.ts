/**
 * Directories made for files mcp-warden writes (the audit database and its journal, the keys file):
 * a directory and its missing parents, one level at a time. Node's recursive mkdirSync spins forever
 * where mkdir fails with ENOENT under a parent that exists (procfs, sysfs: `--audit /proc/x.db` used
 * a whole core and never returned), and its errors do not say which level was wrong.
 */
import { existsSync, lstatSync, mkdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Why a directory could not be made: `dir` is the level that failed, `code` the system's error code. */
export class MakeDirsError extends Error {
  constructor(
    readonly dir: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MakeDirsError';
  }
}

/**
 * Makes `dir` and its missing parents with `mode` (before the umask), one level at a time. Throws
 * MakeDirsError when a level exists and is not a directory (`D is not a directory`) or cannot be
 * made (`cannot create D: CODE`).
 */
export function makeDirs(dir: string, mode = 0o777): void {
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at)) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new MakeDirsError(at, 'ENOTDIR', `${at} is not a directory`);
  for (let i = missing.length - 1; i >= 0; i--) {
    const d = missing[i]!;
    try {
      mkdirSync(d, { mode });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if (code === 'EEXIST') {
        // Made meanwhile by another process (two wraps starting at once): fine if it is a directory.
        if (statSync(d, { throwIfNoEntry: false })?.isDirectory() === true) continue;
        // Else a symbolic link to nothing (existsSync follows links), or a file made meanwhile.
        const link = lstatSync(d, { throwIfNoEntry: false })?.isSymbolicLink() === true;
        throw new MakeDirsError(d, 'ENOTDIR', link ? `${d} is a symbolic link to ${readlinkSync(d)}, which does not exist` : `${d} is not a directory`);
      }
      throw new MakeDirsError(d, code, `cannot create ${d}: ${code}`);
    }
  }
}
