/**
 * JWT verification with jose: HS256/384/512 with a shared secret, RS/PS/ES/EdDSA with a PEM public
 * key or a remote JWKS (fetched, cached, refetched on an unknown kid, with a timeout and a size bound; over
 * https trusting auth.jwt.jwksCaFile instead of the system's CAs when it is set). iss, aud,
 * exp, nbf and iat (not in the future) are checked with a clock skew, and a token without exp is refused (unless
 * auth.jwt.requireExp is false); "none" and any algorithm outside the allowlist are refused; a `typ`
 * outside auth.jwt.acceptedTypes (a token minted for another purpose) is refused. Failures become a short reason that never contains the token.
 */
import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig, OAuthConfig } from '../config/auth.js';
import { claimRoles, claimString } from './claims.js';
import { loadJwksCa } from './jwks-ca.js';
import { cappedFetch, JwksBackoffError, JwksTooLargeError, JwksUntrustedError } from './jwks-fetch.js';
import { fetchTrustingCa } from './jwks-https.js';
import { JwtConfigError } from './jwt-config-error.js';

const HMAC = ['HS256', 'HS384', 'HS512'];
const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC = ['ES256', 'ES384', 'ES512'];
const OKP = ['EdDSA', 'Ed25519'];

export type JwtOutcome =
  | { ok: true; claims: JWTPayload; clientId: string; name: string; roles: string[]; credentialId?: string }
  /** unavailable: the token could not be checked (JWKS down); the client is still refused. detail: for the log only (names the fix). */
  | { ok: false; reason: string; unavailable?: boolean; detail?: string };

export { JwtConfigError };

function algorithmsForKey(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return RSA;
    case 'ec':
      return EC;
    case 'ed25519':
      return OKP;
    default:
      throw new JwtConfigError(`auth.jwt.publicKey: unsupported key type ${String(key.asymmetricKeyType)}`);
  }
}

function loadPublicKey(value: string, baseDir: string): KeyObject {
  const pem = value.includes('-----BEGIN') ? value : readPem(resolve(baseDir, value));
  try {
    return createPublicKey(pem);
  } catch (err) {
    throw new JwtConfigError(`auth.jwt.publicKey: not a PEM public key (${(err as Error).message})`);
  }
}

