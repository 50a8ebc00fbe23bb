/**
 * Fastify plugin serving OAuth 2.0 Protected Resource Metadata (RFC 9728) as the MCP authorization
 * spec (2025-11-25) asks of a protected MCP server: at the root well-known path and at the
 * path-suffixed variant for the resource's own path (e.g. /.well-known/oauth-protected-resource/mcp),
 * naming the configured authorization servers. Served without authentication.
 */
import type { FastifyInstance } from 'fastify';
import type { OAuthConfig } from '../config/auth.js';
import { WELL_KNOWN_PRM } from './challenge.js';

/** The RFC 9728 metadata document for our resource. */
export function protectedResourceMetadata(oauth: OAuthConfig): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    resource: oauth.resource,
    authorization_servers: oauth.authorizationServers,
    bearer_methods_supported: ['header'],
  };
  const scopes = oauth.scopesSupported ?? (oauth.requiredScopes.length > 0 ? oauth.requiredScopes : undefined);
  if (scopes) doc.scopes_supported = scopes;
  if (oauth.resourceName) doc.resource_name = oauth.resourceName;
  if (oauth.resourceDocumentation) doc.resource_documentation = oauth.resourceDocumentation;
  return doc;
}

export interface OAuthMetadataPluginOptions {
  oauth: OAuthConfig;
  /** Extra endpoint paths to serve the suffixed variant for (e.g. the SSE path); the resource's path always is. */
  extraPaths?: string[];
}

/** Registers GET routes for the metadata; use with `app.register(oauthMetadataPlugin, { oauth })`. */
export async function oauthMetadataPlugin(app: FastifyInstance, options: OAuthMetadataPluginOptions): Promise<void> {
  const body = JSON.stringify(protectedResourceMetadata(options.oauth));
  const resourcePath = new URL(options.oauth.resource).pathname.replace(/\/$/, '');
  const paths = new Set([WELL_KNOWN_PRM]);
  for (const p of [resourcePath, ...(options.extraPaths ?? [])]) {
    if (p && p !== '/') paths.add(`${WELL_KNOWN_PRM}${p.replace(/\/$/, '')}`);
  }
  for (const path of paths) {
    app.get(path, async (_request, reply) => {
      void reply.header('content-type', 'application/json').header('cache-control', 'public, max-age=3600').header('access-control-allow-origin', '*');
      return body;
    });
  }
}
