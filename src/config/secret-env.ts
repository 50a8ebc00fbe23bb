/**
 * The environment variables warden.yaml reads credentials from. Secrets are meant to live in the
 * environment and be referenced as `${NAME}` (SECURITY.md), and a stdio backend inherits
 * mcp-warden's environment, so without this every stdio backend would also get the JWT secret (and
 * could mint tokens for any client), the audit chain key and every other backend's credentials.
 * Credential fields: auth.jwt.secret, auth.stdioApiKey, audit.chainKey, and of each backend its
 * bearerToken, headers, url and env. A reference anywhere in the first ones counts; in an env value
 * only a whole-value reference (`TOKEN: ${GITHUB_TOKEN}`, a variable handed to that one backend)
 * counts, not a piece of a composed value (`DIR: ${HOME}/x`). Read from the document before
 * interpolation; kept beside the validated config (secretEnvNames). Also kept: which of the
 * first ones are written into the file itself rather than referenced (literalSecrets), so that a
 * config file holding one is checked as a secret file is (cli/config-trust.ts).
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

/**
 * Credential settings whose value is written in the raw document itself, not wholly one `${NAME}`
 * reference: auth.jwt.secret, auth.stdioApiKey, audit.chainKey, backends[i].bearerToken.
 */
export function literalSecretFields(raw: unknown): string[] {
  const fields: string[] = [];
  const check = (path: string, value: unknown) => {
    if (typeof value === 'string' && value !== '' && !WHOLE_REF.test(value.trim())) fields.push(path);
  };
  const doc = record(raw);
  if (doc === undefined) return fields;
  const auth = record(doc.auth);
  check('auth.jwt.secret', record(auth?.jwt)?.secret);
  check('auth.stdioApiKey', auth?.stdioApiKey);
  check('audit.chainKey', record(doc.audit)?.chainKey);
  (Array.isArray(doc.backends) ? doc.backends : []).forEach((entry, i) => check(`backends[${i}].bearerToken`, record(entry)?.bearerToken));
  return fields;
}

const byConfig = new WeakMap<WardenConfig, ReadonlySet<string>>();
const literalByConfig = new WeakMap<WardenConfig, readonly string[]>();
const NONE: ReadonlySet<string> = new Set();

/** Called by validateConfig. */
export function rememberSecretEnv(config: WardenConfig, names: ReadonlySet<string>, literal: readonly string[] = []): void {
  byConfig.set(config, names);
  literalByConfig.set(config, literal);
}

/** The credential settings a validated config holds written into its file (literalSecretFields). */
export function literalSecrets(config: WardenConfig): readonly string[] {
  return literalByConfig.get(config) ?? [];
}

/** The variables a validated config read credentials from (empty for a config built otherwise). */
export function secretEnvNames(config: WardenConfig): ReadonlySet<string> {
  return byConfig.get(config) ?? NONE;
}
