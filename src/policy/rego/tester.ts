/**
 * `opa test` semantics: every rule named test_* passes when it evaluates to true; it fails when it
 * is undefined or another value, and errors when evaluation raises an error.
 */
import type { Policy } from './index.js';
import { RegoEvalError } from './topdown/errors.js';
import { formatValue } from './value/index.js';

export interface TestResult {
  /** data.pkg.test_name */
  name: string;
  file: string;
  line: number;
  /** SKIP: todo_test_* rules, as opa test reports them */
  status: 'PASS' | 'FAIL' | 'ERROR' | 'SKIP';
  ms: number;
  error?: string;
  /** the value when not true */
  value?: string;
  /** print() output of the test */
  output: string[];
}

export function testNames(policy: Policy): { name: string; file: string; line: number }[] {
  const out: { name: string; file: string; line: number }[] = [];
  const seen = new Set<string>();
  for (const mod of policy.modules) {
    for (const rule of mod.rules) {
      const head = rule.ref[0];
      if (rule.ref.length !== 1 || rule.args || rule.key || !head || head.t !== 'const') continue;
      const n = String(head.v);
      if (!n.startsWith('test_') && !n.startsWith('todo_test_')) continue;
      const name = ['data', ...mod.pkg, n].join('.');
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, file: mod.file, line: rule.loc.line });
    }
  }
  return out;
}

export function runTests(policy: Policy, filter?: RegExp): TestResult[] {
  const results: TestResult[] = [];
  for (const t of testNames(policy)) {
    if (filter && !filter.test(t.name)) continue;
    const t0 = performance.now();
    let r: TestResult;
    if (t.name.split('.').pop()!.startsWith('todo_')) {
      results.push({ ...t, status: 'SKIP', ms: 0, output: [] });
      continue;
    }
    const output: string[] = [];
    try {
      const v = policy.prepareRule(t.name, { strict: true, print: (m) => output.push(m) }).eval(undefined);
      const ms = performance.now() - t0;
      r =
        v === true
          ? { ...t, status: 'PASS', ms, output }
          : { ...t, status: 'FAIL', ms, output, value: v === undefined ? 'undefined' : formatValue(v) };
    } catch (err) {
      const ms = performance.now() - t0;
      if (!(err instanceof RegoEvalError)) throw err;
      r = { ...t, status: 'ERROR', ms, output, error: err.message };
    }
    results.push(r);
  }
  return results;
}
