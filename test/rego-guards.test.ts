// Rule guards (topdown/guard.ts): a rule's first test of a rule value or an input path, checked
// before its clauses, decides exactly as the test itself would: equality and inequality with a
// string, plain and negated tests, undefined values, else clauses after a failed guard, and
// `with` replacing the rule value, the input or the comparison builtin.
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON } from '../src/policy/rego/index.js';
import { guardOf } from '../src/policy/rego/topdown/guard.js';

const compile = (source: string, data: unknown = {}) =>
  compilePolicy([{ file: 'p.rego', source: `package p\nimport rego.v1\n${source}` }], { data: fromJS(data) });

const POLICY = `
  kind := input.kind
  msgs contains "eq" if { kind == "write"; input.n > 0 }
  msgs contains "neq" if { kind != "write"; input.n > 0 }
  msgs contains "rev" if { "read" == kind; input.n > 0 }
  msgs contains "truthy" if { input.flag; input.n > 0 }
  msgs contains "not" if { not input.flag; input.n > 0 }
  msgs contains "not-eq" if { not kind == "read"; input.n > 0 }
  label := "w" if { kind == "write" } else := "other" if { input.n > 0 } else := "none"
  sorted := sort([m | some m in msgs])
`;

describe('rule guards', () => {
  it('are made for tests of rule values and input paths only', () => {
    const p = compile(`${POLICY}\n  other contains 1 if { count(input.items) > 1 }\n`);
    const root = p.compiled.root;
    const guards = (name: string) => [...root.find(['p', name])!.sets, ...root.find(['p', name])!.complete].map((r) => guardOf(r) !== null);
    expect(guards('msgs')).toEqual([true, true, true, true, true, true]);
    expect(guards('other')).toEqual([false]);
  });

  it('decide as the tests do, for every kind of value', () => {
    const p = compile(POLICY);
    const rules = p.prepareRules(['data.p.sorted', 'data.p.label']);
    const run = (input: Record<string, unknown>) => rules.eval(input).map((v) => (v === undefined ? undefined : toJSON(v)));
    expect(run({ kind: 'write', n: 1 })).toEqual([['eq', 'not', 'not-eq'], 'w']);
    expect(run({ kind: 'read', n: 1, flag: true })).toEqual([['neq', 'rev', 'truthy'], 'other']);
    expect(run({ kind: 'read', n: 0, flag: false })).toEqual([[], 'none']);
    // kind undefined: == and != are both undefined, `not kind == "read"` holds
    expect(run({ n: 1, flag: false })).toEqual([['not', 'not-eq'], 'other']);
    // a number is not equal to "write": != holds
    expect(run({ kind: 7, n: 1 })).toEqual([['neq', 'not', 'not-eq'], 'other']);
  });

  it('step aside under with (rule value, input and builtin replaced)', () => {
    const p = compile(`${POLICY}
  via_value := x if { x := sorted with data.p.kind as "write" with input.n as 1 }
  via_input := x if { x := sorted with input as {"kind": "write", "n": 1} }
  always(_, _) := true
  via_mock := x if { x := sorted with equal as always with input.n as 1 }
`);
    const rules = p.prepareRules(['data.p.via_value', 'data.p.via_input', 'data.p.via_mock']);
    const out = rules.eval({ kind: 'read', n: 0 }).map((v) => (v === undefined ? undefined : toJSON(v)));
    expect(out[0]).toEqual(['eq', 'not', 'not-eq']);
    expect(out[1]).toEqual(['eq', 'not', 'not-eq']);
    // equal mocked to true everywhere: == holds, `not kind == "read"` fails; != (neq, not mocked) holds
    expect(out[2]).toEqual(['eq', 'neq', 'not', 'rev']);
  });
});
