/** Loading OPA conformance case files (YAML) and their tiers (INDEX.tsv). */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

export interface Case {
  note: string;
  query: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_result?: Record<string, unknown>[];
  want_error_code?: string;
  want_error?: string;
  sort_bindings?: boolean;
  strict_error?: boolean;
  ignore_generated_vars?: boolean;
}

export interface CaseFile {
  /** path relative to the folder (topic/file.yaml) */
  file: string;
  topic: string;
  tier: string;
  cases: Case[];
}

export function readTiers(folder: string): Map<string, string> {
  const tiers = new Map<string, string>();
  const idx = join(folder, 'INDEX.tsv');
  if (!existsSync(idx)) return tiers;
  const lines = readFileSync(idx, 'utf8').split('\n');
  const header = lines[0]!.split('\t');
  const ti = header.indexOf('tier');
  const fi = header.indexOf('folder');
  for (const l of lines.slice(1)) {
    if (!l.trim()) continue;
    const cols = l.split('\t');
    tiers.set(cols[fi < 0 ? 0 : fi]!, cols[ti < 0 ? 3 : ti]!);
  }
  return tiers;
}

export function loadCaseFiles(folder: string): CaseFile[] {
  const tiers = readTiers(folder);
  const out: CaseFile[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(p).isDirectory()) walk(p, r);
      else if (/\.ya?ml$/.test(name)) {
        const topic = r.includes('/') ? r.split('/')[0]! : '.';
        const doc = YAML.parse(readFileSync(p, 'utf8'), { intAsBigInt: true }) as { cases?: Case[] } | null;
        out.push({ file: r, topic, tier: tiers.get(topic) ?? '?', cases: doc?.cases ?? [] });
      }
    }
  };
  walk(folder, '');
  return out;
}
