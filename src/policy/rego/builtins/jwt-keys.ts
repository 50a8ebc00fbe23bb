/**
 * JOSE key handling for io.jwt.* with synchronous node:crypto: verification keys from a PEM
 * certificate / public key or a JWK / JWKS (with kid and alg), signing keys from a JWK, and the
 * JWS sign / verify primitives per algorithm (HS*, RS*, PS*, ES* in IEEE P1363 form, EdDSA).
 */
import {
  X509Certificate,
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { BuiltinError } from './registry.js';

export const ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'EdDSA']);

export interface VerificationKey {
  key: KeyObject;
  alg: string;
  kid: string;
}

const PEM_RE = /^\s*-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----\r?\n?/;

function jwkKey(jwk: Record<string, unknown>, priv: boolean): KeyObject {
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw new Error('missing "k"');
    return createSecretKey(Buffer.from(jwk.k, 'base64url'));
  }
  const clean: Record<string, unknown> = {};
  for (const k of Object.keys(jwk)) if (typeof jwk[k] === 'string' || k === 'key_ops') clean[k] = jwk[k];
  delete clean.key_ops;
  if (priv) return createPrivateKey({ key: clean as never, format: 'jwk' });
  return createPublicKey({ key: clean as never, format: 'jwk' });
}

function parseJWKSet(text: string): Record<string, unknown>[] {
  const v = JSON.parse(text) as unknown;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('invalid JWK');
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.keys)) return o.keys as Record<string, unknown>[];
  if (typeof o.kty !== 'string') throw new Error('invalid key type');
  return [o];
}

const keyCache = new Map<string, VerificationKey[] | Error>();

/** OPA's getKeysFromCertOrJWK */
export function verificationKeys(material: string): VerificationKey[] {
  const cached = keyCache.get(material);
  if (cached !== undefined) {
    if (cached instanceof Error) throw new BuiltinError(cached.message);
    return cached;
  }
  let result: VerificationKey[] | Error;
  try {
    result = loadVerificationKeys(material);
  } catch (e) {
    result = e instanceof Error ? e : new Error(String(e));
  }
  if (keyCache.size > 256) keyCache.clear();
  keyCache.set(material, result);
  if (result instanceof Error) throw new BuiltinError(result.message);
  return result;
}

function loadVerificationKeys(material: string): VerificationKey[] {
  const m = PEM_RE.exec(material);
  if (m !== null) {
    if (material.slice(m[0].length).trim().length > 0) throw new Error('extra data after a PEM certificate block');
    if (m[1] === 'CERTIFICATE') {
      try {
        return [{ key: new X509Certificate(m[0]).publicKey, alg: '', kid: '' }];
      } catch (e) {
        throw new Error(`failed to parse a PEM certificate: ${(e as Error).message}`);
      }
    }
    if (m[1] === 'PUBLIC KEY') {
      try {
        return [{ key: createPublicKey(m[0]), alg: '', kid: '' }];
      } catch (e) {
        throw new Error(`failed to parse a PEM public key: ${(e as Error).message}`);
      }
    }
    throw new Error('failed to extract a Key from the PEM certificate');
  }
  let jwks: Record<string, unknown>[];
  try {
    jwks = parseJWKSet(material);
  } catch (e) {
    throw new Error(`failed to parse a JWK key (set): ${(e as Error).message}`);
  }
  const out: VerificationKey[] = [];
  for (const k of jwks) {
    const alg = typeof k.alg === 'string' ? k.alg : '';
    if (alg !== '' && !ALGORITHMS.has(alg)) continue;
    let key: KeyObject;
    try {
      key = jwkKey(k, false);
    } catch (e) {
      throw new Error(`failed to parse a JWK key (set): ${(e as Error).message}`);
    }
    out.push({ key, alg, kid: typeof k.kid === 'string' ? k.kid : '' });
  }
  return out;
}

/** the first key of a JWK / JWKS, as a signing key */
export function signingKey(jwkText: string): KeyObject {
  let jwks: Record<string, unknown>[];
  try {
    jwks = parseJWKSet(jwkText);
  } catch (e) {
    throw new BuiltinError(`failed to parse jwk: ${(e as Error).message}`);
  }
  if (jwks.length === 0) throw new BuiltinError('no keys found in JWK set');
  try {
    return jwkKey(jwks[0]!, jwks[0]!.kty !== 'oct');
  } catch (e) {
    throw new BuiltinError(`failed to parse jwk: ${(e as Error).message}`);
  }
}

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

function hashOf(alg: string): string {
  return HASH[alg.slice(2)] ?? 'sha256';
}

/** JWS signature of data with key for alg; throws on unsupported alg/key combinations */
export function jwsSign(alg: string, key: KeyObject, data: Buffer): Buffer {
  const fam = alg.slice(0, 2);
  switch (fam) {
    case 'HS':
      if (key.type !== 'secret') throw new BuiltinError(`invalid key type for ${alg}`);
      return createHmac(hashOf(alg), key).update(data).digest();
    case 'RS':
      return cryptoSign(hashOf(alg), data, key);
    case 'PS':
      return cryptoSign(hashOf(alg), data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    case 'ES':
      return cryptoSign(hashOf(alg), data, { key, dsaEncoding: 'ieee-p1363' });
    case 'Ed':
      return cryptoSign(null, data, key);
  }
  throw new BuiltinError(`unknown JWS algorithm: ${alg}`);
}

/** verifies a JWS signature; false on any mismatch of key type, algorithm or signature */
export function jwsVerify(alg: string, key: KeyObject | Buffer, data: Buffer, sig: Buffer): boolean {
  try {
    const fam = alg.slice(0, 2);
    if (fam === 'HS') {
      const secret = Buffer.isBuffer(key) ? key : key.type === 'secret' ? key.export() : null;
      if (secret === null) return false;
      const mac = createHmac(hashOf(alg), secret).update(data).digest();
      return mac.length === sig.length && timingSafeEqual(mac, sig);
    }
    if (Buffer.isBuffer(key) || key.type !== 'public') return false;
    const kt = key.asymmetricKeyType;
    switch (fam) {
      case 'RS':
        return kt === 'rsa' && cryptoVerify(hashOf(alg), data, key, sig);
      case 'PS':
        return (
          (kt === 'rsa' || kt === 'rsa-pss') &&
          cryptoVerify(hashOf(alg), data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig)
        );
      case 'ES':
        return kt === 'ec' && cryptoVerify(hashOf(alg), data, { key, dsaEncoding: 'ieee-p1363' }, normaliseEcSig(key, sig));
      case 'Ed':
        return kt === 'ed25519' && cryptoVerify(null, data, key, sig);
    }
    return false;
  } catch {
    return false;
  }
}

/** Go splits r||s in half whatever the length; P1363 wants both halves padded to the curve size */
function normaliseEcSig(key: KeyObject, sig: Buffer): Buffer {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const size = curve === 'secp384r1' || curve === 'P-384' ? 48 : curve === 'secp521r1' || curve === 'P-521' ? 66 : 32;
  if (sig.length === 2 * size) return sig;
  const n = Math.floor(sig.length / 2);
  const r = sig.subarray(0, n);
  const s = sig.subarray(n);
  const strip = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    return b.subarray(i);
  };
  const rr = strip(r);
  const ss = strip(s);
  if (rr.length > size || ss.length > size) return sig;
  return Buffer.concat([Buffer.alloc(size - rr.length), rr, Buffer.alloc(size - ss.length), ss]);
}
