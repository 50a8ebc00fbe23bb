/**
 * Hashes and MACs with node:crypto over the UTF-8 bytes of strings: crypto.md5, crypto.sha1,
 * crypto.sha256, crypto.hmac.md5/sha1/sha256/sha512 (hex output) and crypto.hmac.equal
 * (constant-time comparison).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Value } from '../value/index.js';
import type { BuiltinDef } from './registry.js';
import { str } from './operands.js';

function hash(alg: string) {
  return (a: Value[]): Value => createHash(alg).update(str(a[0]!, 1), 'utf8').digest('hex');
}

function hmac(alg: string) {
  return (a: Value[]): Value => {
    const msg = str(a[0]!, 1);
    const key = str(a[1]!, 2);
    return createHmac(alg, Buffer.from(key, 'utf8')).update(msg, 'utf8').digest('hex');
  };
}

/** constant-time equality of two strings (length leaks, as in Go's hmac.Equal) */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}

export const builtins: BuiltinDef[] = [
  { name: 'crypto.md5', arity: 1, fn: hash('md5') },
  { name: 'crypto.sha1', arity: 1, fn: hash('sha1') },
  { name: 'crypto.sha256', arity: 1, fn: hash('sha256') },
  { name: 'crypto.hmac.md5', arity: 2, fn: hmac('md5') },
  { name: 'crypto.hmac.sha1', arity: 2, fn: hmac('sha1') },
  { name: 'crypto.hmac.sha256', arity: 2, fn: hmac('sha256') },
  { name: 'crypto.hmac.sha512', arity: 2, fn: hmac('sha512') },
  { name: 'crypto.hmac.equal', arity: 2, fn: (a) => constantTimeEqual(str(a[0]!, 1), str(a[1]!, 2)) },
];
