/**
 * identity/: who is asking. API keys (stored as sha256 hashes, constant-time comparison, keys file
 * reloaded on change), JWTs verified with jose (secret, PEM key or JWKS; iss/aud/exp/nbf; roles
 * claim), verified TLS client certificates mapped to clients (client-certificates.ts), OAuth
 * protected-resource metadata and challenges (RFC 9728, MCP authorization 2025-11-25), anonymous
 * and local stdio identities, and the rule that a client's credential never
 * reaches a backend (backend-credentials.ts). cli/ calls createAuthenticator and hands the proxy
 * backendCredentialResolver (proxy/ and transport/ never import identity/); transports call
 * authenticate() once per HTTP request or stdio session.
 */
import type { AuthConfig } from '../config/auth.js';
import { WardenAuthenticator, type AuthenticatorOptions } from './authenticator.js';

export { WardenAuthenticator, API_KEY_ENV, type AuthenticatorOptions } from './authenticator.js';
export { backendCredentialResolver, backendEnvironment, backendRequestHeaders, stripClientCredentialHeaders, CLIENT_CREDENTIAL_ENV, CLIENT_CREDENTIAL_HEADERS } from './backend-credentials.js';
export { oauthMetadataPlugin, protectedResourceMetadata, type OAuthMetadataPluginOptions } from './oauth-metadata.js';
export { bearerChallenge, resourceMetadataUrl, WELL_KNOWN_PRM } from './challenge.js';
export { generateApiKey, hashApiKey, KEY_PREFIX } from './api-keys.js';
export { JwtConfigError } from './jwt.js';
export { loadJwksCa } from './jwks-ca.js';
export { KeysFileError } from './keys-file.js';
export { ApiKeyConfigError } from './key-store.js';

/**
 * Builds the authenticator for a config's `auth` section. Throws (KeysFileError, JwtConfigError)
 * when the section cannot work: a broken keys file or a public key that cannot be read.
 */
export function createAuthenticator(authConfig: AuthConfig, options: AuthenticatorOptions = {}): WardenAuthenticator {
  return new WardenAuthenticator(authConfig, options);
}
