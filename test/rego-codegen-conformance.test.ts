/**
 * The OPA conformance cases (../shared/opa-cases) through the code generator (src/policy/rego/
 * codegen/): every case whose query compiles to JavaScript runs through the generated function and
 * must give the expected rows or error. Cases it does not compile are skipped with the reason
 * (codegen falls back to the interpreter there: test/rego-conformance.test.ts covers them).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NOT_COMPILED, runFolder } from '../src/policy/rego/conformance/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CASES = path.resolve(ROOT, '../shared/opa-cases');
const ACCEPTED_SKIPS = [/rego\.v2/, /test\.sleep/, /http\.send/, /opa\.runtime/];

describe.runIf(existsSync(path.join(CASES, 'INDEX.tsv')))('OPA conformance cases through generated JavaScript', () => {
  const { report } = runFolder(CASES, undefined, true);
  const notCompiled = report.skips.filter((s) => s.reason.startsWith(NOT_COMPILED));
  const compiled = report.total - report.skipped;

  it("compiles most cases (1637 of 1767 at the time of writing)", () => {
    expect(compiled).toBeGreaterThanOrEqual(1620);
  });

  it('every compiled case passes', () => {
    expect(report.failures.slice(0, 10).map((f) => `${f.file} [${f.note}]: ${f.reason}`)).toEqual([]);
    expect(report.passed).toBe(compiled);
  });

  it('every other skip is one the interpreter makes too', () => {
    for (const s of report.skips) {
      if (s.reason.startsWith(NOT_COMPILED)) continue;
      expect(ACCEPTED_SKIPS.some((r) => r.test(s.reason)), `${s.file} [${s.note}]: ${s.reason}`).toBe(true);
    }
    expect(notCompiled.length).toBeGreaterThan(0);
  });
});
