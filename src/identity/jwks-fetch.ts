/**
 * The JWKS fetch with a bound on the answer's size (auth.jwt.jwksMaxBytes), handed to jose's remote
 * key set (its customFetch option): jose reads the whole body with response.json(), so a JWKS
 * endpoint (or anyone who can answer for a plain-http one) could make mcp-warden buffer an
 * unbounded answer, or stream one for as long as the fetch timeout allows. A Content-Length over
 * the bound, or a body that grows past it, ends the fetch with JwksTooLargeError; jose then keeps
 * the key set it had (a token signed by a known key still verifies until the set is older than
 * jwksCacheMaxAgeMs), and a token naming an unknown kid is refused (fail closed).
 */

export class JwksTooLargeError extends Error {
  override name = 'JwksTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the JWKS answer is larger than auth.jwt.jwksMaxBytes (${maxBytes} bytes)`);
  }
}

export function cappedFetch(maxBytes: number): (url: string, init: RequestInit) => Promise<Response> {
  return async (url, init) => {
    const response = await fetch(url, init);
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
    return new Response(Buffer.concat(chunks), { status: 200, headers: response.headers });
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
