/**
 * RFC 6750 / RFC 9728 pieces of a refusal: the protected-resource metadata URL for our resource and
 * the `WWW-Authenticate: Bearer ...` challenge a 401 (or an insufficient_scope 403) carries.
 */

export const WELL_KNOWN_PRM = '/.well-known/oauth-protected-resource';

/**
 * Metadata URL for a resource (RFC 9728 section 3.1): the well-known segment goes between the host
 * and the resource's path, so https://h/mcp has https://h/.well-known/oauth-protected-resource/mcp.
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}${WELL_KNOWN_PRM}${path}`;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export interface ChallengeParams {
  resourceMetadata?: string;
  scope?: string;
  error?: 'invalid_token' | 'invalid_request' | 'insufficient_scope';
  description?: string;
}

/** `Bearer realm="mcp-warden", resource_metadata="...", scope="...", error="...", error_description="..."`. */
export function bearerChallenge(params: ChallengeParams): string {
  let header = 'Bearer realm="mcp-warden"';
  if (params.resourceMetadata) header += `, resource_metadata=${quote(params.resourceMetadata)}`;
  if (params.scope) header += `, scope=${quote(params.scope)}`;
  if (params.error) {
    header += `, error=${quote(params.error)}`;
    if (params.description) header += `, error_description=${quote(params.description)}`;
  }
  return header;
}
