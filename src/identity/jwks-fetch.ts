/**
 * The JWKS fetch with a bound on the answer's size (auth.jwt.jwksMaxBytes), handed to jose's remote
 * key set (its customFetch option): jose reads the whole body with response.json(), so a JWKS
 * endpoint (or anyone who can answer for a plain-http one) could make mcp-warden buffer an
 * unbounded answer, or stream one for as long as the fetch timeout allows. A Content-Length over
 * the bound, or a body that grows past it, ends the fetch with JwksTooLargeError; jose then keeps
 * the key set it had (a token signed by a known key still verifies until the set is older than
 * jwksCacheMaxAgeMs), and a token naming an unknown kid is refused (fail closed).
 *
 * A TLS failure that is about the server's certificate (not trusted, not for the URL's host, not
 * valid now) ends the fetch with JwksUntrustedError, whose text names the fix (auth.jwt.jwksCaFile
 * for a private CA). The fetch itself is the global fetch(), or with jwksCaFile the one of
 * jwks-https.ts.
 *
 * A fetch that failed (no connection, timeout, an answer other than 200, too large, not a key set)
 * is not tried again before `retryAfterFailureMs` (auth.jwt.jwksCooldownMs) has passed:
 * JwksBackoffError instead, without a request. jose's cooldown counts from the last fetch that
 * worked only, and jose fetches whenever it holds no fresh key set: while the authorization server
 * failed (or before its first answer), every request carrying a JWT-shaped bearer (no valid
 * signature needed) was a fetch from it.
 */

export class JwksTooLargeError extends Error {
  override name = 'JwksTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the JWKS answer is larger than auth.jwt.jwksMaxBytes (${maxBytes} bytes)`);
  }
}

/** A JWKS fetch not made: the last one failed less than auth.jwt.jwksCooldownMs ago. */
export class JwksBackoffError extends Error {
  override name = 'JwksBackoffError';
  constructor() {
    super('the last JWKS fetch failed less than auth.jwt.jwksCooldownMs ago');
  }
}

/** TLS error codes that say the JWKS server's certificate does not chain to a trusted CA. */
const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);

/** A JWKS fetch ended by the server's certificate: `reason` is short (for the client), `message` names the fix (for the log). */
export class JwksUntrustedError extends Error {
  override name = 'JwksUntrustedError';
  constructor(
    readonly code: string,
    readonly reason: string,
    fix: string,
  ) {
    super(`${reason} (${code}): ${fix}`);
  }
}

/** The JwksUntrustedError for a failed fetch's error (fetch() puts the TLS error in `cause`), or undefined. */
function untrusted(err: unknown, caFile: boolean): JwksUntrustedError | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : '';
  if (UNTRUSTED.has(code)) {
    const fix = caFile ? 'auth.jwt.jwksCaFile does not hold the CA that signed it' : 'set auth.jwt.jwksCaFile to the CA that signed it (an identity provider with a private CA)';
    return new JwksUntrustedError(code, "the JWKS server's certificate is not trusted", fix);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new JwksUntrustedError(code, "the JWKS server's certificate is not for the host of auth.jwt.jwksUrl", 'use the name its certificate carries in jwksUrl');
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return new JwksUntrustedError(code, "the JWKS server's certificate is not valid now", 'the identity provider must renew it (or this host\'s clock is wrong)');
  return undefined;
}

/** Whether a body is a JSON Web Key Set as jose takes one (an object whose `keys` are objects). */
function isKeySet(body: Buffer): boolean {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return false;
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  return typeof value === 'object' && value !== null && Array.isArray(keys) && keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k));
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** `fetchImpl`: the global fetch(), or jwks-https.ts's with auth.jwt.jwksCaFile (`caFile` true: the error texts say so). */
export function cappedFetch(maxBytes: number, retryAfterFailureMs = 0, fetchImpl: Fetch = fetch, caFile = false): Fetch {
  /** When the last fetch failed, or undefined after one that worked. */
  let failedAt: number | undefined;
  return async (url, init) => {
    if (failedAt !== undefined && Date.now() - failedAt < retryAfterFailureMs) throw new JwksBackoffError();
    failedAt = Date.now();
    let response: Response;
    try {
      response = await fetchImpl(url, init);
    } catch (err) {
      throw untrusted(err, caFile) ?? err;
    }
    // jose refuses anything but 200 itself, without reading the body.
    if (response.status !== 200 || response.body === null) return response;
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new JwksTooLargeError(maxBytes);
    }
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new JwksTooLargeError(maxBytes);
      }
      chunks.push(value);
    }
    const body = Buffer.concat(chunks);
    // jose refuses what is not a key set itself: a failure all the same.
    if (isKeySet(body)) failedAt = undefined;
    return new Response(body, { status: 200, headers: response.headers });
  };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Whether a JWKS URL is plain http to a host other than this machine (its keys can be swapped on the way). */
export function plainHttpToRemote(url: URL): boolean {
  return url.protocol === 'http:' && !LOOPBACK.test(url.hostname);
}

/** The URL without userinfo, query or fragment: safe to log. */
export function loggableUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
