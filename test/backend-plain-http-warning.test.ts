/**
 * An HTTP backend given a credential (bearerToken, headers or userinfo in its URL) over plain http
 * to another host sends that credential, and every call, readable by anyone on the network path;
 * `serve` said nothing about it (it warns for a plain-http JWKS URL). Now it warns at startup, one
 * line per such backend, naming the backend and never the credential; headers that are no
 * credential by their name (x-tenant, Accept-Language) are not warned about; a credential in the
 * URL's query string (api_key=…), or a header value that is an authentication scheme and its
 * credential under any name (Bearer …), or a password header, is. Real `serve`; the backends
 * are never reached (they are connected when a client session initializes).
 */
import { describe, expect, it } from 'vitest';
import { credentialHeader } from '../src/cli/commands/serve.js';
import { startServe, waitFor } from './helpers/proxy.js';

const WARNING = 'backend is reached over plain http on another host with a credential';

describe('plain-http backends with a credential', () => {
  it('a credential header is told by its name, whatever its case', () => {
    for (const name of ['Authorization', 'proxy-authorization', 'COOKIE', 'X-Api-Key', 'x-auth-token', 'X-Vault-Token', 'apikey', 'x-client-secret', 'X-Amz-Security-Token', 'x-goog-api-key', 'WWW-Authenticate-Hint', 'X-Password', 'db_passwd', 'x-pwd', 'X-Credential', 'x-session', 'X-Hub-Signature-256', 'x-jwt-assertion']) {
      expect(credentialHeader(name), name).toBe(true);
    }
    for (const name of ['x-tenant', 'Accept', 'Accept-Language', 'X-Request-Source', 'user-agent', 'x-trace-id', 'Keep-Alive', 'x-region']) {
      expect(credentialHeader(name), name).toBe(false);
    }
  });

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
  - { name: plainheaders, transport: streamable-http, url: "http://192.0.2.1:9/mcp", headers: { x-tenant: acme, Accept-Language: en, X-Request-Source: warden } }
  - { name: cookie, transport: streamable-http, url: "http://192.0.2.1:9/mcp", headers: { x-tenant: acme, Cookie: "sid=ck-plain-0123456789" } }
  - { name: authtoken, transport: sse, url: "http://192.0.2.1:9/sse", headers: { X-Auth-Token: at-plain-0123456789 } }
  - { name: clientsecret, transport: streamable-http, url: "http://192.0.2.1:9/mcp", headers: { X-CLIENT-SECRET: cs-plain-0123456789 } }
  - { name: proxyauth, transport: streamable-http, url: "http://192.0.2.1:9/mcp", headers: { Proxy-Authorization: "Basic pa-plain-0123456789" } }
  - { name: querytoken, transport: streamable-http, url: "http://192.0.2.1:9/mcp?tenant=acme&api_key=qk-plain-0123456789" }
  - { name: queryplain, transport: streamable-http, url: "http://192.0.2.1:9/mcp?tenant=acme&region=eu" }
  - { name: schemevalue, transport: streamable-http, url: "http://192.0.2.1:9/mcp", headers: { X-Upstream: "Bearer sv-plain-0123456789" } }
  - { name: password, transport: sse, url: "http://192.0.2.1:9/sse", headers: { X-Password: pw-plain-0123456789 } }
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
      // plainheaders (x-tenant, Accept-Language, X-Request-Source: no credential) was warned about too.
      // querytoken (a credential in the query string), schemevalue (Bearer under another name) and password were not.
      expect(warned).toEqual(['cleartoken', 'cleartheader', 'userinfo', 'cookie', 'authtoken', 'clientsecret', 'proxyauth', 'querytoken', 'schemevalue', 'password']);
      expect(serve.stderr()).not.toMatch(/plain-0123456789/);
    } finally {
      await serve.stop();
    }
  });
});
