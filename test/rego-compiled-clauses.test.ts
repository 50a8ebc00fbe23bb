// Compiled clauses (topdown/clauses.ts) and the carry epoch (topdown/carry.ts): the compiled chain
// gives the values and errors of the step-by-step evaluator (the same rules evaluated under `with`,
// where clauses are not compiled, must agree), and values carried across queries are never those of
// another input, also when several evaluators share the policy's rule nodes.
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, RegoEvalError, toJSON } from '../src/policy/rego/index.js';

const compile = (source: string, data: unknown = {}) =>
  compilePolicy([{ file: 'p.rego', source: `package p\nimport rego.v1\n${source}` }], { data: fromJS(data) });

const one = (p: ReturnType<typeof compile>, query: string, input?: unknown) => {
  const rows = p.eval(query, input === undefined ? {} : { input: fromJS(input) });
  return rows.length === 0 ? undefined : toJSON(rows[0]!.x!);
};

describe('compiled clauses', () => {
  const source = `
    args := input.arguments if is_object(input.arguments)
    default args := {}
    tool := input.tool
    items contains x if { some x in args.list; x != "skip" }
    items contains y if { tool == "k"; some v in args.obj; y := concat("-", ["o", v]) }
    items contains z if { not tool; z := "no tool" }
    pairs contains [x, y] if { some x in args.list; some y in args.list; x < y }
    first := v if { v := args.list[0]; v != "skip" } else := "else" if { count(args.list) > 0 } else := "none"
    upper_names contains u if { some n in args.names; u := upper(n) }
    comp contains c if { c := count([w | some w in args.list]) }
    mixed := n if { n := args.n; n > 1; m := n * 2; m < 100 }
  `;
  const inputs: unknown[] = [
    { tool: 'k', arguments: { list: ['a', 'skip', 'b'], obj: { z: '1', a: '2' }, names: ['x', 'y'], n: 3 } },
    { arguments: { list: ['skip'], n: 1 } },
    { tool: 'other', arguments: { list: 'not a collection', obj: 5, names: [] } },
    { tool: 'k', arguments: { list: { k2: 'v2', k1: 'v1' }, obj: ['p', 'q'], n: 60 } },
    { tool: 'k' },
    { arguments: 'scalar' },
  ];
  const rules = ['items', 'pairs', 'first', 'upper_names', 'comp', 'mixed'];

  it('agrees with the same rules under `with` (not compiled) and with the values Rego gives', () => {
    const p = compile(source);
    for (const input of inputs) {
      for (const rule of rules) {
        const plain = one(p, `x := data.p.${rule}`, input);
        // with a builtin mocked, ready() fails for calls: the steps and the general evaluator run instead
        const general = one(p, `x := data.p.${rule} with time.now_ns as 1`, input);
        expect(plain, `${rule} for ${JSON.stringify(input)}`).toEqual(general);
      }
    }
    expect(one(p, 'x := data.p.items', inputs[0])).toEqual(['a', 'b', 'o-1', 'o-2']);
    expect(one(p, 'x := data.p.items', inputs[3])).toEqual(['o-p', 'o-q', 'v1', 'v2']);
    expect(one(p, 'x := data.p.items', inputs[4])).toEqual([]);
    expect(one(p, 'x := data.p.items', inputs[5])).toEqual(['no tool']);
    expect(one(p, 'x := data.p.pairs', inputs[0])).toEqual([['a', 'b'], ['a', 'skip'], ['b', 'skip']]);
    expect(one(p, 'x := data.p.first', inputs[0])).toBe('a');
    expect(one(p, 'x := data.p.first', inputs[1])).toBe('else');
    expect(one(p, 'x := data.p.first', inputs[4])).toBe('none');
    expect(one(p, 'x := data.p.upper_names', inputs[0])).toEqual(['X', 'Y']);
    expect(one(p, 'x := data.p.comp', inputs[0])).toEqual([3]);
    expect(one(p, 'x := data.p.mixed', inputs[0])).toBe(3);
    expect(one(p, 'x := data.p.mixed', inputs[3])).toBeUndefined();
  });

  it('raises the same conflict and builtin errors', () => {
    const p = compile(`
      v := x if { some x in input.xs }
      s contains y if { some x in input.xs; y := 10 / x }
    `);
    expect(() => p.eval('x := data.p.v', { input: fromJS({ xs: [1, 2] }) })).toThrow(RegoEvalError);
    expect(() => p.eval('x := data.p.v', { input: fromJS({ xs: [1, 2] }), strict: false })).toThrow(/conflicting values/);
    // a builtin error (division by zero) leaves the element out (non-strict), and aborts in strict mode
    expect(toJSON(p.eval('x := data.p.s', { input: fromJS({ xs: [0, 5] }) })[0]!.x!)).toEqual([2]);
    expect(() => p.eval('x := data.p.s', { input: fromJS({ xs: [0, 5] }), strict: true })).toThrow(/divide by zero/);
  });
});

