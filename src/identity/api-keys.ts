/**
 * API key material: generation (256 random bits, printed once), hashing (sha256; only the hash is
 * ever stored) and the constant-time comparison of a presented key's hash with a stored one.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of keys made by `mcp-warden keys create`; lets the authenticator tell a key from a JWT. */
export const KEY_PREFIX = 'mcpw_';
const HASH_PREFIX = 'sha256:';

/** A new key: "mcpw_" + base64url of 32 random bytes (256 bits). */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** A new key id: "k_" + 12 hex digits (random, unrelated to the key, safe to log). */
export function generateKeyId(): string {
  return `k_${randomBytes(6).toString('hex')}`;
}

/** Raw sha256 digest of a presented key. */
export function digestKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** "sha256:<hex>" form stored in keys files and configs. */
export function hashApiKey(key: string): string {
  return HASH_PREFIX + digestKey(key).toString('hex');
}

/** Raw digest bytes of a stored "sha256:<hex>" hash. */
export function storedDigest(hash: string): Buffer {
  return Buffer.from(hash.slice(HASH_PREFIX.length), 'hex');
}

/** Constant-time equality of two sha256 digests (both 32 bytes). */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
