/**
 * How rows are chained: plain SHA-256 (anyone can check the chain, but anyone who can write the
 * file can also recompute it) or, with `audit.chainKey`, HMAC-SHA256 under a secret kept outside
 * the database (a forged or rewritten row cannot be given a valid hash without the key). The mode
 * and a key id (not the key) are stored in audit_meta when the first row is written; a writer or
 * verifier with a different key is refused instead of silently breaking the chain.
 */
import { createHmac } from 'node:crypto';
import type Database from 'better-sqlite3';
import { chainHash } from './row.js';

export type ChainMode = 'sha256' | 'hmac-sha256';

export interface ChainKeying {
  mode: ChainMode;
  /** Identifies the key (HMAC of a fixed label), safe to store and print; '' without a key. */
  keyId: string;
  hash(prevHash: string, canonicalLine: string): string;
}

export class ChainKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChainKeyError';
  }
}

export function chainKeying(key?: string): ChainKeying {
  if (!key) return { mode: 'sha256', keyId: '', hash: chainHash };
  const keyId = createHmac('sha256', key).update('mcp-warden audit chain key id').digest('hex').slice(0, 16);
  return {
    mode: 'hmac-sha256',
    keyId,
    hash: (prevHash, canonicalLine) => createHmac('sha256', key).update(prevHash).update('\n').update(canonicalLine).digest('hex'),
  };
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
