/**
 * Runs a pack's `*_test.rego` unit tests through the Rego engine's API, as `mcp-warden policy test`
 * does: every rule named test_* in the loaded modules passes when it evaluates to true. Loads the
 * pack's own files, the packs its pack.json includes, and its tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicy } from '../../src/policy/rego/index.js';

export interface RegoTestResult {
  name: string;
  passed: boolean;
  error?: string;
}

function regoFiles(dir: string, out: { file: string; source: string }[], seen: Set<string>): void {
  if (seen.has(dir)) return;
  seen.add(dir);
  const manifest = join(dir, 'pack.json');
  if (existsSync(manifest)) {
    const include = (JSON.parse(readFileSync(manifest, 'utf8')) as { include?: string[] }).include ?? [];
    for (const name of include) regoFiles(join(dir, '..', name), out, seen);
  }
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.rego')) out.push({ file: join(dir, name), source: readFileSync(join(dir, name), 'utf8') });
  }
}

export function runRegoTests(packDir: string): RegoTestResult[] {
  const files: { file: string; source: string }[] = [];
  regoFiles(packDir, files, new Set());
  const policy = compilePolicy(files, { data: {} });
  const results: RegoTestResult[] = [];
  for (const mod of policy.modules) {
    const pkg = mod.pkg.join('.');
    for (const rule of mod.rules) {
      const head = rule.ref[0];
      const name = head && head.t === 'const' ? String(head.v) : '';
      if (!name.startsWith('test_') || rule.ref.length !== 1) continue;
      const ref = `data.${pkg}.${name}`;
      try {
        const value = policy.prepareRule(ref).eval(undefined);
        results.push({ name: ref, passed: value === true });
      } catch (err) {
        results.push({ name: ref, passed: false, error: (err as Error).message });
      }
    }
  }
  return results;
}
