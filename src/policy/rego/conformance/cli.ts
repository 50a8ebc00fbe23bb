#!/usr/bin/env node
/**
 * `npm run conformance:rego -- [FOLDER] [--json FILE] [--topic NAME] [--verbose] [--codegen]`: runs OPA case
 * files (default ../shared/opa-cases relative to the repo root) and prints pass/fail/skip per topic
 * and per tier; --json writes the report; --codegen runs each query through the JavaScript the code
 * generator makes of it (rego/codegen/), skipping (with the reason) the queries it does not compile.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFolder } from './runner.js';

function main(argv: string[]): void {
  let folder: string | undefined;
  let json: string | undefined;
  let topic: string | undefined;
  let verbose = false;
  let codegen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = argv[++i];
    else if (a === '--topic') topic = argv[++i];
    else if (a === '--verbose' || a === '-v') verbose = true;
    else if (a === '--codegen') codegen = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else folder = a;
  }
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  const dir = resolve(folder ?? resolve(repoRoot, '../shared/opa-cases'));
  if (!existsSync(dir)) {
    throw new Error(
      `OPA conformance cases not found: ${dir} does not exist (${folder === undefined ? 'the default, ../shared/opa-cases beside the repository' : 'the folder given'}); ` +
        'give the folder of case files: npm run conformance:rego -- /path/to/opa-cases',
    );
  }
  const { report, results } = runFolder(dir, topic ? (f) => f.topic === topic : undefined, codegen);
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('topic', 40)} tier  pass  fail  skip`);
  for (const [name, t] of Object.entries(report.topics).sort()) {
    console.log(`${pad(name, 40)} ${pad(t.tier, 5)} ${String(t.passed).padStart(4)}  ${String(t.failed).padStart(4)}  ${String(t.skipped).padStart(4)}`);
  }
  console.log('');
  for (const [tier, t] of Object.entries(report.tiers).sort()) {
    const pct = t.total ? ((100 * t.passed) / (t.total - t.skipped || 1)).toFixed(1) : '0';
    console.log(`tier ${tier}: ${t.passed}/${t.total} passed, ${t.failed} failed, ${t.skipped} skipped (${pct}% of non-skipped)`);
  }
  console.log(`total: ${report.passed}/${report.total} passed, ${report.failed} failed, ${report.skipped} skipped`);
  if (report.skips.length) {
    console.log('\nskipped:');
    for (const s of report.skips) console.log(`  ${s.file} [${s.note}]: ${s.reason}`);
  }
  if (verbose) {
    console.log('\nfailures:');
    for (const r of results) if (r.outcome.status === 'fail') console.log(`  ${r.file} [${r.note}]: ${r.outcome.reason}`);
  }
  if (json) {
    const out = {
      total: report.total,
      passed: report.passed,
      failed: report.failed,
      skipped: report.skipped,
      tiers: report.tiers,
      topics: report.topics,
      failures: report.failures,
      skips: report.skips,
    };
    writeFileSync(json, JSON.stringify(out, null, 2));
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
