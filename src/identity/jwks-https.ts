/**
 * The JWKS fetch for auth.jwt.jwksCaFile: a GET over node:https that trusts the given CA
 * certificate(s) only (not the system's CAs), in the shape of fetch() so that cappedFetch and jose
 * take it as they take the global one. Node's fetch cannot be handed a CA without undici's own
 * Agent, which is not a dependency of ours. Certificate verification is asked for explicitly
 * (rejectUnauthorized), so NODE_TLS_REJECT_UNAUTHORIZED=0 does not reach it. Redirects are not
 * followed (jose asks for redirect: "manual" and wants a 200). An abort (jose's timeout signal)
 * ends the request with the signal's reason, so jose tells a timeout as it does for fetch().
 */
import https from 'node:https';
import { Readable } from 'node:stream';

/** A fetch() for JWKS GETs that trusts `ca` (PEM) as its only trust anchors. */
export function fetchTrustingCa(ca: string): (url: string, init: RequestInit) => Promise<Response> {
  return (url, init) =>
    new Promise<Response>((resolveResponse, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const headers = Object.fromEntries(new Headers(init.headers));
      const req = https.request(url, { method: 'GET', headers, ca, rejectUnauthorized: true, agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          try {
            responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          } catch {
            // A header fetch() would not take either: left out (only content-length is read).
          }
        }
        if (status === 200) {
          resolveResponse(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, headers: responseHeaders }));
          return;
        }
        // Anything else is refused by jose without its body.
        res.resume();
        if (status < 200 || status > 599) reject(new Error(`the JWKS server answered HTTP status ${status}`));
        else resolveResponse(new Response(null, { status, headers: responseHeaders }));
      });
      const onAbort = (): void => {
        req.destroy();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal?.removeEventListener('abort', onAbort));
      req.on('error', reject);
      req.end();
    });
}
