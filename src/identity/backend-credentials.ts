/**
 * What mcp-warden sends to a backend: its own configured credential, never the client's. For HTTP
 * backends the outgoing headers are the backend's `headers` plus `Authorization: Bearer
 * <bearerToken>`; client credential headers (Authorization, X-API-Key, Cookie, Proxy-Authorization)
 * are never copied from the client's request. For stdio backends the child's environment is
 * mcp-warden's own minus the client credential variables (MCP_WARDEN_API_KEY), plus the backend's
 * configured `env`. backendCredentialResolver() bundles both for cli/ to hand to the proxy, so that
 * proxy/ and transport/ never import this module.
 */
import type { HttpBackendConfig, StdioBackendConfig } from '../config/backends.js';
import type { BackendCredentialResolver, BackendCredentials } from '../types.js';

/** Environment variable a stdio client's API key arrives in (wrap / serve's stdio frontend). */
export const API_KEY_ENV = 'MCP_WARDEN_API_KEY';

/** Request headers that carry a client's credential; stripped from anything forwarded. */
export const CLIENT_CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'x-api-key', 'cookie', 'proxy-authorization']);

const NO_NAMES: ReadonlySet<string> = new Set();

/** Environment variables that carry a client's credential; never inherited by a backend. */
export const CLIENT_CREDENTIAL_ENV: readonly string[] = [API_KEY_ENV, 'MCP_WARDEN_TOKEN', 'MCP_WARDEN_ADMIN_TOKEN'];

/**
 * Headers for requests to an HTTP backend: the backend's configured headers and bearer token.
 * `passthrough` (optional) are client request headers the caller wants to forward (e.g. tracing);
 * credential headers among them are dropped, and configured headers always win.
 */
export function backendRequestHeaders(
  backend: Pick<HttpBackendConfig, 'headers' | 'bearerToken'>,
  passthrough?: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (passthrough) {
    for (const [name, value] of Object.entries(passthrough)) {
      if (value === undefined || CLIENT_CREDENTIAL_HEADERS.has(name.toLowerCase())) continue;
      out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  for (const [name, value] of Object.entries(backend.headers)) out[name.toLowerCase()] = value;
  if (backend.bearerToken !== undefined) out.authorization = `Bearer ${backend.bearerToken}`;
  return out;
}

/** Removes client credential headers from a header object (in place) and returns it. */
export function stripClientCredentialHeaders<T extends Record<string, unknown>>(headers: T): T {
  for (const name of Object.keys(headers)) {
    if (CLIENT_CREDENTIAL_HEADERS.has(name.toLowerCase())) delete headers[name];
  }
  return headers;
}

/**
 * Environment for a stdio backend's child process: `base` (default process.env) minus the client
 * credential variables and minus `withheld` (the variables warden.yaml reads its own secrets from:
 * config/secret-env.ts), plus the backend's configured env (which may set anything explicitly).
 */
export function backendEnvironment(
  backend: Pick<StdioBackendConfig, 'env'>,
  base: NodeJS.ProcessEnv = process.env,
  withheld: ReadonlySet<string> = NO_NAMES,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !CLIENT_CREDENTIAL_ENV.includes(name) && !withheld.has(name)) out[name] = value;
  }
  for (const [name, value] of Object.entries(backend.env)) out[name] = value;
  return out;
}

const NONE: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The credentials of each backend as the proxy needs them: a stdio backend gets its child
 * environment from `base` (default process.env, read when the resolver is called) without the
 * `withheld` variables, an HTTP backend its request headers.
 */
export function backendCredentialResolver(base?: NodeJS.ProcessEnv, withheld?: ReadonlySet<string>): BackendCredentialResolver {
  return (backend): BackendCredentials =>
    backend.transport === 'stdio'
      ? { headers: NONE, env: backendEnvironment(backend, base ?? process.env, withheld) }
      : { headers: backendRequestHeaders(backend), env: NONE };
}
