/**
 * Rego evaluator semantics: undefined vs false vs default, else chains, conflicts, partial sets and
 * objects, functions, `with`, every / some-in / not, builtin errors (strict or not), numbers, the
 * prepared-rule fast path and rule indexing (checked against a brute-force reference).
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, RegoEvalError, toJSON, type Value } from '../src/policy/rego/index.js';

function policy(src: string, data: Value = {}) {
  return compilePolicy([{ file: 'p.rego', source: `package t\n\n${src}` }], { data });
}

function value(src: string, rule: string, input?: unknown, data: Value = {}): unknown {
  const v = policy(src, data).prepareRule(`data.t.${rule}`).eval(input);
  return v === undefined ? undefined : toJSON(v);
}

function evalError(src: string, rule: string, input?: unknown, strict = false): RegoEvalError {
  try {
    policy(src).prepareRule(`data.t.${rule}`, { strict }).eval(input);
  } catch (e) {
    if (e instanceof RegoEvalError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('undefined, false and default', () => {
  it('a rule whose body fails is undefined; default gives its value', () => {
    expect(value('p if input.x == 1', 'p', { x: 2 })).toBeUndefined();
    expect(value('default p := false\np if input.x == 1', 'p', { x: 2 })).toBe(false);
    expect(value('default p := false\np if input.x == 1', 'p', { x: 1 })).toBe(true);
  });

  it('an expression that is false fails; not of an undefined ref succeeds', () => {
    expect(value('p if false', 'p')).toBeUndefined();
    expect(value('p if not input.missing', 'p', {})).toBe(true);
    expect(value('p if not input.flag', 'p', { flag: false })).toBe(true);
    expect(value('p if not input.flag', 'p', { flag: 0 })).toBeUndefined();
  });

  it('else chains take the first clause whose body holds', () => {
    const src = 'f(x) := "small" if x < 10 else := "medium" if x < 100 else := "large"\np := [f(1), f(50), f(500)]';
    expect(value(src, 'p')).toEqual(['small', 'medium', 'large']);
  });
});

describe('conflicts', () => {
  it('complete rules with different values', () => {
    const e = evalError('p := 1\np := 2 if input.a', 'p', { a: true });
    expect(e.code).toBe('eval_conflict_error');
    expect(e.message).toContain('rule data.t.p produced conflicting values');
    expect(e.loc?.line).toBeGreaterThan(0);
    expect(value('p := 1\np := 1 if input.a', 'p', { a: true })).toBe(1);
  });

  it('functions with different values for the same input', () => {
    const e = evalError('f(x) := 1 if x > 0\nf(x) := 2 if x > 1\np := f(5)', 'p');
    expect(e.message).toContain('function data.t.f produced conflicting values for the same inputs');
  });

  it('partial objects with one key bound to two values', () => {
    const e = evalError('o[k] := v if { some k, v in {"a": 1, "b": 2}; true }\no["a"] := 3 if true', 'o');
    expect(e.code).toBe('eval_conflict_error');
  });
});

describe('documents', () => {
  it('partial sets, partial objects and ref heads', () => {
    const src = `s contains x if some x in input.xs
o[k] := count(k) if some k in input.xs
a.b[c].d := 1 if some c in ["x", "y"]
m[x] contains y if { some y in input.xs; x := upper(y) }`;
    const p = policy(src);
    const input = { xs: ['a', 'bb', 'a'] };
    expect(toJSON(p.prepareRule('data.t.s').eval(input)!)).toEqual(['a', 'bb']);
    expect(toJSON(p.prepareRule('data.t.o').eval(input)!)).toEqual({ a: 1, bb: 2 });
    expect(toJSON(p.prepareRule('data.t.a').eval(input)!)).toEqual({ b: { x: { d: 1 }, y: { d: 1 } } });
    expect(toJSON(p.prepareRule('data.t.m').eval(input)!)).toEqual({ A: ['a'], BB: ['bb'] });
  });

  it('merges base documents and rules, and iterates over both', () => {
    const p = compilePolicy(
      [
        { file: 'a.rego', source: 'package x.y\n\nr := 1\n' },
        { file: 'b.rego', source: 'package q\n\nkeys := {k | some k, _ in data.x}\n' },
      ],
      { data: { x: { base: true } } },
    );
    expect(p.eval('v := data.x').map((r) => toJSON(r.v!))).toEqual([{ base: true, y: { r: 1 } }]);
    expect(toJSON(p.prepareRule('data.q.keys').eval(undefined)!)).toEqual(['base', 'y']);
  });

  it('functions with patterns in arguments, and several results from one query', () => {
    const p = policy('f([a, b]) := a + b\ng({"k": v}) := v');
    expect(p.eval('x := data.t.f([1, 2]); y := data.t.g({"k": "v"})')).toEqual([{ x: 3, y: 'v' }]);
    expect(p.eval('some i; [1, 2, 3][i] > 1').map((r) => r.i)).toEqual([1, 2]);
  });
});

describe('template strings', () => {
  it('print each part once, <undefined> for none, and fail on several distinct values', () => {
    const p = policy('');
    expect(p.eval('x := $"{[1, 1][_]} {input.nope} {{"a"}}"')).toEqual([{ x: '1 <undefined> {"a"}' }]);
    expect(() => p.eval('x := $"{[1, 2][_]}"')).toThrow(/eval_conflict_error: template-strings must not produce multiple outputs/);
  });
});

describe('unification', () => {
  it('solves composite patterns pair by pair, in whatever order they can be solved', () => {
    const p = policy('');
    expect(p.eval('[x, y] = [y, 1]')).toEqual([{ x: 1, y: 1 }]);
    expect(p.eval('{"a": x, "b": [y, 2]} = {"b": [x, z], "a": 1}')).toEqual([{ x: 1, y: 1, z: 2 }]);
    expect(p.eval('[x, 1] = [2, x]')).toEqual([]);
  });
});

describe('iteration and quantifiers', () => {
  it('some x in, every, comprehensions', () => {
    expect(value('p := [x | some x in [3, 1, 2]; x > 1]', 'p')).toEqual([3, 2]);
    expect(value('p if every x in [1, 2] { x > 0 }', 'p')).toBe(true);
    expect(value('p if every x in [1, -2] { x > 0 }', 'p')).toBeUndefined();
    expect(value('p if every x in [] { x > 0 }', 'p')).toBe(true);
    expect(value('p if every x in 5 { x > 0 }', 'p')).toBeUndefined();
    expect(value('p := {k: v | some k, v in {"a": 1, "b": 2}; v > 1}', 'p')).toEqual({ b: 2 });
  });
});

describe('with', () => {
  it('replaces input, data, functions and builtins for one expression only', () => {
    const src = `q := input.n
r := data.limit
f(x) := x * 2
double(x) := x + x
p := [a, b, c, d, e] if {
	a := q with input as {"n": 5}
	b := r with data.limit as 7
	c := f(3) with f as double
	d := count([1]) with count as 42
	e := q
}`;
    expect(value(src, 'p', { n: 1 }, { limit: 0 })).toEqual([5, 7, 6, 42, 1]);
  });
});

describe('builtin errors', () => {
  it('make the expression undefined, or abort the query in strict mode', () => {
    expect(value('p := 1 / 0', 'p')).toBeUndefined();
    const e = evalError('p := 1 / 0', 'p', undefined, true);
    expect(e.code).toBe('eval_builtin_error');
    expect(e.message).toContain('div: divide by zero');
    const t = evalError('p := 1 + input.s', 'p', { s: 'a' }, true);
    expect(t.code).toBe('eval_type_error');
    expect(t.message).toContain('plus: operand 2 must be number but got string');
  });
});

describe('numbers', () => {
  it('keeps big integers exact and compares decimals exactly', () => {
    const p = policy('');
    const [r] = p.eval(
      'a := 18446744073709551617 + 1; b := 9007199254740993 * 3; c := 0.1 + 0.2 > 0.3; d := 1e400 > 1e399; e := 3.50 == 3.5; f := 10 / 4',
    );
    expect(String(r!.a instanceof Object ? (r!.a as { text: string }).text : r!.a)).toBe('18446744073709551618');
    expect((r!.b as { text: string }).text).toBe('27021597764222979');
    expect(r!.c).toBe(true);
    expect(r!.d).toBe(true);
    expect(r!.e).toBe(true);
    expect(r!.f).toBe(2.5);
  });
});

describe('prepared rules', () => {
  it('re-evaluate with fresh state for every input', () => {
    const allow = policy('default allow := false\nallow if input.user in data.admins', { admins: ['alice'] }).prepareRule('data.t.allow');
    expect(allow.eval({ user: 'alice' })).toBe(true);
    expect(allow.eval({ user: 'bob' })).toBe(false);
    expect(allow.eval({ user: 'alice' })).toBe(true);
    expect(allow.eval(undefined)).toBe(false);
  });

  it('fail with an evaluation error (not a crash) on absurdly deep input', () => {
    const n = policy('n := count([x | walk(input, x)])').prepareRule('data.t.n');
    let deep: unknown = {};
    for (let i = 0; i < 50000; i++) deep = { a: deep };
    expect(() => n.eval(deep)).toThrow(/eval_internal_error: evaluation too deep/);
    expect(n.eval({ a: { b: 1 } })).toBe(3);
  });

  it('print goes to the sink given', () => {
    const lines: string[] = [];
    const p = policy('p if { print("user", input.user, input.missing); true }');
    p.prepareRule('data.t.p', { print: (m) => lines.push(m) }).eval({ user: 'alice' });
    expect(lines).toEqual(['user alice <undefined>']);
  });
});

describe('rule indexing', () => {
  it('gives the same decisions as a brute-force evaluation of every rule', () => {
    const rules: string[] = [];
    const expected = (input: { tool: string; role: string; method?: string }) => {
      const out = new Set<string>();
      for (let i = 0; i < 60; i++) {
        const kind = i % 4;
        if (kind === 0 && input.tool === `t${i}`) out.add(`r${i}`);
        if (kind === 1 && [`t${i}`, `t${i + 1}`].includes(input.tool) && input.role === 'admin') out.add(`r${i}`);
        if (kind === 2 && input.role === `role${i % 3}`) out.add(`r${i}`);
        if (kind === 3 && `t${i}` === input.tool && input.method === 'call') out.add(`r${i}`);
      }
      return [...out].sort();
    };
    for (let i = 0; i < 60; i++) {
      const kind = i % 4;
      if (kind === 0) rules.push(`hits contains "r${i}" if input.tool == "t${i}"`);
      if (kind === 1) rules.push(`hits contains "r${i}" if {\n\tinput.tool in {"t${i}", "t${i + 1}"}\n\tinput.role == "admin"\n}`);
      if (kind === 2) rules.push(`hits contains "r${i}" if input.role == "role${i % 3}"`);
      if (kind === 3) rules.push(`hits contains "r${i}" if {\n\t"t${i}" = input.tool\n\tinput.method == "call"\n}`);
    }
    const hits = policy(rules.join('\n\n')).prepareRule('data.t.hits');
    for (let n = 0; n < 62; n++) {
      for (const role of ['admin', 'role0', 'role1', 'user']) {
        for (const method of ['call', undefined]) {
          const input = { tool: `t${n}`, role, method };
          expect([...(toJSON(hits.eval(input)!) as string[])].sort(), JSON.stringify(input)).toEqual(expected(input));
        }
      }
    }
    expect(toJSON(hits.eval({ role: 'role1' })!)).toEqual(expected({ tool: '', role: 'role1' }));
  });
});
