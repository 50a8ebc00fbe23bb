/**
 * The API keys in force: inline config keys plus the keys file, indexed by the sha256 of the key.
 * The file is re-read when it changes (fs.watch marks it dirty; each lookup also compares the
 * file's stat, one cheap syscall) so `keys revoke` takes effect without a restart. A keys file that
 * becomes unreadable, or writable by others (keys-file-trust.ts), fails closed: its keys stop
 * working until it is fixed.
 */
import { statSync, type Stats } from 'node:fs';
import { FileWatch } from '../config/file-watch.js';
import type { ApiKeyEntry } from '../config/auth.js';
import type { Logger } from '../log/logger.js';
import { digestKey, digestsEqual, storedDigest } from './api-keys.js';
import { KeysFileError, readKeysFile } from './keys-file.js';
import { keysFileTrust, untrustedKeysFileMessage } from './keys-file-trust.js';

/** A stored key prepared for lookups (times parsed once). */
export interface IndexedKey {
  entry: ApiKeyEntry;
  digest: Buffer;
  expiresMs: number;
  revokedMs: number;
  /** What the policy sees as client.claims for this key (built once, frozen): never the key or its hash. */
  claims: Readonly<Record<string, unknown>>;
}

function keyClaims(entry: ApiKeyEntry): Readonly<Record<string, unknown>> {
  const claims: Record<string, unknown> = { key_id: entry.id, client: entry.client, name: entry.name ?? entry.client, roles: Object.freeze([...entry.roles]) };
  if (entry.expires) claims.expires = entry.expires;
  if (entry.deployment) claims.deployment = entry.deployment;
  return Object.freeze(claims);
}

export type KeyLookup =
  | { kind: 'ok'; key: IndexedKey }
  | { kind: 'unknown' }
  | { kind: 'revoked'; key: IndexedKey }
  | { kind: 'expired'; key: IndexedKey }
  | { kind: 'unavailable' };

/**
 * The hex digest of the stored key each claims object was built for. An API-key identity carries its
 * key's claims object (authenticator.ts), so keyInForce finds the very key it was proven with, not
 * merely a key of the same id: the keys file may come to hold another key under that id (its hash
 * replaced by hand), and an id may be both inline and in the file. Weak: dropped with the identities.
 */
const digestOfClaims = new WeakMap<object, string>();

function indexEntries(entries: readonly ApiKeyEntry[], into: Map<string, IndexedKey>): void {
  for (const entry of entries) {
    const digest = storedDigest(entry.hash);
    const hex = digest.toString('hex');
    if (into.has(hex)) continue;
    const claims = keyClaims(entry);
    digestOfClaims.set(claims, hex);
    into.set(hex, {
      entry,
      digest,
      expiresMs: entry.expires ? Date.parse(entry.expires) : Number.POSITIVE_INFINITY,
      revokedMs: entry.revoked ? Date.parse(entry.revoked) : Number.POSITIVE_INFINITY,
      claims,
    });
  }
}

function sameFile(a: Stats | undefined, b: Stats | undefined): boolean {
  if (!a || !b) return a === b;
  return a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size && a.ino === b.ino;
}

function clientsOf(keys: Map<string, IndexedKey>): Set<string> {
  const clients = new Set<string>();
  for (const key of keys.values()) clients.add(key.entry.client);
  return clients;
}

/**
 * An API key whose hash is one of `reserved` (the admin tokens' hashes: admin.tokenHashes), or
 * undefined. The admin API and the MCP endpoints take separate credentials: a key that is also an
 * admin token would let its MCP client read every client's audit rows, and the admin holder act as
 * that client.
 */
export function reservedKey(entries: readonly ApiKeyEntry[], reserved: ReadonlySet<string>): ApiKeyEntry | undefined {
  if (reserved.size === 0) return undefined;
  return entries.find((e) => reserved.has(storedDigest(e.hash).toString('hex')));
}

/** Thrown at startup for inline keys (auth.apiKeys) that cannot be used (an admin token's hash). */
export class ApiKeyConfigError extends Error {
  override name = 'ApiKeyConfigError';
}

export function reservedKeyMessage(entry: ApiKeyEntry): string {
  return `API key ${entry.id} (client ${entry.client}) has the hash of an admin token (admin.tokenHashes): admin tokens and MCP client keys must differ (make a new admin token, or revoke and replace the key)`;
}

export class KeyStore {
  private readonly inline = new Map<string, IndexedKey>();
  private fileKeys = new Map<string, IndexedKey>();
  /** Client ids keys are bound to (any status: a revoked key's client is still an API-key client). */
  private inlineClients = new Set<string>();
  private fileClients = new Set<string>();
  private fileStat: Stats | undefined;
  private fileBroken = false;
  private dirty = false;
  private watcher: FileWatch | undefined;

