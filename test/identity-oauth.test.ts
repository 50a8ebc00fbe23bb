import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { oauthSchema } from '../src/config/auth.js';
import { bearerChallenge, oauthMetadataPlugin, resourceMetadataUrl } from '../src/identity/index.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(oauth: unknown, extraPaths?: string[]): Promise<string> {
  app = Fastify();
  await app.register(oauthMetadataPlugin, { oauth: oauthSchema.parse(oauth), ...(extraPaths ? { extraPaths } : {}) });
  return app.listen({ host: '127.0.0.1', port: 0 });
}

describe('OAuth protected resource metadata (RFC 9728)', () => {
  it('is served at the root and at the path-suffixed well-known URL of the MCP endpoint', async () => {
    const base = await serve({ resource: 'https://warden.example/mcp', authorizationServers: ['https://auth.example/realms/x'], scopesSupported: ['mcp:tools'], resourceName: 'warden' }, ['/sse']);
    const expected = {
      resource: 'https://warden.example/mcp',
      authorization_servers: ['https://auth.example/realms/x'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp:tools'],
      resource_name: 'warden',
    };
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource/sse']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual(expected);
    }
    expect((await fetch(`${base}/.well-known/oauth-protected-resource/other`)).status).toBe(404);
  });

  it('metadata URL for a resource: well-known segment between host and path', () => {
    expect(resourceMetadataUrl('https://h.example/mcp')).toBe('https://h.example/.well-known/oauth-protected-resource/mcp');
    expect(resourceMetadataUrl('https://h.example:8443/public/mcp/')).toBe('https://h.example:8443/.well-known/oauth-protected-resource/public/mcp');
    expect(resourceMetadataUrl('https://h.example')).toBe('https://h.example/.well-known/oauth-protected-resource');
  });

  it('challenge quoting escapes quotes and backslashes', () => {
    expect(bearerChallenge({ error: 'invalid_token', description: 'a "b" \\c' })).toBe('Bearer realm="mcp-warden", error="invalid_token", error_description="a \\"b\\" \\\\c"');
  });

  it('config: the metadata needs at least one authorization server', () => {
    expect(oauthSchema.safeParse({ resource: 'https://x/mcp', authorizationServers: [] }).success).toBe(false);
  });
});
