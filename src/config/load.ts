/**
 * Loads warden.yaml: parse YAML, interpolate ${ENV_VAR} (for secrets), validate with the schema.
 * Every error names the file, the key path and what was expected, in one line per problem.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { wardenConfigSchema, type WardenConfig } from './schema.js';
import { literalSecretFields, rememberSecretEnv, secretEnvReferences } from './secret-env.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `${file}: ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${NAME} and ${NAME:-default} in every string; a missing variable without default is an error. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: string[], problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, String(i)], problems));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, [...path, k], problems);
    return out;
  }
  return value;
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' || /^\d+$/.test(String(p)) ? `[${String(p)}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // A key left out reads 'Invalid input: expected string, received undefined': said as missing.
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `${formatPath(issue.path)}: missing (expected ${issue.expected})`;
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/** Why a file could not be read, in words (ENOENT alone told an operator little). */
export function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return code ?? String(err);
}

/** Validates an already-parsed object (used by tests and by `wrap`, which builds its config in code). */
export function validateConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = process.env): WardenConfig {
  const problems: string[] = [];
  const interpolated = interpolateEnv(raw ?? {}, env, [], problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  const parsed = wardenConfigSchema.safeParse(interpolated);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map(describeIssue));
  // The variables credentials came from: withheld from stdio backends' inherited environment.
  rememberSecretEnv(parsed.data, secretEnvReferences(raw), literalSecretFields(raw));
  return parsed.data;
}

export interface LoadedConfig {
  config: WardenConfig;
  file: string;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const abs = resolve(file);
  return { config: validateConfig(readYamlFile(file, abs), file, env), file: abs, baseDir: dirname(abs) };
}

/**
 * One section of warden.yaml, interpolated and validated on its own (with `members`, only those of
 * its members; the section's defaults fill in the rest). For the commands that read nothing else
 * (`keys`: auth.keysFile; `audit`: the audit section and policy.package), so that a variable they
 * do not need (a backend's token, the JWT secret) or a mistake in another section does not stop
 * them; `config check` and the proxy still validate the whole file.
 */
export function loadConfigSection<K extends keyof WardenConfig>(
  file: string,
  section: K,
  members?: string[],
  env: NodeJS.ProcessEnv = process.env,
): { value: WardenConfig[K]; file: string; baseDir: string } {
  const abs = resolve(file);
  const doc = readYamlFile(file, abs);
  const top = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  let raw = top[section];
  if (members !== undefined && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const whole = raw as Record<string, unknown>;
    raw = Object.fromEntries(members.filter((m) => m in whole).map((m) => [m, whole[m]]));
  }
  const problems: string[] = [];
  const interpolated = interpolateEnv(raw, env, [section], problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  const parsed = wardenConfigSchema.shape[section].safeParse(interpolated);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map((i) => describeIssue({ ...i, path: [section, ...i.path] })));
  return { value: parsed.data as WardenConfig[K], file: abs, baseDir: dirname(abs) };
}

/**
 * One value of warden.yaml at `path` (e.g. ['auth', 'jwt', 'sharedClientIds']), not validated:
 * `found` false when the file does not set it. Interpolated (its variables must be set) only with
 * `interpolate`; for commands that need a hint from a section they must not require whole (the
 * keys commands read whether auth.jwt is set without needing its secret).
 */
export function readConfigValue(file: string, path: string[], interpolate = true, env: NodeJS.ProcessEnv = process.env): { found: boolean; value: unknown } {
  let value = readYamlFile(file, resolve(file));
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !(key in value)) return { found: false, value: undefined };
    value = (value as Record<string, unknown>)[key];
  }
  if (!interpolate) return { found: true, value };
  const problems: string[] = [];
  const interpolated = interpolateEnv(value, env, path, problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { found: true, value: interpolated };
}

function readYamlFile(file: string, abs: string): unknown {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${readFailure(err)}`]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}invalid YAML: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  return doc.toJS();
}
