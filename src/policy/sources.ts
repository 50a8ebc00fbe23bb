/**
 * Finds what a policy config names: pack names (policies/<name>, following a pack.json `include`
 * list), .rego files, directories of them (test files `*_test.rego` are skipped: they are for
 * `policy test`), and for the wasm engine a bundle.tar.gz or policy.wasm. Reads data files (JSON
 * or YAML, the YAML as OPA reads a data file: go-yaml v2, YAML 1.1) and merges them, then the inline
 * `data`, into one data document. The content hash of everything read is the policy version
 * recorded with each decision.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyCompileError, type PolicySource } from './engine.js';
import { goYamlUnmarshal, toJSON } from './rego/index.js';

/** The packs shipped with mcp-warden (the repository's policies/ folder). */
export const BUILTIN_PACKS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../policies');

const PACK_NAME = /^[a-z0-9][a-z0-9_-]*$/;

export interface ResolvedPolicy {
  sources: PolicySource[];
  data: Record<string, unknown>;
  /** Files and folders to watch for changes. */
  watched: string[];
  /** Content hash of sources and data (first 16 hex digits of SHA-256). */
  version: string;
  /** How each configured entry was resolved, for the startup log. */
  described: string[];
}

export interface ResolveOptions {
  engine: 'rego' | 'wasm';
  baseDir: string;
  packsDir: string;
}

function listPacks(packsDir: string): string {
  try {
    return readdirSync(packsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
      .join(', ');
  } catch {
    return '(none)';
  }
}

function regoFilesIn(dir: string, out: string[], withTests = false): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) regoFilesIn(full, out, withTests);
    else if (entry.name.endsWith('.rego') && (withTests || !entry.name.endsWith('_test.rego'))) out.push(full);
  }
}

interface Collector {
  files: Set<string>;
  watched: Set<string>;
  packsSeen: Set<string>;
  options: ResolveOptions;
  /** Keep *_test.rego files too (`policy test <pack>`). */
  withTests?: boolean;
}

/** The names of the shipped packs, for messages. */
export function shippedPacks(packsDir: string = BUILTIN_PACKS_DIR): string {
  return listPacks(packsDir);
}

/**
 * The .rego files of a shipped pack and of the packs its pack.json includes, tests included, as
 * `policy check|eval|test <pack>` loads them: the pack's Rego as the proxy loads it for
 * `--policy <pack>`, with none of its data files (example-data.yaml is an example, not settings).
 * Undefined when `name` is not a shipped pack.
 */
export function packRegoFiles(name: string, packsDir: string = BUILTIN_PACKS_DIR): string[] | undefined {
  if (!PACK_NAME.test(name) || !existsSync(join(packsDir, name))) return undefined;
  const c: Collector = { files: new Set(), watched: new Set(), packsSeen: new Set(), options: { engine: 'rego', baseDir: packsDir, packsDir }, withTests: true };
  addPack(name, c, 'policy');
  return [...c.files];
}

function addDirectory(dir: string, c: Collector): void {
  c.watched.add(dir);
  const manifest = join(dir, 'pack.json');
  if (existsSync(manifest)) {
    c.watched.add(manifest);
    let parsed: { include?: unknown };
    try {
      parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { include?: unknown };
    } catch (err) {
      throw new PolicyCompileError(`${manifest}: invalid JSON: ${(err as Error).message}`);
    }
    const include = parsed.include ?? [];
    if (!Array.isArray(include) || include.some((x) => typeof x !== 'string')) {
      throw new PolicyCompileError(`${manifest}: "include" must be a list of pack names`);
    }
    for (const name of include as string[]) addPack(name, c, manifest);
  }
  const files: string[] = [];
  regoFilesIn(dir, files, c.withTests);
  for (const f of files) c.files.add(f);
}

function addPack(name: string, c: Collector, from: string): void {
  if (c.packsSeen.has(name)) return;
  c.packsSeen.add(name);
  const dir = join(c.options.packsDir, name);
  if (!PACK_NAME.test(name) || !existsSync(dir)) {
    throw new PolicyCompileError(`${from}: no policy pack named '${name}' (packs: ${listPacks(c.options.packsDir)})`);
  }
  addDirectory(dir, c);
}

/**
 * Resolves one configured entry: a bare name of a shipped pack is that pack (write ./name for a
 * folder of yours with the same name); anything else is a path relative to baseDir.
 */
function addEntry(entry: string, c: Collector): string {
  if (PACK_NAME.test(entry) && existsSync(join(c.options.packsDir, entry))) {
    addPack(entry, c, 'policy');
    return `${entry} (pack ${join(c.options.packsDir, entry)})`;
  }
  const path = resolve(c.options.baseDir, entry);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) {
      addDirectory(path, c);
      return `${entry} (directory ${path})`;
    }
    c.files.add(path);
    c.watched.add(path);
    return `${entry} (file ${path})`;
  }
  throw new PolicyCompileError(
    `policy '${entry}' not found: no file or directory ${path}, and no pack of that name (packs: ${listPacks(c.options.packsDir)})`,
  );
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Objects merge key by key (later wins inside); any other value replaces. */
export function mergeData(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    target[key] = isPlainObject(existing) && isPlainObject(value) ? mergeData({ ...existing }, value) : value;
  }
  return target;
}

function readDataFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyCompileError(`${path}: cannot read data file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let value: unknown;
  try {
    const ext = extname(path).toLowerCase();
    // YAML as OPA's loader reads it (yes/no booleans, 0755 octal, merge keys), big integers as JS numbers
    value = ext === '.yaml' || ext === '.yml' ? toJSON(goYamlUnmarshal(text)) : JSON.parse(text);
  } catch (err) {
    throw new PolicyCompileError(`${path}: invalid ${extname(path).slice(1).toUpperCase() || 'JSON'} data: ${(err as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new PolicyCompileError(`${path}: a data file must hold an object (its keys go under data)`);
  return value;
}

export function resolvePolicy(
  paths: readonly string[],
  dataFiles: readonly string[],
  inlineData: Record<string, unknown>,
  options: ResolveOptions,
): ResolvedPolicy {
  if (paths.length === 0) throw new PolicyCompileError('policy.paths is empty: name a pack or a policy file (the default is [default])');
  const c: Collector = { files: new Set(), watched: new Set(), packsSeen: new Set(), options };
  const described = paths.map((entry) => addEntry(entry, c));
  const hash = createHash('sha256');
  const sources: PolicySource[] = [];
  for (const path of c.files) {
    if (options.engine === 'wasm') {
      const bytes = readFileSync(path);
      hash.update(basename(path)).update('\0').update(bytes).update('\0');
      sources.push({ path, bytes });
    } else {
      if (!path.endsWith('.rego')) throw new PolicyCompileError(`${path}: not a .rego file (the rego engine loads .rego files and folders of them)`);
      const text = readFileSync(path, 'utf8');
      hash.update(basename(path)).update('\0').update(text).update('\0');
      sources.push({ path, text });
    }
  }
  if (sources.length === 0) throw new PolicyCompileError(`policy ${paths.join(', ')}: no policy files found (.rego, not *_test.rego)`);
  const data: Record<string, unknown> = {};
  for (const file of dataFiles) {
    const path = resolve(options.baseDir, file);
    c.watched.add(path);
    mergeData(data, readDataFile(path));
  }
  mergeData(data, inlineData);
  hash.update(JSON.stringify(data));
  return { sources, data, watched: [...c.watched], version: hash.digest('hex').slice(0, 16), described };
}
