/**
 * How rows are chained: plain SHA-256 (anyone can check the chain, but anyone who can write the
 * file can also recompute it) or, with `audit.chainKey`, HMAC-SHA256 under a secret kept outside
 * the database (a forged or rewritten row cannot be given a valid hash without the key). The mode
 * and a key id (not the key) are stored in audit_meta when the first row is written; a writer or
 * verifier with a different key is refused instead of silently breaking the chain.
 *
 * The writer hashes a batch's rows in one call of the native addon when it has chainHashes
 * (native/chain_hash.c: OpenSSL's SHA-256, HMAC made from it), the same bytes as node:crypto gives
 * row by row (test/audit-chain-hash-native.test.ts); without the addon, row by row in JavaScript.
 */
import { createHmac } from 'node:crypto';
import type Database from 'better-sqlite3';
import { journalAddon } from './mapped-journal.js';
import { chainHash } from './row.js';

/**
 * The chain hashes of `lines` in turn, the first linked to `prevHash`, each later one to the hash
 * before it, as ChainKeying.hash gives them one by one; `key` the HMAC key's UTF-8 (undefined: plain SHA-256).
 */
export type ChainHashes = (prevHash: string, lines: readonly string[], key?: Uint8Array) => string[];

/** The addon's chainHashes (native/chain_hash.c), or undefined when it has none (not built, built before it, no OpenSSL symbols). */
export function nativeChainHashes(): ChainHashes | undefined {
  const addon = journalAddon().addon as { chainHashes?: ChainHashes } | undefined;
  return typeof addon?.chainHashes === 'function' ? addon.chainHashes : undefined;
}

export type ChainMode = 'sha256' | 'hmac-sha256';

export interface ChainKeying {
  mode: ChainMode;
  /** Identifies the key (HMAC of a fixed label), safe to store and print; '' without a key. */
  keyId: string;
  hash(prevHash: string, canonicalLine: string): string;
  /** hash() of each line in turn, chained from `prevHash` (one native call when the addon has it). */
  hashes(prevHash: string, lines: readonly string[]): string[];
}

export class ChainKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChainKeyError';
  }
}

/**
 * hashes() of a keying: the addon's (`native`; undefined: looked up at the first call, so a process
 * that only verifies never loads it), else hash() line by line.
 */
function hashesOf(hash: ChainKeying['hash'], native: ChainHashes | null | undefined, key: Uint8Array | undefined): ChainKeying['hashes'] {
  let batch: ChainHashes | null | undefined = native;
  return (prevHash, lines) => {
    if (batch === undefined) batch = nativeChainHashes() ?? null;
    if (batch !== null) return batch(prevHash, lines, key);
    const out = new Array<string>(lines.length);
    for (let i = 0; i < lines.length; i++) prevHash = out[i] = hash(prevHash, lines[i]!);
    return out;
  };
}

/** `native`: the batch hashing to use (tests: null for JavaScript only; undefined: the addon's, when it has it). */
export function chainKeying(key?: string, native?: ChainHashes | null): ChainKeying {
  if (!key) return { mode: 'sha256', keyId: '', hash: chainHash, hashes: hashesOf(chainHash, native, undefined) };
  const keyId = createHmac('sha256', key).update('mcp-warden audit chain key id').digest('hex').slice(0, 16);
  const hash: ChainKeying['hash'] = (prevHash, canonicalLine) => createHmac('sha256', key).update(prevHash).update('\n').update(canonicalLine).digest('hex');
  // The key as createHmac takes a string key: its UTF-8.
  return { mode: 'hmac-sha256', keyId, hash, hashes: hashesOf(hash, native, Buffer.from(key, 'utf8')) };
}

function describe(mode: string, keyId: string): string {
  return mode === 'hmac-sha256' ? `HMAC-SHA256 with key id ${keyId}` : 'plain SHA-256 (no key)';
}

/**
 * Checks that `keying` is how this database is chained. With `establish`, a database that never had
 * a row takes this keying. Throws ChainKeyError on a mismatch.
 */
export function checkChainKeying(db: Database.Database, keying: ChainKeying, establish: boolean): void {
  const get = db.prepare('SELECT value FROM audit_meta WHERE key = ?').pluck();
  const run = db.transaction(() => {
    const mode = String(get.get('chain_mode') ?? 'sha256');
    const keyId = String(get.get('chain_key_id') ?? '');
    if (mode === keying.mode && keyId === keying.keyId) return;
    const empty = Number(get.get('head_seq') ?? 0) === 0 && Number(get.get('anchor_seq') ?? 0) === 0;
    if (establish && empty) {
      const set = db.prepare('INSERT INTO audit_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
      set.run('chain_mode', keying.mode);
      set.run('chain_key_id', keying.keyId);
      return;
    }
    const hint = mode === 'hmac-sha256' ? ' (give the key as audit.chainKey in the config, or with --key-env NAME)' : ' (remove audit.chainKey, or start a new database)';
    throw new ChainKeyError(`this audit database is chained with ${describe(mode, keyId)}, not ${describe(keying.mode, keying.keyId)}${hint}`);
  });
  establish ? run.immediate() : run();
}
