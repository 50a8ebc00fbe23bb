/**
 * io.jwt.* builtins (synchronous, node:crypto): decode, decode_verify (signature, alg, iss, aud,
 * exp, nbf with the query's time), verify_hs256/384/512, verify_rs*, ps*, es*, eddsa,
 * encode_sign and encode_sign_raw, with OPA's error messages for malformed tokens.
 */
import { BigNum, RObject, isObject, objForEach, objGet, type Value } from '../value/index.js';
import { type BuiltinDef, type BuiltinContext, BuiltinError } from './registry.js';
import { str, operandTypeError } from './operands.js';
import { base64UrlDecode } from './base64.js';
import { marshalJSON, parseJSON } from './json-text.js';
import { ALGORITHMS, jwsSign, jwsVerify, signingKey, verificationKeys } from './jwt-keys.js';
import { constantTimeEqual } from './crypto.js';

interface Token {
  header: string;
  payload: string;
  signature: string;
}

function splitToken(v: Value): Token {
  const s = str(v, 1);
  if (!s.includes('.')) throw new BuiltinError('encoded JWT had no period separators');
  const parts = s.split('.');
  if (parts.length !== 3) throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0]!, payload: parts[1]!, signature: parts[2]! };
}

function b64(part: string, what: string): Buffer {
  try {
    return base64UrlDecode(part);
  } catch (e) {
    throw new BuiltinError(`JWT ${what} had invalid encoding: ${(e as Error).message}`);
  }
}

