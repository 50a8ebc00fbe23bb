/**
 * The identity an HTTP session's messages are delivered under. Every request is authenticated on
 * its own (request-guard.ts) and bound to the session's owner (same client id), but its credential
 * may say other things than the last one did: a JWT re-issued with fewer roles, an API key whose
 * roles changed on a reload. Each message is decided with the identity its own request proved, so
 * the session's identity follows every request. While the fresh identity says the same as the
 * current one, the current object is kept (the authenticator makes a new object per API-key
 * request, and the policy engine keeps values across queries keyed by the identity of input.client);
 * a changed identity is the fresh object, never the old one changed in place.
 */
import type { ClientIdentity } from '../../types.js';

/** `current` when `fresh` says the same (id, name, method, roles, claims, credential, address), else `fresh`. */
export function followIdentity(current: ClientIdentity, fresh: ClientIdentity): ClientIdentity {
  return fresh === current || sameIdentity(current, fresh) ? current : fresh;
}

export function sameIdentity(a: ClientIdentity, b: ClientIdentity): boolean {
  if (a.id !== b.id || a.name !== b.name || a.auth !== b.auth || a.credentialId !== b.credentialId || a.address !== b.address) return false;
  const ra = a.roles;
  const rb = b.roles;
  if (ra.length !== rb.length) return false;
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return false;
  return sameValue(a.claims, b.claims);
}

/** Deep equality of JSON-like values (claims): same members with equal values, arrays in order. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
