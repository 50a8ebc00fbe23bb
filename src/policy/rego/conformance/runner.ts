/**
 * Runs OPA conformance cases by the semantics of OPA's v1/topdown/exported_test.go: compile the
 * modules, evaluate the query with input/data, compare result rows as a set (or the error code and
 * message). A few cases are skipped for stated reasons (experimental syntax, harness-only builtins).
 */
import { compilePolicy, RegoCompileError, RegoEvalError, RSet, RObject, canonicalKey, compare, toJSONText, fromJS, isObject, objForEach, type Value } from '../index.js';
import { loadCaseFiles, type Case, type CaseFile } from './cases.js';

export type Outcome = { status: 'pass' } | { status: 'fail'; reason: string } | { status: 'skip'; reason: string };

export interface CaseResult {
  file: string;
  topic: string;
  tier: string;
  note: string;
  outcome: Outcome;
}

export interface Report {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  tiers: Record<string, { total: number; passed: number; failed: number; skipped: number }>;
  topics: Record<string, { tier: string; total: number; passed: number; failed: number; skipped: number }>;
  failures: { file: string; note: string; reason: string }[];
  skips: { file: string; note: string; reason: string }[];
}

function skipReason(c: Case): string | undefined {
  const text = [c.query, ...(c.modules ?? [])].join('\n');
  if (/import\s+rego\.v2/.test(text)) return 'experimental rego.v2 syntax (optional per README)';
  if (/\btest\.sleep\s*\(/.test(text)) return 'harness-only builtin test.sleep';
  if (/\bhttp\.send\b/.test(text) && !/with\s+http\.send\s+as\b/.test(text)) {
    return 'harness-only builtin http.send (OPA test harness serves the requests; mcp-warden policies cannot make HTTP calls)';
  }
  return undefined;
}

/** result values as OPA's harness sees them: sets as sorted arrays */
function normalize(v: Value): Value {
  if (v instanceof RSet) return v.values().map(normalize);
  if (Array.isArray(v)) return v.map(normalize);
  if (isObject(v)) {
    const o = new RObject();
    objForEach(v, (k, x) => void o.set(typeof k === 'string' ? k : toJSONText(k), normalize(x)));
    return o;
  }
  return v;
}

function rowKey(row: Value, sortBindings: boolean): string {
  if (!isObject(row)) return canonicalKey(row);
  const o = new RObject();
  objForEach(row, (k, v) => {
    let x = normalize(v);
    if (sortBindings && Array.isArray(x)) x = x.slice().sort(compare);
    o.set(k, x);
  });
  return canonicalKey(o);
}

/** codegen: the query runs through JavaScript generated from it (codegen/); a query that does not compile is skipped with the reason */
export function runCase(c: Case, codegen = false): Outcome {
  const skip = skipReason(c);
  if (skip) return { status: 'skip', reason: skip };
  let policy;
  try {
    policy = compilePolicy(
      (c.modules ?? []).map((source, i) => ({ file: `test_${i}.rego`, source })),
      { data: fromJS(c.data ?? {}) },
    );
  } catch (e) {
    return { status: 'fail', reason: `compile: ${(e as Error).message}` };
  }
  const wantErr = c.want_error_code !== undefined || c.want_error !== undefined;
  try {
    let input: Value | undefined = c.input === undefined ? undefined : fromJS(c.input);
    if (c.input_term !== undefined) {
      const rows = policy.eval(`input_term_value = ${c.input_term}`);
      input = rows[0]?.['input_term_value'];
    }
    let rows;
    if (codegen) {
      const js = policy.compileJS(c.query, { strict: c.strict_error ?? false });
      if ('reason' in js) return { status: 'skip', reason: `${NOT_COMPILED}${js.reason}` };
      rows = js.run(input);
    } else rows = policy.eval(c.query, { input, strict: c.strict_error ?? false, nowNs: undefined });
    if (wantErr) return { status: 'fail', reason: `expected error ${c.want_error_code ?? ''} ${c.want_error ?? ''}, got ${rows.length} row(s)` };
    const sortB = c.sort_bindings ?? false;
    const got = new Set(rows.map((r) => rowKey(r as Value, sortB)));
    const want = new Set((c.want_result ?? []).map((r) => rowKey(fromJS(r), sortB)));
    const same = got.size === want.size && [...got].every((k) => want.has(k));
    if (!same) return { status: 'fail', reason: `want ${[...want].join(' | ')}\n got ${[...got].join(' | ')}` };
    return { status: 'pass' };
  } catch (e) {
    if (e instanceof RegoEvalError || e instanceof RegoCompileError) {
      if (!wantErr) return { status: 'fail', reason: `unexpected error: ${e.message}` };
      const code = e instanceof RegoEvalError ? e.code : 'rego_compile_error';
      if (c.want_error_code !== undefined && c.want_error_code !== code) {
        return { status: 'fail', reason: `want error code ${c.want_error_code}, got ${code}: ${e.message}` };
      }
      // README: conflict messages were reworded upstream; for them the code decides
      const advisory = code === 'eval_conflict_error' && c.want_error_code !== undefined;
      if (c.want_error !== undefined && !advisory && !e.message.includes(c.want_error)) {
        return { status: 'fail', reason: `want error containing ${JSON.stringify(c.want_error)}, got ${JSON.stringify(e.message)}` };
      }
      return { status: 'pass' };
    }
    return { status: 'fail', reason: `internal error: ${(e as Error).stack ?? e}` };
  }
}

/** the start of the reason of a case skipped in codegen mode because its query does not compile */
export const NOT_COMPILED = 'codegen does not compile it: ';

export function runFolder(folder: string, filter?: (f: CaseFile) => boolean, codegen = false): { report: Report; results: CaseResult[] } {
  const results: CaseResult[] = [];
  for (const file of loadCaseFiles(folder)) {
    if (filter && !filter(file)) continue;
    for (const c of file.cases) {
      results.push({ file: file.file, topic: file.topic, tier: file.tier, note: c.note, outcome: runCase(c, codegen) });
    }
  }
  return { report: summarize(results), results };
}

export function summarize(results: CaseResult[]): Report {
  const r: Report = { total: 0, passed: 0, failed: 0, skipped: 0, tiers: {}, topics: {}, failures: [], skips: [] };
  for (const x of results) {
    const t = (r.tiers[x.tier] ??= { total: 0, passed: 0, failed: 0, skipped: 0 });
    const tp = (r.topics[x.topic] ??= { tier: x.tier, total: 0, passed: 0, failed: 0, skipped: 0 });
    r.total++;
    t.total++;
    tp.total++;
    if (x.outcome.status === 'pass') {
      r.passed++;
      t.passed++;
      tp.passed++;
    } else if (x.outcome.status === 'fail') {
      r.failed++;
      t.failed++;
      tp.failed++;
      r.failures.push({ file: x.file, note: x.note, reason: x.outcome.reason });
    } else {
      r.skipped++;
      t.skipped++;
      tp.skipped++;
      r.skips.push({ file: x.file, note: x.note, reason: x.outcome.reason });
    }
  }
  return r;
}