function jsonObject(text: string): Value {
  let v: Value;
  try {
    v = parseJSON(text);
  } catch (e) {
    throw new BuiltinError(`invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(v)) throw new BuiltinError('decoded JSON type was not an Object');
  return v;
}

function decodeHeader(t: Token): Value {
  const raw = b64(t.header, 'header').toString('utf8');
  let h: Value;
  try {
    h = jsonObject(raw);
  } catch (e) {
    throw new BuiltinError(`bad JWT header: ${(e as Error).message}`);
  }
  if (objGet(h as never, 'enc') !== undefined) throw new BuiltinError('JWT is a JWE object, which is not supported');
  return h;
}

function decode(v: Value): Value {
  const t = splitToken(v);
  const header = decodeHeader(t);
  let p = b64(t.payload, 'payload').toString('utf8');
  const cty = objGet(header as never, 'cty');
  if (cty === 'JWT') {
    p = p.replace(/^["']+/, '').replace(/["']+$/, '');
    return decode(p);
  }
  const payload = jsonObject(p);
  const sig = b64(t.signature, 'signature').toString('hex');
  return [header, payload, sig];
}

// ---- header parsing (parseTokenHeader) ----

interface Header {
  alg: string;
  kid: string;
  cty: string;
  crit: Set<string>;
  unknown: string[];
}

function parseHeader(h: Value): Header {
  const out: Header = { alg: '', kid: '', cty: '', crit: new Set(), unknown: [] };
  objForEach(h as never, (k, v) => {
    const key = k as string;
    if (key === 'alg' || key === 'kid' || key === 'typ' || key === 'cty') {
      if (typeof v !== 'string') throw new BuiltinError(`${key}: must be a string`);
      if (key === 'alg') out.alg = v;
      else if (key === 'kid') out.kid = v;
      else if (key === 'cty') out.cty = v;
    } else if (key === 'crit') {
      if (!Array.isArray(v)) throw new BuiltinError('crit: must be a list');
      for (const c of v) if (typeof c === 'string') out.crit.add(c);
      if (out.crit.size === 0) throw new BuiltinError('crit: must be a nonempty list');
    } else out.unknown.push(key);
  });
  return out;
}

function headerValid(h: Header): boolean {
  if (h.alg === '') return false;
  for (const u of h.unknown) if (h.crit.has(u)) return false;
  return true;
}

// ---- verify_* ----

function verifyWith(alg: string) {
  return (args: Value[]): Value => {
    const t = splitToken(args[0]!);
    const keyText = str(args[1]!, 2);
    const signed = Buffer.from(t.header + '.' + t.payload, 'utf8');
    if (alg.startsWith('HS')) {
      const sig = b64(t.signature, 'signature');
      return jwsVerify(alg, Buffer.from(keyText, 'utf8'), signed, sig);
    }
    const keys = verificationKeys(keyText);
    const sig = base64UrlDecode(t.signature);
    const header = parseHeader(decodeHeader(t));
    if (header.kid !== '') {
      const k = keys.find((x) => x.kid === header.kid);
      if (k !== undefined) return jwsVerify(alg, k.key, signed, sig);
    }
    for (const k of keys) {
      if (k.alg !== '' && header.alg !== k.alg) continue;
      if (jwsVerify(alg, k.key, signed, sig)) return true;
    }
    return false;
  };
}

// ---- decode_verify ----

interface Constraints {
  secret: string;
  alg: string;
  iss: string;
  aud: string;
  keys: ReturnType<typeof verificationKeys> | null;
  time: number;
}

function numberOf(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof BigNum) return v.toNumber();
  return undefined;
}

function parseConstraints(o: Value, ctx: BuiltinContext): Constraints {
  const c: Constraints = { secret: '', alg: '', iss: '', aud: '', keys: null, time: -1 };
  objForEach(o as never, (k, v) => {
    const name = k as string;
    switch (name) {
      case 'cert':
        if (typeof v !== 'string') throw new BuiltinError('cert constraint: must be a string');
        c.keys = verificationKeys(v);
        break;
      case 'secret':
      case 'alg':
      case 'iss':
      case 'aud':
        if (typeof v !== 'string') throw new BuiltinError(`${name} constraint: must be a string`);
        c[name] = v;
        break;
      case 'time': {
        const n = numberOf(v);
        if (n === undefined) throw new BuiltinError('token time constraint: must be a number');
        if (n < 0) throw new BuiltinError('token time constraint: must not be negative');
        c.time = n;
        break;
      }
      default:
        throw new BuiltinError(`unknown token validation constraint: ${name}`);
    }
  });
  if (c.time === -1) c.time = Number(ctx.nowNs);
  const nkeys = (c.keys !== null ? 1 : 0) + (c.secret !== '' ? 1 : 0);
  if (nkeys > 1) throw new BuiltinError('duplicate key constraints');
  if (nkeys < 1) throw new BuiltinError('no key constraint');
  return c;
}

function constraintsVerify(c: Constraints, h: Header, signed: Buffer, sig: Buffer): boolean {
  if (c.keys !== null) {
    if (h.kid !== '') {
      const k = c.keys.find((x) => x.kid === h.kid);
      if (k !== undefined) return jwsVerify(h.alg, k.key, signed, sig);
    }
    for (const k of c.keys) {
      if (k.alg !== '' && h.alg !== k.alg) continue;
      if (jwsVerify(h.alg, k.key, signed, sig)) return true;
    }
    return false;
  }
  return ALGORITHMS.has(h.alg) && jwsVerify(h.alg, Buffer.from(c.secret, 'utf8'), signed, sig);
}

function unverified(): Value {
  return [false, new RObject(), new RObject()];
}

function validAudience(aud: Value, want: string): boolean {
  if (typeof aud === 'string') return aud === want;
  if (!Array.isArray(aud)) return false;
  return aud.some((x) => typeof x === 'string' && x === want);
}

function decodeVerify(args: Value[], ctx: BuiltinContext): Value {
  let tokenV = args[0]!;
  const o = args[1]!;
  if (!isObject(o)) throw operandTypeError(2, o, 'object');
  const c = parseConstraints(o, ctx);
  let header: Value;
  let payloadText: string;
  for (;;) {
    const t = splitToken(tokenV);
    header = decodeHeader(t);
    const h = parseHeader(header);
    if (!headerValid(h)) return unverified();
    if (c.alg !== '' && c.alg !== h.alg) return unverified();
    const sig = b64(t.signature, 'signature');
    if (!constraintsVerify(c, h, Buffer.from(t.header + '.' + t.payload, 'utf8'), sig)) return unverified();
    payloadText = b64(t.payload, 'payload').toString('utf8');
    if (h.cty.toUpperCase() === 'JWT') {
      tokenV = payloadText;
      continue;
    }
    break;
  }
  const payload = jsonObject(payloadText);
  const get = (k: string): Value | undefined => objGet(payload as never, k);
  if (c.iss !== '') {
    const iss = get('iss');
    if (iss === undefined || iss !== c.iss) return unverified();
  }
  const aud = get('aud');
  if (aud !== undefined) {
    if (!validAudience(aud, c.aud)) return unverified();
  } else if (c.aud !== '') return unverified();
  const nowSec = c.time / 1e9;
  const exp = get('exp');
  if (exp !== undefined) {
    const n = numberOf(exp);
    if (n === undefined) throw new BuiltinError('exp value must be a number');
    if (!(nowSec < n)) return unverified();
  }
  const nbf = get('nbf');
  if (nbf !== undefined) {
    const n = numberOf(nbf);
    if (n === undefined) throw new BuiltinError('nbf value must be a number');
    if (nowSec < n) return unverified();
  }
  return [true, header, payload];
}

// ---- encode ----

function headerAlg(headerText: string): { alg: string; typ: string | undefined } {
  const trimmed = headerText.trim();
  if (trimmed === '') throw new BuiltinError("missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string");
  let h: unknown;
  try {
    h = JSON.parse(headerText);
  } catch (e) {
    if (trimmed.startsWith('{')) throw new BuiltinError(`missing or invalid 'alg' header: cannot parse JSON: ${(e as Error).message}`);
    throw new BuiltinError(`missing or invalid 'alg' header: jwsbb: header "alg" not found`);
  }
  const obj = h !== null && typeof h === 'object' && !Array.isArray(h) ? (h as Record<string, unknown>) : {};
  if (typeof obj.alg !== 'string') throw new BuiltinError(`missing or invalid 'alg' header: jwsbb: header "alg" not found`);
  return { alg: obj.alg, typ: typeof obj.typ === 'string' ? obj.typ : undefined };
}

function isJSON(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function encodeSign(headerText: string, payloadText: string, jwkText: string): Value {
  const key = signingKey(jwkText);
  const { alg, typ } = headerAlg(headerText);
  if (!ALGORITHMS.has(alg)) throw new BuiltinError(`unknown JWS algorithm: ${alg}`);
  if ((typ === undefined || typ === 'JWT') && !isJSON(payloadText)) throw new BuiltinError('type is JWT but payload is not JSON');
  const signingInput =
    Buffer.from(headerText, 'utf8').toString('base64url') + '.' + Buffer.from(payloadText, 'utf8').toString('base64url');
  const sig = jwsSign(alg, key, Buffer.from(signingInput, 'utf8'));
  return signingInput + '.' + sig.toString('base64url');
}

export const builtins: BuiltinDef[] = [
  { name: 'io.jwt.decode', arity: 1, fn: (a) => decode(a[0]!) },
  { name: 'io.jwt.decode_verify', arity: 2, fn: decodeVerify },
  { name: 'io.jwt.verify_hs256', arity: 2, fn: verifyWith('HS256') },
  { name: 'io.jwt.verify_hs384', arity: 2, fn: verifyWith('HS384') },
  { name: 'io.jwt.verify_hs512', arity: 2, fn: verifyWith('HS512') },
  { name: 'io.jwt.verify_rs256', arity: 2, fn: verifyWith('RS256') },
  { name: 'io.jwt.verify_rs384', arity: 2, fn: verifyWith('RS384') },
  { name: 'io.jwt.verify_rs512', arity: 2, fn: verifyWith('RS512') },
  { name: 'io.jwt.verify_ps256', arity: 2, fn: verifyWith('PS256') },
  { name: 'io.jwt.verify_ps384', arity: 2, fn: verifyWith('PS384') },
  { name: 'io.jwt.verify_ps512', arity: 2, fn: verifyWith('PS512') },
  { name: 'io.jwt.verify_es256', arity: 2, fn: verifyWith('ES256') },
  { name: 'io.jwt.verify_es384', arity: 2, fn: verifyWith('ES384') },
  { name: 'io.jwt.verify_es512', arity: 2, fn: verifyWith('ES512') },
  { name: 'io.jwt.verify_eddsa', arity: 2, fn: verifyWith('EdDSA') },
  {
    name: 'io.jwt.encode_sign',
    arity: 3,
    nondeterministic: true,
    fn: (a) => encodeSign(marshalJSON(a[0]!), marshalJSON(a[1]!), marshalJSON(a[2]!)),
  },
  {
    name: 'io.jwt.encode_sign_raw',
    arity: 3,
    nondeterministic: true,
    fn: (a) => {
      const jwk = str(a[2]!, 3);
      return encodeSign(str(a[0]!, 1), str(a[1]!, 2), jwk);
    },
  },
];

export { constantTimeEqual };
