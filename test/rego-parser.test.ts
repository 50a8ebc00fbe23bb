/**
 * Rego parser and compiler front end: the v1 grammar (keywords, ref heads, else chains, template and
 * raw strings, `in` and key/value membership, comprehensions) and compile errors with locations.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, parseModule, parseQuery, RegoCompileError } from '../src/policy/rego/index.js';

function compileErrors(source: string): string[] {
  try {
    compilePolicy([{ file: 'p.rego', source }]);
  } catch (e) {
    if (e instanceof RegoCompileError) return e.issues.map((i) => `${i.line}:${i.col}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('Rego parser', () => {
  it('parses package, imports and the kinds of rule heads', () => {
    const m = parseModule(
      `package a.b["c-d"]

import rego.v1
import data.x.y as z
import input.req

default allow := false

allow if input.user == "alice"

deny contains msg if {
	msg := "no"
}

obj[k] := v if some k, v in {"a": 1}

p.q.r := 1

f(x) := x + 1

g(x) if x > 1

h(_) := 1 if false else := 2
`,
      'm.rego',
    );
    expect(m.pkg).toEqual(['a', 'b', 'c-d']);
    expect(m.imports.map((i) => i.alias ?? null)).toEqual([null, 'z', null]);
    const names = m.rules.map((r) => r.ref.map((t) => (t.t === 'const' ? t.v : t.t)).join('.'));
    expect(names).toEqual(['allow', 'allow', 'deny', 'obj.var', 'p.q.r', 'f', 'g', 'h']);
    expect(m.rules[0]!.isDefault).toBe(true);
    expect(m.rules[2]!.key).toBeDefined();
    expect(m.rules[5]!.args).toHaveLength(1);
    expect(m.rules[7]!.elses).toHaveLength(1);
    expect(m.rules[1]!.loc).toEqual({ file: 'm.rego', line: 9, col: 1 });
  });

  it('accepts keywords as ref heads and ref path elements', () => {
    const m = parseModule('package test\n\nin.foo := 1\n\nif.bar contains "x"\n\np if {\n\tin.foo == 1\n\tinput.if == input.in\n}\n');
    expect(m.rules).toHaveLength(3);
  });

  it('parses raw strings, escapes and template strings with nested expressions', () => {
    const q = parseQuery('x := `a\\nb`; y := "t\\u00e9\\n"; z := $"sum {1 + 2} and \\{literal}"');
    expect(q).toHaveLength(3);
    const p = compilePolicy([{ file: 'p.rego', source: 'package t\n' }]);
    const rows = p.eval('x := `a\\nb`; y := "t\\u00e9\\n"; z := $"sum {1 + 2} and \\{literal} {input.missing}"');
    expect(rows).toEqual([{ x: 'a\\nb', y: 'té\n', z: 'sum 3 and {literal} <undefined>' }]);
  });

  it('parses membership: x in xs, k, v in xs, chains and parenthesised key/value tests', () => {
    const p = compilePolicy([{ file: 'p.rego', source: 'package t\n' }]);
    expect(p.eval('x := 1 in [1]; y := ("a", 1 in {"a": 1}); z := [(0, 2 in [2])]; "b", 2 in {"b": 2}')).toEqual([{ x: true, y: true, z: [true] }]);
  });

  it('parses comprehensions whose heads use | inside braces and brackets', () => {
    const p = compilePolicy([{ file: 'p.rego', source: 'package t\n' }]);
    const [row] = p.eval('a := [x | some x in [1, 2]]; s := {x | some x in [1, 1]}; o := {k: v | some k, v in ["a"]}; u := {1} | {2}');
    expect(row!.a).toEqual([1, 2]);
    expect([...(row!.s as { values(): unknown[] }).values()]).toEqual([1]);
    expect([...(row!.u as { values(): unknown[] }).values()]).toEqual([1, 2]);
  });

  it('reports syntax errors with line and column', () => {
    expect(compileErrors('package x\n\nallow if {\n  input.a ==\n}\n')).toEqual(['5:1: rego_parse_error: unexpected } token']);
    expect(compileErrors('package x\n\np := "abc\n')[0]).toMatch(/^3:6: rego_parse_error: non-terminated string/);
    expect(compileErrors('allow := 1\n')[0]).toMatch(/^1:1: rego_parse_error: expected package/);
    expect(compileErrors('package x\n\np { true }\n')[0]).toMatch(/^3:3: rego_parse_error: `if` keyword is required/);
  });
});

describe('Rego compiler checks', () => {
  it('reports unsafe variables in bodies and heads', () => {
    expect(compileErrors('package x\n\nallow if {\n  z > 1\n}\n')).toEqual(['4:3: rego_unsafe_var_error: var z is unsafe']);
    expect(compileErrors('package x\n\np := y if true\n')).toEqual(['3:6: rego_unsafe_var_error: var y is unsafe']);
  });

  it('requires the variables of a negated expression to be bound before it (wildcards aside)', () => {
    expect(compileErrors('package x\n\nq contains 1\n\np if {\n  not q[x]\n}\n')).toEqual(['6:3: rego_unsafe_var_error: var x is unsafe']);
    expect(compileErrors('package x\n\nq contains 1\n\np if {\n  not q[_]\n}\n')).toEqual([]);
    expect(compileErrors('package x\n\nq contains 1\n\np if {\n  not q[x]\n  x = 2\n}\n')).toEqual([]);
  });

  it('reorders bodies so that variables are bound before use', () => {
    const p = compilePolicy([{ file: 'p.rego', source: 'package x\n\np := y if {\n  y > 1\n  y = input.n\n}\n' }]);
    expect(p.eval('v := data.x.p', { input: { n: 5 } })).toEqual([{ v: 5 }]);
  });

  it('reports recursion, unknown functions, arity mismatches, conflicting rule kinds', () => {
    expect(compileErrors('package x\n\np if q\n\nq if p\n')[0]).toMatch(/rego_recursion_error: rule data\.x\.[pq] is recursive/);
    expect(compileErrors('package x\n\np := nope(1)\n')).toEqual(['3:6: rego_type_error: undefined function nope']);
    expect(compileErrors('package x\n\np := count(1, 2, 3)\n')[0]).toMatch(/^3:6: rego_type_error: count: arity mismatch/);
    expect(compileErrors('package x\n\nq contains 1\n\nq := 3\n')[0]).toMatch(/conflicting rules data\.x\.q found/);
  });

  it('reports literal operands of the wrong type for core builtins at compile time', () => {
    expect(compileErrors('package x\n\np := 1 + "a"\n')).toEqual(['3:8: rego_type_error: plus: invalid argument(s)\n\thave: (number, string)\n\twant: (number, number)']);
    expect(compileErrors('package x\n\np := count(1)\n')[0]).toMatch(/^3:6: rego_type_error: count: invalid argument\(s\)/);
    expect(compileErrors('package x\n\np := count(input.x) + 1\n')).toEqual([]);
  });

  it('reports re-declared variables', () => {
    expect(compileErrors('package x\n\np if {\n  x := 1\n  x := 2\n}\n')).toEqual(['5:3: rego_compile_error: var x assigned above']);
    expect(compileErrors('package x\n\np if {\n  x > 1\n  x := 2\n}\n')).toEqual(['5:3: rego_compile_error: var x referenced above']);
  });

  it('lists issues of several files, each with its file name', () => {
    try {
      compilePolicy([
        { file: 'a.rego', source: 'package a\np := \n' },
        { file: 'b.rego', source: 'package b\nq if {\n' },
      ]);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message.split('\n').map((l) => l.split(':')[0])).toEqual(['a.rego', 'b.rego']);
    }
  });
});