describe('carried values across queries (carry epoch)', () => {
  const source = `
    t := input.tool.name
    known if t in {"a", "b"}
    kind := "read" if { t == "a" } else := "write" if { t == "b" } else := "other"
    args := input.arguments if is_object(input.arguments)
    default args := {}
    deny contains "write" if { kind == "write"; input.phase == "request" }
    deny contains sprintf("ns %s", [args.ns]) if { known; args.ns != "default" }
    allow if { known; kind == "read" }
  `;
  const refs = ['data.p.allow', 'data.p.deny', 'data.p.kind'];

  it('two evaluators sharing the rule nodes, alternating tools and phases, agree with fresh evaluations', () => {
    const p = compile(source);
    const stable = ['tool'];
    const a = p.prepareRules(refs, { stable });
    const b = p.prepareRules(refs, { stable });
    // the expected values from a policy of its own (its own rule nodes: nothing it caches can mask a stale carry)
    const fresh = compile(source).prepareRules(refs);
    const tools = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 400; i++) {
      const input = {
        tool: tools[rand(3)],
        phase: rand(2) === 0 ? 'request' : 'list',
        arguments: rand(4) === 0 ? 'scalar' : { ns: rand(2) === 0 ? 'default' : `ns-${i}` },
      };
      const want = fresh.eval(input).map((v) => (v === undefined ? undefined : toJSON(v)));
      const ev = rand(2) === 0 ? a : b;
      expect(ev.eval(input).map((v) => (v === undefined ? undefined : toJSON(v))), `query ${i}: ${JSON.stringify(input)}`).toEqual(want);
      // a query of the policy itself in between (its own evaluator and generation)
      if (i % 50 === 0) expect(toJSON(p.eval('x := data.p.kind', { input: fromJS(input) })[0]!.x!)).toBe(want[2]);
    }
  });

  it('a set rule left out for a carried guard still counts what its guard read (skips.ts)', () => {
    // the set reads input.arguments (an object: nothing that reads it is kept) only in the rule left
    // out; without it, the set is kept by what its other rule and the left-out guard read
    const p = compile(`
      kind := "write" if input.tool.name == "b"
      ph := input.phase
      s contains "w" if { kind == "write"; input.arguments.x }
      s contains "p" if { ph == "request" }
    `);
    const e = p.prepareRules(['data.p.s'], { stable: ['tool'] });
    const a = { name: 'a' };
    const b = { name: 'b' };
    const run = (tool: object) => toJSON(e.eval({ tool, phase: 'request', arguments: { x: 1 } })[0]!);
    expect(run(a)).toEqual(['p']);
    expect(run(a)).toEqual(['p']); // the "w" rule left out: its guard failed on a carried value
    expect(run(a)).toEqual(['p']);
    expect(run(b)).toEqual(['p', 'w']); // another tool: the kept set must not be reused
    expect(run(b)).toEqual(['p', 'w']);
    expect(run(a)).toEqual(['p']);
  });

  it('a carried value is not seen under `with`', () => {
    const p = compile(source);
    const a = p.prepareRules(['data.p.kind'], { stable: ['tool'] });
    const tool = { name: 'a' };
    for (let i = 0; i < 3; i++) expect(toJSON(a.eval({ tool, arguments: {} })[0]!)).toBe('read');
    const q = compile(`${source}\n    mocked := k if { k := kind with input.tool.name as "b" }\n`);
    const m = q.prepareRules(['data.p.mocked', 'data.p.kind'], { stable: ['tool'] });
    for (let i = 0; i < 3; i++) expect(m.eval({ tool, arguments: {} }).map((v) => toJSON(v!))).toEqual(['write', 'read']);
  });
});