  constructor(
    inlineKeys: readonly ApiKeyEntry[],
    private readonly file: string | undefined,
    private readonly logger?: Logger,
    /** Hex sha256 digests no key may have (the admin tokens'): refused at startup, and a keys file holding one is refused as unreadable is. */
    private readonly reserved: ReadonlySet<string> = new Set(),
  ) {
    const clash = reservedKey(inlineKeys, reserved);
    if (clash !== undefined) throw new ApiKeyConfigError(`auth.apiKeys: ${reservedKeyMessage(clash)}`);
    indexEntries(inlineKeys, this.inline);
    this.inlineClients = clientsOf(this.inline);
    if (file) {
      // A broken or untrusted keys file at startup is a configuration error: let it throw.
      this.fileStat = statSync(file, { throwIfNoEntry: false });
      if (!this.fileStat) logger?.warn({ keysFile: file }, 'keys file does not exist yet; no file keys are valid');
      const trust = keysFileTrust(file);
      if (trust.refused !== undefined) throw new KeysFileError(file, untrustedKeysFileMessage(trust.refused, file));
      if (trust.warning !== undefined) logger?.warn({ keysFile: file, reason: trust.warning }, 'keys file: others than this user may change it');
      this.fileKeys = this.loadFile();
      this.fileClients = clientsOf(this.fileKeys);
      this.startWatching(file);
    }
  }

  /** Number of keys in force (inline + file), for startup logs. */
  get size(): number {
    return this.inline.size + this.fileKeys.size;
  }

  /** Finds the stored key matching a presented key and says whether it may be used now. */
  lookup(presented: string, now = Date.now()): KeyLookup {
    if (this.file) this.refreshIfChanged();
    const digest = digestKey(presented);
    const hex = digest.toString('hex');
    const key = this.inline.get(hex) ?? this.fileKeys.get(hex);
    if (!key || !digestsEqual(key.digest, digest)) return this.fileBroken ? { kind: 'unavailable' } : { kind: 'unknown' };
    if (now >= key.revokedMs) return { kind: 'revoked', key };
    if (now >= key.expiresMs) return { kind: 'expired', key };
    return { kind: 'ok', key };
  }

  /**
   * The stored key an API-key identity was proven with (known by the identity's claims, built for
   * that key: digestOfClaims), as lookup() finds it now (inline first, then the keys file as it says
   * now), when it still has this id, is bound to `client` and is neither revoked nor expired at
   * `now`; else undefined. Another key that came under the same id does not keep it in force. An
   * unreadable keys file holds no keys.
   */
  keyInForce(claims: object, id: string, client: string, now = Date.now()): IndexedKey | undefined {
    if (this.file) this.refreshIfChanged();
    const hex = digestOfClaims.get(claims);
    if (hex === undefined) return undefined;
    const key = this.inline.get(hex) ?? this.fileKeys.get(hex);
    if (key === undefined || key.entry.id !== id || key.entry.client !== client) return undefined;
    return now < key.revokedMs && now < key.expiresMs ? key : undefined;
  }

  /**
   * Whether a key (inline or in the keys file, revoked and expired ones included) is bound to this
   * client id, as the keys file says now. An unreadable keys file counts as binding every id it
   * last held (fail closed: its clients stay API-key clients while it is broken).
   */
  hasClient(id: string): boolean {
    if (this.inlineClients.has(id)) return true;
    if (this.file === undefined) return false;
    this.refreshIfChanged();
    return this.fileClients.has(id);
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private loadFile(): Map<string, IndexedKey> {
    const map = new Map<string, IndexedKey>();
    const entries = readKeysFile(this.file!);
    const clash = reservedKey(entries, this.reserved);
    if (clash !== undefined) throw new KeysFileError(this.file!, reservedKeyMessage(clash));
    indexEntries(entries, map);
    return map;
  }

  private refreshIfChanged(): void {
    let stat: Stats | undefined;
    try {
      stat = statSync(this.file!, { throwIfNoEntry: false });
    } catch (err) {
      // Not even stat()able (a symlink loop, a parent that became a file, EACCES): its keys are
      // refused until it is (fail closed), logged once; it threw out of lookups and the session sweep.
      if (!this.fileBroken || this.fileStat !== undefined) this.logger?.error({ keysFile: this.file, err: (err as Error).message }, 'keys file unreadable; its keys are refused until it is fixed');
      this.fileKeys = new Map();
      this.fileClients = new Set();
      this.fileBroken = true;
      this.fileStat = undefined;
      // read again at the first stat that works, whatever it says (even that the file is gone)
      this.dirty = true;
      return;
    }
    if (!this.dirty && sameFile(stat, this.fileStat)) return;
    this.dirty = false;
    this.fileStat = stat;
    try {
      const refused = keysFileTrust(this.file!).refused;
      if (refused !== undefined) throw new Error(untrustedKeysFileMessage(refused, this.file));
      this.fileKeys = this.loadFile();
      this.fileClients = clientsOf(this.fileKeys);
      if (this.fileBroken) this.logger?.info({ keysFile: this.file }, 'keys file readable again');
      this.fileBroken = false;
      this.logger?.info({ keysFile: this.file, keys: this.fileKeys.size }, 'keys file reloaded');
    } catch (err) {
      this.fileKeys = new Map();
      this.fileBroken = true;
      this.logger?.error({ keysFile: this.file, err: (err as Error).message }, 'keys file unreadable; its keys are refused until it is fixed');
    }
  }

  private startWatching(file: string): void {
    // The file itself, followed when `keys` replaces it by rename (not its folder: an audit
    // database's WAL next to it would wake us on every write). Without watch support, or after a
    // watch error, the stat comparison on each lookup still catches changes.
    this.watcher = new FileWatch(file, this.markDirty, this.markDirty);
  }

  private readonly markDirty = (): void => {
    this.dirty = true;
  };
}
