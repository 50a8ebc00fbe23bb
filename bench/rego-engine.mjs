/**
 * The Rego engine's own micro-benchmark (issue 4), as an extra of `npm run bench`: a typical authz
 * decision and a 1,000-rule policy through the prepared-rule fast path, against the same decision
 * written by hand in TypeScript in the same run. The code lives in src/policy/rego/bench.ts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../scripts/lib/procs.mjs';

export async function bench({ quick = false } = {}) {
  const built = path.join(ROOT, 'dist/policy/rego/bench.js');
  if (!existsSync(built)) return { skipped: 'not built', text: 'skipped: run `npm run build` first' };
  const mod = await import(pathToFileURL(built).href);
  return mod.bench({ quick });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log((await bench({ quick: process.argv.includes('--quick') })).text);
}
