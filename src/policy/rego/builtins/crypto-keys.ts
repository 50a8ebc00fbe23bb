/**
 * Private key parsing: crypto.x509.parse_rsa_private_key (PEM, or base64 of PEM, to an RSA JWK) and
 * crypto.parse_private_keys (every private key PEM block of a string, or its base64, as JWKs;
 * "" gives null). rand.intn lives here too: a random integer per (seed, n), fixed within a query.
 */
import { createPrivateKey, randomInt } from 'node:crypto';
import { fromJS, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str, int } from './operands.js';
import { goBase64Decode } from './base64.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function pemText(s: string): string {
  if (s.includes('-----BEGIN')) return s;
  return goBase64Decode(s, false).toString('utf8');
}

function jwkOf(pem: string): Value {
  const key = createPrivateKey(pem);
  return fromJS(key.export({ format: 'jwk' }));
}

function parseRSAPrivateKey(s: string): Value {
  const text = pemText(s);
  const m = /-----BEGIN ([A-Z ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/.exec(text);
  if (m === null) throw new BuiltinError('failed to parse PEM block containing the key');
  let jwk: Value;
  try {
    jwk = jwkOf(m[0]);
  } catch (e) {
    throw new BuiltinError((e as Error).message);
  }
  if ((jwk as Record<string, unknown>).kty !== 'RSA') throw new BuiltinError('not an RSA private key');
  return jwk;
}

function parsePrivateKeys(s: string): Value {
  if (s === '') return null;
  let text: string;
  try {
    text = pemText(s);
  } catch {
    return [];
  }
  const out: Value[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (!m[1]!.endsWith('PRIVATE KEY')) continue;
    try {
      out.push(jwkOf(m[0]));
    } catch {
      // not a key node can read: skipped, as OPA skips blocks it cannot parse
    }
  }
  return out;
}

export const builtins: BuiltinDef[] = [
  { name: 'crypto.x509.parse_rsa_private_key', arity: 1, fn: (a) => parseRSAPrivateKey(str(a[0]!, 1)) },
  { name: 'crypto.parse_private_keys', arity: 1, fn: (a) => parsePrivateKeys(str(a[0]!, 1)) },
  {
    name: 'rand.intn',
    arity: 2,
    nondeterministic: true,
    fn: (a, ctx) => {
      const seed = str(a[0]!, 1);
      const n = int(a[1]!, 2);
      if (n === 0) return 0;
      const bound = Math.abs(n);
      const key = `rand.intn\u0000${seed}\u0000${bound}`;
      let v = ctx.cache.get(key) as number | undefined;
      if (v === undefined) {
        v = bound > 0xffffffffffff ? Math.floor(Math.random() * bound) : randomInt(bound);
        ctx.cache.set(key, v);
      }
      return v;
    },
  },
];
