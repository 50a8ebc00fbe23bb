/**
 * The keys file managed by `mcp-warden keys`: YAML (or JSON when the name ends in .json) holding
 * `keys: [...]` entries with hashes only. Written atomically (temp file + rename, mode 0600) so a
 * running server never reads half a file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { apiKeyEntrySchema, type ApiKeyEntry } from '../config/auth.js';
import { makeDirs, MakeDirsError } from '../shared/make-dirs.js';

const keysFileSchema = z
  .object({ keys: z.array(apiKeyEntrySchema).default([]) })
  .strict()
  .refine((f) => new Set(f.keys.map((k) => k.id)).size === f.keys.length, { message: 'key ids must be unique', path: ['keys'] });

export class KeysFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`keys file ${file}: ${detail}`);
    this.name = 'KeysFileError';
  }
}

const HEADER = '# mcp-warden keys file, managed by `mcp-warden keys`. It holds key hashes only, never keys.\n';

/** Parses keys file text; throws KeysFileError naming the problem. */
export function parseKeysFile(text: string, file: string): ApiKeyEntry[] {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parse(text);
  } catch (err) {
    throw new KeysFileError(file, `invalid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = keysFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new KeysFileError(file, `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data.keys;
}

/** Reads the keys file; a missing file is an empty list when `missingOk`. */
export function readKeysFile(file: string, missingOk = true): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && missingOk) return [];
    throw new KeysFileError(file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseKeysFile(text, file);
}

/** Writes the keys file atomically with mode 0600. */
export function writeKeysFile(file: string, keys: ApiKeyEntry[]): void {
  const body = file.endsWith('.json') ? `${JSON.stringify({ keys }, null, 2)}\n` : HEADER + stringify({ keys });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, body, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new KeysFileError(file, `cannot write: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Creates the keys file's directory and its missing parents (mode 0700); a failure names the keys file. */
function makeDirsFor(file: string): void {
  try {
    makeDirs(dirname(file), 0o700);
  } catch (err) {
    if (!(err instanceof MakeDirsError)) throw err;
    throw new KeysFileError(file, err.code === 'ENOTDIR' ? `cannot create it: ${err.message}` : `cannot create its directory ${err.dir}: ${err.code}`);
  }
}

const LOCK_WAIT_MS = 5000;
const LOCK_STALE_MS = 30_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Read-modify-write of the keys file under an exclusive lock file (`<file>.lock`, created with
 * O_EXCL), so two `mcp-warden keys` commands at once never lose a key. A lock older than 30 s is
 * taken to be left over from a crash and removed.
 */
export function updateKeysFile<T>(file: string, change: (keys: ApiKeyEntry[]) => { keys: ApiKeyEntry[]; result: T }): T {
  const lock = `${file}.lock`;
  makeDirsFor(file);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new KeysFileError(file, `cannot create lock ${lock}: ${code ?? String(err)}`);
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new KeysFileError(file, `locked by another mcp-warden keys command (${lock}); retry, or remove the lock if no command is running`);
      else sleepSync(20);
    }
  }
  try {
    const { keys, result } = change(readKeysFile(file));
    // Never written in a form every later read (and the server) would refuse.
    const valid = keysFileSchema.safeParse({ keys });
    if (!valid.success) {
      const issue = valid.error.issues[0]!;
      throw new KeysFileError(file, `not changed: the new entry would be invalid (${issue.path.join('.')}: ${issue.message})`);
    }
    writeKeysFile(file, keys);
    return result;
  } finally {
    rmSync(lock, { force: true });
  }
}
