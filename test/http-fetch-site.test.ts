/**
 * The Origin check misses the cross-site requests browsers make without an Origin header: a page
 * on any site could point an <img> or <script> (or a link) at the legacy SSE path of a local
 * mcp-warden, and each such GET opened a session (on an anonymous `serve`, the embedded default,
 * under client "anonymous", counting against its sessions). Browsers mark those requests with
 * Sec-Fetch-Site; one that says `cross-site` or `same-site` and has no Origin is now refused (403)
 * like a foreign Origin, before any session. Non-browser clients (no Sec-Fetch-* headers), same-origin
 * requests, typed-in navigations (`none`) and CORS requests from an allowed origin are unchanged.
 * Real listening frontend and sockets.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MCP_HEADERS, initializeBody, raw, startFrontend, type StartedFrontend } from './helpers/http-fixture.js';

let started: StartedFrontend | undefined;
afterEach(async () => {
  await started?.frontend.close();
  started = undefined;
});

/** The status of a GET (an SSE stream is not read: the connection is dropped once the head came). */
function getStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'GET', headers, agent: false }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

/** What a browser sends for <script src="http://127.0.0.1:…/sse"> on another site: no Origin. */
const scriptTag = (site: string) => ({ accept: '*/*', 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' });

describe('browser requests without an Origin (Sec-Fetch-Site)', () => {
  it.each(['cross-site', 'same-site'])('a %s no-cors GET of the SSE path is refused with 403 and opens no session', async (site) => {
    started = await startFrontend();
    expect(await getStatus(started.sseUrl, scriptTag(site))).toBe(403);
    expect(started.acceptor.sessions).toHaveLength(0);
  });

  it('a cross-site POST without an Origin is refused too', async () => {
    started = await startFrontend();
    const res = await raw(started.url, { headers: { ...MCP_HEADERS, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }, body: initializeBody() });
    expect(res.status).toBe(403);
    expect(res.json().error.message).toMatch(/cross-site browser request without an Origin header/);
    expect(started.acceptor.sessions).toHaveLength(0);
  });

  it('non-browser clients, same-origin and typed-in requests, and CORS requests from an allowed origin are served', async () => {
    started = await startFrontend();
    expect(await getStatus(started.sseUrl, { accept: 'text/event-stream' })).toBe(200);
    expect(await getStatus(started.sseUrl, { accept: 'text/event-stream', 'sec-fetch-site': 'same-origin' })).toBe(200);
    expect(await getStatus(started.sseUrl, { accept: 'text/event-stream', 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' })).toBe(200);
    const cors = await raw(started.url, { headers: { ...MCP_HEADERS, origin: 'http://localhost:5173', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' }, body: initializeBody() });
    expect(cors.status).toBe(200);
  });

  it('allowedOrigins ["*"] lets them through', async () => {
    started = await startFrontend({ allowedOrigins: ['*'] });
    expect(await getStatus(started.sseUrl, scriptTag('cross-site'))).toBe(200);
  });
});
