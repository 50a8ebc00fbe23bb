// The evaluator's fast paths keep OPA semantics: rule values kept across queries (input-free
// rules, topdown/static.ts) follow data, `with`, time and print; single-valued terms
// (topdown/single.ts) give the same values, undefinedness and errors as the general path.
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON, RegoEvalError } from '../src/policy/rego/index.js';
import { inputFree } from '../src/policy/rego/topdown/dependence.js';

const compile = (source: string, data: unknown = {}) =>
  compilePolicy([{ file: 'p.rego', source: `package p\nimport rego.v1\n${source}` }], { data: fromJS(data) });

describe('rule values kept across queries', () => {
  it('analyses which rules cannot depend on input', () => {
    const p = compile(`
      verbs := {"get", "list"}
      settings := data.cfg
      ro if settings.read_only == true
      t := input.tool
      uses_t if t == "x"
      now := time.now_ns()
      loud if print("x")
      f(x) := x + 1
      g(x) := x + count(input.items)
      via_f := f(1)
      via_g := g(1)
      mocked := 1 if { true with input as {} }
    `);
    const root = p.compiled.root;
    const free = (name: string) => inputFree(root.find(['p', name])!, root);
    expect(['verbs', 'settings', 'ro', 'via_f'].map(free)).toEqual([true, true, true, true]);
    expect(['t', 'uses_t', 'now', 'loud', 'via_g', 'mocked'].map(free)).toEqual([false, false, false, false, false, false]);
  });

  it('a kept value follows the data document of the policy and `with data`', () => {
    const p = compile('settings := data.cfg\nmode := settings.mode\nshow := mode if input.x', { cfg: { mode: 'a' } });
    const rule = p.prepareRule('data.p.show');
    expect(rule.eval({ x: true })).toBe('a');
    expect(rule.eval({ x: true })).toBe('a');
    expect(rule.eval({ x: false })).toBeUndefined();
    p.data = fromJS({ cfg: { mode: 'b' } });
    expect(rule.eval({ x: true })).toBe('b');
    const rows = p.eval('x := data.p.mode with data.cfg.mode as "c"; y := data.p.mode');
    expect(rows.map((r) => toJSON(r.x!))).toEqual(['c']);
    expect(rows.map((r) => toJSON(r.y!))).toEqual(['b']);
    expect(toJSON(p.eval('z := data.p.mode')[0]!.z!)).toBe('b');
  });

  it('print and time are evaluated on every query', () => {
    const printed: string[] = [];
    const p = compile('loud if print("evaluated")\nnow := time.now_ns()');
    const rule = p.prepareRule('data.p.loud', { print: (m) => printed.push(m) });
    rule.eval({});
    rule.eval({});
    expect(printed).toEqual(['evaluated', 'evaluated']);
    const t1 = p.eval('x := data.p.now', { nowNs: 1n })[0]!.x;
    const t2 = p.eval('x := data.p.now', { nowNs: 2n })[0]!.x;
    expect([t1, t2]).toEqual([1, 2]);
  });

  it('a conflict in an input-free rule is raised on every query, never kept', () => {
    const p = compile('c := 1\nc := 2\nq if c');
    const rule = p.prepareRule('data.p.q');
    expect(() => rule.eval({})).toThrow(RegoEvalError);
    expect(() => rule.eval({})).toThrow(/conflicting/);
  });

  it('a builtin mocked by `with` is not served from the kept value', () => {
    const p = compile('up := upper("a")\nshout := up');
    expect(toJSON(p.eval('x := data.p.shout')[0]!.x!)).toBe('A');
    expect(toJSON(p.eval('x := data.p.shout with upper as "mocked"')[0]!.x!)).toBe('mocked');
    expect(toJSON(p.eval('x := data.p.shout')[0]!.x!)).toBe('A');
  });
});

describe('single-valued terms', () => {
  it('tests, assignments, call arguments and collections give the general results', () => {
    const p = compile(`
      kinds := {"a": "read", "b": "write"}
      kind := kinds[input.tool]
      ok if { kind == "read"; not input.blocked; lower(input.name) in {"x", "y"} }
      pair := [kind, count(input.items), {"k": upper(kind)}]
      first_big := x if { some x in input.items; x > 1 }
      missing if { kind == "read"; input.nothing.deeper == 1 }
    `);
    const run = (rule: string, input: unknown) => {
      const v = p.prepareRule(`data.p.${rule}`).eval(input);
      return v === undefined ? undefined : toJSON(v);
    };
    expect(run('ok', { tool: 'a', name: 'X' })).toBe(true);
    expect(run('ok', { tool: 'a', name: 'X', blocked: true })).toBeUndefined();
    expect(run('ok', { tool: 'b', name: 'X' })).toBeUndefined();
    expect(run('ok', { tool: 'a', name: 'z' })).toBeUndefined();
    expect(run('pair', { tool: 'b', items: [1, 2, 3] })).toEqual(['write', 3, { k: 'WRITE' }]);
    expect(run('pair', { tool: 'c', items: [] })).toBeUndefined();
    expect(run('first_big', { items: [1, 2] })).toBe(2);
    expect(run('missing', { tool: 'a' })).toBeUndefined();
  });

  it('a builtin type error in a test is undefined (non-strict) or an error (strict), as before', () => {
    const p = compile('t if { count(input.n) > 0 }\nu if { not count(input.n) > 0 }');
    expect(p.prepareRule('data.p.t').eval({ n: 5 })).toBeUndefined();
    expect(p.prepareRule('data.p.u').eval({ n: 5 })).toBe(true);
    expect(() => p.prepareRule('data.p.t', { strict: true }).eval({ n: 5 })).toThrow(/count: operand 1 must be/);
  });
});

describe('Policy.prepareRules', () => {
  it('evaluates several rules in one query: values in order, undefined for missing ones, shared rules once', () => {
    const printed: string[] = [];
    const p = compile('shared := input.n if print("shared")\nallow if shared > 1\ndeny contains "small" if shared < 2');
    const rules = p.prepareRules(['data.p.allow', 'data.p.deny', 'data.p.nothing'], { print: (m) => printed.push(m) });
    const [allow, deny, nothing] = rules.eval({ n: 1 });
    expect([allow, toJSON(deny!), nothing]).toEqual([undefined, ['small'], undefined]);
    expect(printed).toEqual(['shared']);
    expect(rules.eval({ n: 5 }).map((v) => (v === undefined ? undefined : toJSON(v)))).toEqual([true, [], undefined]);
    expect(printed).toEqual(['shared', 'shared']);
  });
});
