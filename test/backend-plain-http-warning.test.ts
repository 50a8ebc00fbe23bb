/**
 * An HTTP backend given a credential (bearerToken, headers or userinfo in its URL) over plain http
 * to another host sends that credential, and every call, readable by anyone on the network path;
 * `serve` said nothing about it (it warns for a plain-http JWKS URL). Now it warns at startup, one
 * line per such backend, naming the backend and never the credential. Real `serve`; the backends
 * are never reached (they are connected when a client session initializes).
 */
import { describe, expect, it } from 'vitest';
import { startServe, waitFor } from './helpers/proxy.js';

const WARNING = 'backend is reached over plain http on another host with a credential';

describe('plain-http backends with a credential', () => {
  it('serve warns for each, naming the backend and not the credential; https, loopback and credential-less backends are not warned about', async () => {
    const serve = await startServe(`
backends:
  - { name: cleartoken, transport: streamable-http, url: "http://192.0.2.1:9/mcp", bearerToken: tok-plain-0123456789 }
  - { name: cleartheader, transport: sse, url: "http://192.0.2.1:9/sse", headers: { x-api-key: hdr-plain-0123456789 } }
  - { name: userinfo, transport: streamable-http, url: "http://robot:pw-plain-0123456789@192.0.2.1:9/mcp" }
  - { name: tls, transport: streamable-http, url: "https://192.0.2.1:9/mcp", bearerToken: tok-tls-0123456789 }
  - { name: local, transport: streamable-http, url: "http://127.0.0.1:9/mcp", bearerToken: tok-local-0123456789 }
  - { name: localv6, transport: streamable-http, url: "http://[::1]:9/mcp", bearerToken: tok-local-0123456789 }
  - { name: open, transport: streamable-http, url: "http://192.0.2.1:9/open" }
auth: { anonymous: true }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`);
    try {
      // Logged (asynchronously) before the 'mcp-warden serving' line, which comes after listening.
      await waitFor(() => serve.stderr().includes('"msg":"mcp-warden serving"'), 30_000, 'the serving line');
      const warned = serve
        .stderr()
        .split('\n')
        .filter((l) => l.includes(WARNING))
        .map((l) => (JSON.parse(l) as { backend: string }).backend);
      expect(warned).toEqual(['cleartoken', 'cleartheader', 'userinfo']);
      expect(serve.stderr()).not.toMatch(/plain-0123456789/);
    } finally {
      await serve.stop();
    }
  });
});