function readPem(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new JwtConfigError(`auth.jwt.publicKey: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * The shared secret as one HMAC CryptoKey per algorithm, imported once: jose would otherwise import
 * the raw bytes on every verification (about a third of an HS256 check).
 */
function hmacKeyResolver(secret: Uint8Array): JWTVerifyGetKey {
  const keys = new Map<string, Promise<webcrypto.CryptoKey>>();
  return (header) => {
    const alg = header.alg ?? '';
    if (!HMAC.includes(alg)) return secret; // jose refuses the algorithm or the key type itself
    let key = keys.get(alg);
    if (key === undefined) {
      key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify']);
      keys.set(alg, key);
    }
    return key;
  };
}

function failure(err: unknown): { ok: false; reason: string; unavailable?: boolean; detail?: string } {
  if (err instanceof JwksUntrustedError) return { ok: false, reason: `token signing keys unavailable (${err.reason})`, unavailable: true, detail: err.message };
  if (err instanceof JwksTooLargeError) return { ok: false, reason: 'token signing keys unavailable (key set over auth.jwt.jwksMaxBytes)', unavailable: true };
  if (err instanceof JwksBackoffError) return { ok: false, reason: 'token signing keys unavailable (the last key set fetch failed; tried again after auth.jwt.jwksCooldownMs)', unavailable: true };
  const e = err as { code?: string; claim?: string; reason?: string; name?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return { ok: false, reason: 'token expired' };
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'aud') return { ok: false, reason: 'token audience not accepted' };
      if (e.claim === 'iss') return { ok: false, reason: 'token issuer not accepted' };
      if (e.claim === 'nbf') return { ok: false, reason: 'token not yet valid' };
      if (e.claim === 'exp' && e.reason === 'missing') return { ok: false, reason: 'token has no expiry (exp claim)' };
      return { ok: false, reason: `token claim ${e.claim ?? '?'} invalid` };
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return { ok: false, reason: 'token signature invalid' };
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return { ok: false, reason: 'token algorithm not allowed' };
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return { ok: false, reason: 'malformed token' };
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return { ok: false, reason: 'token signing key not found' };
    case 'ERR_JWKS_TIMEOUT':
      return { ok: false, reason: 'token signing keys unavailable (key set fetch timed out)', unavailable: true };
    case 'ERR_JWKS_INVALID':
      return { ok: false, reason: 'token signing keys unavailable (invalid key set)', unavailable: true };
    default:
      // Network errors and non-200 answers from the JWKS endpoint end here: refuse, never crash.
      return { ok: false, reason: 'token could not be verified (signing keys unavailable)', unavailable: true };
  }
}

/** A `typ` value as compared: lower case, without the "application/" prefix RFC 7515 4.1.9 lets senders omit. */
function typeKey(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** Echoed in the refusal only when it is short and plainly a media type (it is the client's input). */
const SHOWN_TYP = /^[A-Za-z0-9][A-Za-z0-9._+/-]{0,39}$/;

export class JwtVerifier {
  private readonly key: Uint8Array | KeyObject | JWTVerifyGetKey;
  private readonly types: ReadonlySet<string>;
  private readonly options: { issuer?: string | string[]; audience: string | string[]; algorithms: string[]; clockTolerance: number; requiredClaims?: string[] };

  constructor(
    private readonly config: JwtConfig,
    oauth: OAuthConfig | undefined,
    baseDir: string,
    /** Told what is weaker than it should be (a group-writable auth.jwt.jwksCaFile). */
    warn?: (text: string) => void,
  ) {
    let allowed: string[];
    if (config.secret !== undefined) {
      this.key = hmacKeyResolver(new TextEncoder().encode(config.secret));
      allowed = HMAC;
    } else if (config.publicKey !== undefined) {
      const key = loadPublicKey(config.publicKey, baseDir);
      this.key = key;
      allowed = algorithmsForKey(key);
    } else {
      this.key = createRemoteJWKSet(new URL(config.jwksUrl!), {
        timeoutDuration: config.jwksTimeoutMs,
        cooldownDuration: config.jwksCooldownMs,
        cacheMaxAge: config.jwksCacheMaxAgeMs,
        [customFetch]:
          config.jwksCaFile === undefined
            ? cappedFetch(config.jwksMaxBytes, config.jwksCooldownMs)
            : cappedFetch(config.jwksMaxBytes, config.jwksCooldownMs, fetchTrustingCa(loadJwksCa(config.jwksCaFile, baseDir, warn)), true),
      });
      allowed = [...RSA, ...EC, ...OKP];
    }
    const algorithms = config.algorithms ?? allowed;
    const misfit = algorithms.filter((a) => !allowed.includes(a));
    if (misfit.length > 0) {
      throw new JwtConfigError(`auth.jwt.algorithms: ${misfit.join(', ')} cannot be used with the configured key (allowed: ${allowed.join(', ')})`);
    }
    const audience = config.audience ?? oauth?.resource;
    if (audience === undefined) throw new JwtConfigError('auth.jwt.audience: required (or set auth.oauth.resource)');
    this.options = { audience, algorithms, clockTolerance: config.clockSkewSec };
    // A token without exp would never expire (jose checks exp only when present).
    if (config.requireExp !== false) this.options.requiredClaims = ['exp'];
    if (config.issuer !== undefined) this.options.issuer = config.issuer;
    this.types = new Set(config.acceptedTypes.map(typeKey));
  }

  /** The refusal reason for the token's `typ` header, or undefined when it is accepted. */
  private typeRefusal(typ: unknown): string | undefined {
    const accepted = `accepted: ${this.config.acceptedTypes.join(', ')}${this.config.requireTyp ? '' : ', or none'}`;
    if (typ === undefined) return this.config.requireTyp ? `token has no type (typ header; ${accepted})` : undefined;
    if (typeof typ === 'string' && this.types.has(typeKey(typ))) return undefined;
    const shown = typeof typ === 'string' && SHOWN_TYP.test(typ) ? ` '${typ}'` : ''; // RFC 6750: no '"' in error_description
    return `token type${shown} not accepted: not an access token (typ header; ${accepted})`;
  }

  async verify(token: string): Promise<JwtOutcome> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none') {
        return { ok: false, reason: 'unsigned token (alg none) refused' };
      }
      kid = header.kid;
    } catch {
      return { ok: false, reason: 'malformed token' };
    }
    let payload: JWTPayload;
    try {
      // The overloads differ only by key type; both take the same options.
      const result = typeof this.key === 'function' ? await jwtVerify(token, this.key, this.options) : await jwtVerify(token, this.key, this.options);
      payload = result.payload;
      // Checked once the signature holds: a token the issuer signed for another purpose (a DPoP
      // proof, a logout or security event token) is not a credential for this resource.
      const typRefusal = this.typeRefusal(result.protectedHeader.typ);
      if (typRefusal !== undefined) return { ok: false, reason: typRefusal };
    } catch (err) {
      return failure(err);
    }
    // jose checks iat only with maxTokenAge (which would also make it required): a token "issued"
    // after now is refused here, with the same skew as exp and nbf (an issuer with a clock far ahead,
    // or a token minted to outlive a later key rotation or revocation).
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + this.config.clockSkewSec) {
      return { ok: false, reason: 'token issued in the future (iat)' };
    }
    const clientId = claimString(payload, this.config.clientIdClaim);
    if (clientId === undefined) return { ok: false, reason: `token has no ${this.config.clientIdClaim} claim` };
    const outcome: JwtOutcome = {
      ok: true,
      claims: payload,
      clientId,
      name: claimString(payload, this.config.nameClaim) ?? clientId,
      roles: claimRoles(payload, this.config.rolesClaim),
    };
    const credentialId = typeof payload.jti === 'string' ? payload.jti : kid;
    if (credentialId !== undefined) outcome.credentialId = credentialId;
    return outcome;
  }
}
