/**
 * The environment variables warden.yaml reads credentials from. Secrets are meant to live in the
 * environment and be referenced as `${NAME}` (SECURITY.md), and a stdio backend inherits
 * mcp-warden's environment, so without this every stdio backend would also get the JWT secret (and
 * could mint tokens for any client), the audit chain key and every other backend's credentials.
 * Credential fields: auth.jwt.secret, auth.stdioApiKey, audit.chainKey, and of each backend its
 * bearerToken, headers, url and env. A reference anywhere in the first ones counts; in an env value
 * only a whole-value reference (`TOKEN: ${GITHUB_TOKEN}`, a variable handed to that one backend)
 * counts, not a piece of a composed value (`DIR: ${HOME}/x`). Read from the document before
 * interpolation; kept beside the validated config (secretEnvNames).
 */
import type { WardenConfig } from './schema.js';

/** The same `${NAME}` / `${NAME:-default}` syntax as load.ts interpolates. */
const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g;
const WHOLE_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$/;

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function addRefs(value: unknown, into: Set<string>): void {
  if (typeof value !== 'string') return;
  for (const m of value.matchAll(REF)) into.add(m[1]!);
}

/** Names of the variables the raw (not yet interpolated) document reads credentials from. */
export function secretEnvReferences(raw: unknown): Set<string> {
  const names = new Set<string>();
  const doc = record(raw);
  if (doc === undefined) return names;
  const auth = record(doc.auth);
  addRefs(record(auth?.jwt)?.secret, names);
  addRefs(auth?.stdioApiKey, names);
  addRefs(record(doc.audit)?.chainKey, names);
  const backends = Array.isArray(doc.backends) ? doc.backends : [];
  for (const entry of backends) {
    const backend = record(entry);
    if (backend === undefined) continue;
    addRefs(backend.bearerToken, names);
    addRefs(backend.url, names);
    for (const value of Object.values(record(backend.headers) ?? {})) addRefs(value, names);
    for (const value of Object.values(record(backend.env) ?? {})) {
      const whole = typeof value === 'string' ? WHOLE_REF.exec(value.trim()) : null;
      if (whole) names.add(whole[1]!);
    }
  }
  return names;
}

const byConfig = new WeakMap<WardenConfig, ReadonlySet<string>>();
const NONE: ReadonlySet<string> = new Set();

/** Called by validateConfig. */
export function rememberSecretEnv(config: WardenConfig, names: ReadonlySet<string>): void {
  byConfig.set(config, names);
}

/** The variables a validated config read credentials from (empty for a config built otherwise). */
export function secretEnvNames(config: WardenConfig): ReadonlySet<string> {
  return byConfig.get(config) ?? NONE;
}
