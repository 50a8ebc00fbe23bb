/**
 * Admin credentials: bearer tokens checked against `admin.tokenHashes` ("sha256:<hex>" of each
 * token), separate from the keys MCP clients use. The presented token is hashed and compared with
 * every configured hash in constant time; with no hashes configured every request is refused.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const HASH = /^sha256:([0-9a-f]{64})$/i;

/** Parses the configured hashes; throws naming the first malformed entry (never echoing it whole). */
export function parseTokenHashes(entries: readonly string[]): Buffer[] {
  return entries.map((entry, i) => {
    const m = HASH.exec(entry.trim());
    if (!m) throw new Error(`admin.tokenHashes[${i}]: expected "sha256:" followed by 64 hex digits`);
    return Buffer.from(m[1]!, 'hex');
  });
}

/** The hash to put in admin.tokenHashes for a token. */
export function adminTokenHash(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

/** A checker for Authorization header values: true only for "Bearer <token>" with a configured hash. */
export function createAdminTokenCheck(hashes: readonly Buffer[]): (authorization: string | undefined) => boolean {
  return (authorization) => {
    if (!authorization || hashes.length === 0) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return false;
    const presented = createHash('sha256').update(m[1]!).digest();
    let ok = false;
    // Compare against every hash (no early exit) so timing does not reveal which one matched.
    for (const h of hashes) if (timingSafeEqual(presented, h)) ok = true;
    return ok;
  };
}
