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
  msgs contains "path" if { args.all == true; input.n > 0 }
  msgs contains "str" if { is_string(args.ctx); input.n > 0 }
  msgs contains "not-str" if { not is_string(args.ctx); input.n > 0 }
  msgs contains "prefix" if { startswith(input.uri, "k8s://"); input.n > 0 }
  args := input.args
  label := "w" if { kind == "write" } else := "other" if { input.n > 0 } else := "none"
  sorted := sort([m | some m in msgs])
`;

describe('rule guards', () => {
  it('are made for tests of rule values and input paths only', () => {
    const p = compile(`${POLICY}\n  other contains 1 if { count(input.items) > 1 }\n`);
    const root = p.compiled.root;
    const guards = (name: string) => [...root.find(['p', name])!.sets, ...root.find(['p', name])!.complete].map((r) => guardOf(r) !== null);
    expect(guards('msgs')).toEqual([true, true, true, true, true, true, true, true, true, true]);
    expect(guards('other')).toEqual([false]);
  });

  it('decide as the tests do, for every kind of value', () => {
    const p = compile(POLICY);
    const rules = p.prepareRules(['data.p.sorted', 'data.p.label']);
    const run = (input: Record<string, unknown>) => rules.eval(input).map((v) => (v === undefined ? undefined : toJSON(v)));
    expect(run({ kind: 'write', n: 1 })).toEqual([['eq', 'not', 'not-eq', 'not-str'], 'w']);
    expect(run({ kind: 'read', n: 1, flag: true })).toEqual([['neq', 'not-str', 'rev', 'truthy'], 'other']);
    expect(run({ kind: 'read', n: 0, flag: false })).toEqual([[], 'none']);
    // kind undefined: == and != are both undefined, `not kind == "read"` holds
    expect(run({ n: 1, flag: false })).toEqual([['not', 'not-eq', 'not-str'], 'other']);
    // a number is not equal to "write": != holds
    expect(run({ kind: 7, n: 1 })).toEqual([['neq', 'not', 'not-eq', 'not-str'], 'other']);
    // paths below a rule value, type tests, prefixes
    expect(run({ kind: 'x', n: 1, args: { all: true, ctx: 'c' }, uri: 'k8s://ns/pods' })[0]).toEqual(['neq', 'not', 'not-eq', 'path', 'prefix', 'str']);
    expect(run({ kind: 'x', n: 1, args: { all: 'yes', ctx: 3 }, uri: 'file://x' })[0]).toEqual(['neq', 'not', 'not-eq', 'not-str']);
    expect(run({ kind: 'x', n: 1, args: [true], uri: 7 })[0]).toEqual(['neq', 'not', 'not-eq', 'not-str']);
  });

  it('leave builtin errors to the builtin: startswith of a number is an error in strict mode', () => {
    const p = compile(POLICY);
    const strict = p.prepareRules(['data.p.sorted'], { strict: true });
    expect(() => strict.eval({ kind: 'x', n: 1, uri: 7 })).toThrow(/startswith/);
    expect(toJSON(strict.eval({ kind: 'x', n: 1, uri: 'k8s://a' })[0]!)).toEqual(['neq', 'not', 'not-eq', 'not-str', 'prefix']);
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
    expect(out[0]).toEqual(['eq', 'not', 'not-eq', 'not-str']);
    expect(out[1]).toEqual(['eq', 'not', 'not-eq', 'not-str']);
    // equal mocked to true everywhere: == holds, `not kind == "read"` fails; != (neq, not mocked) holds
    expect(out[2]).toEqual(['eq', 'neq', 'not', 'not-str', 'rev']);
  });
});
