/**
 * Adversarial review of Policy.inputFootprint (src/policy/rego/topdown/footprint.ts): policies
 * written to observe more of input.arguments / input.params than a footprint would say (aliasing
 * through rule values, else values, defaults, functions given the arguments, input or params,
 * object.get with paths, every, comprehensions, imports, `not`, comparisons with null and false,
 * type checks, dynamic data paths, members named like the roots). For each, either the footprint is
 * unbounded (null), or two inputs equal in what it names (the tool name, the kind of the arguments,
 * the observed members of arguments and params, present or absent) get the same allow and deny from
 * a fresh evaluation, whatever the other members hold (arguments absent, null, a scalar, an array,
 * or objects of random members).
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, toJSON } from '../src/policy/rego/index.js';

const HEAD = 'package p\nimport rego.v1\n';

/** [policy, expected footprint (null: unbounded)] */
const CASES: Array<[string, { arguments: string[]; params: string[] } | null]> = [
  ['allow if input.arguments != null\n', null],
  ['allow if input.arguments.x != false\n', { arguments: ['x'], params: [] }],
  ['allow if { x := input.arguments; not x.y }\n', { arguments: ['y'], params: [] }],
  ['default allow := false\nallow := input.arguments.ok\n', { arguments: ['ok'], params: [] }],
  ['allow if { f(input.arguments) }\nf(x) if x.a\ndefault f(x) := x\n', { arguments: ['a'], params: [] }],
  ['allow if { f(input.arguments) }\nf(x) if x.a\ndefault f(_) := false\n', { arguments: ['a'], params: [] }],
  ['allow if { input.arguments }\ndeny contains "no" if { not input.arguments }\n', { arguments: [], params: [] }],
  ['allow if { type_name(input.arguments) == "object" }\n', { arguments: [], params: [] }],
  ['allow if { is_null(input.arguments) }\n', { arguments: [], params: [] }],
  ['allow if { is_array(input.params.arguments) }\n', { arguments: [], params: [] }],
  ['a := input.arguments if input.arguments.k else := input.params\nallow if a.x\n', { arguments: ['k', 'x'], params: ['x'] }],
  ['a := input.arguments if input.arguments.k else := input.params\nallow if a.arguments.z\n', { arguments: ['arguments', 'k', 'z'], params: [] }],
  ['allow if object.get(input.arguments, [], {}).z\n', { arguments: ['z'], params: [] }],
  ['allow if object.get(input, ["params", "arguments", "q"], 0) == 1\n', { arguments: ['q'], params: [] }],
  ['allow if object.get(input.params, "x", input.arguments).c\n', { arguments: ['c'], params: ['x'] }],
  ['allow if { x := object.get(input, ["params"], {}); x.arguments.w }\n', { arguments: ['w'], params: [] }],
  ['f(x) := x.a\ng(y) := f(y)\nallow if g(input.arguments) == 1\n', { arguments: ['a'], params: [] }],
  ['f(x) := y if { y := x }\nallow if f(input.arguments).a\n', { arguments: ['a'], params: [] }],
  ['f(x, y) := x if y\nallow if { z := f(input.arguments, input.arguments.ok); z.q }\n', { arguments: ['ok', 'q'], params: [] }],
  ['allow if { some k; data.p[k].w }\nh := input.arguments.w\n', null],
  ['allow if data.p.h.w\nh := input.arguments\n', { arguments: ['w'], params: [] }],
  ['allow if { every x in ["a"] { input.arguments.k } }\n', { arguments: ['k'], params: [] }],
  ['allow if { every x in ["a", "b"] { input.arguments[x] } }\n', null],
  ['allow if { [y | y := 1; input.arguments.c] }\n', { arguments: ['c'], params: [] }],
  ['allow if { x := {"k": input.arguments.a}; x.k }\n', { arguments: ['a'], params: [] }],
  ['deny contains x if { x := sprintf("%v", [input.arguments.m]) }\n', { arguments: ['m'], params: [] }],
  ['deny[k] := v if { k := "a"; v := input.arguments.b }\n', { arguments: ['b'], params: [] }],
  ['allow if { input.params.y == input.arguments.x }\n', { arguments: ['x'], params: ['y'] }],
  ['import input.arguments as A\nallow if A.x == 1\n', { arguments: ['x'], params: [] }],
  ['allow if { x := input; x.params.arguments.a }\n', { arguments: ['a'], params: [] }],
  ['allow if { not input.arguments.a; not input.arguments.b }\n', { arguments: ['a', 'b'], params: [] }],
  ['allow if { input.arguments.a == null }\ndeny contains "f" if { input.arguments.b == false }\n', { arguments: ['a', 'b'], params: [] }],
  ['allow if { input.arguments.name == input.params.name }\n', { arguments: ['name'], params: [] }],
  ['allow if { input.arguments.arguments.a }\ndeny contains "p" if { input.arguments.params }\n', { arguments: ['arguments', 'params'], params: [] }],
  ['r := input\nallow if r.arguments.k\ndeny contains "x" if r.params.x\n', { arguments: ['k'], params: ['x'] }],
  ['f(x) := x.params\nallow if f(input).arguments.a\n', { arguments: ['a'], params: [] }],
  ['f(x) := x.arguments\nallow if f(input.params).a\nallow if f(input).b\n', { arguments: ['a', 'b'], params: [] }],
  ['allow if { {"a": x} = input.arguments; x == 1 }\n', null],
  ['allow if { some x in input.arguments; x == 1 }\n', null],
  ['allow if { input[x].a; x == "arguments" }\n', null],
  ['allow if startswith(json.marshal(input.arguments), "{\\"a\\"")\n', null],
  ['allow if object.union(input.arguments, {"a": 1}).b\n', null],
  ['allow if count(object.keys(input.params)) == 2\n', null],
  ['allow if { walk(input, [p, v]); v == "x" }\n', null],
  // two complete rules or function clauses holding the arguments: a conflict between them compares every member
  ['a := input.arguments if input.tool.name == "t"\na := {"x": 1} if input.tool.name == "t"\nallow if a.x == 1\n', null],
  ['f(v) := v if v.x\nf(_) := {"x": 1}\nallow if f(input.arguments).x == 1\n', null],
  // a result given to an output argument is unified with it (compared when it is bound already)
  ['f(_) := input.arguments\nallow if { x := {"name": "a"}; f(1, x) }\n', null],
  ['allow if { x := {"name": "a"}; object.get(input, "arguments", {}, x) }\n', null],
  // one complete rule beside a default, else values: never compared
  ['default a := {}\na := input.arguments if input.tool.name == "t"\nallow if a.x == 1\n', { arguments: ['x'], params: [] }],
];

/** a small deterministic generator (tests must not depend on luck) */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ['a', 'b', 'c', 'k', 'q', 'z', 'w', 'x', 'y', 'flags', 'ok', 'm', 'name', 'arguments', 'params'];
const EXTRA = ['_meta', 'x', 'y'];

describe('Policy.inputFootprint against policies written to see more than it says', () => {
  for (const [body, expected] of CASES) {
    it(JSON.stringify(body).slice(1, 90), () => {
      const policy = compilePolicy([{ file: 'p.rego', source: HEAD + body }]);
      const fp = policy.inputFootprint(['p'], ['allow', 'deny']);
      expect(fp).toEqual(expected);
      if (fp === null) return;
      const rules = policy.prepareRules(['data.p.allow', 'data.p.deny']);
      const decide = (input: unknown) => JSON.stringify(rules.eval(input).map((v) => (v === undefined ? '<undefined>' : toJSON(v))));
      const r = rng(11);
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
      const value = (): unknown => pick<unknown>([0, 1, 2, 'a', 'x', '', true, false, null, [1], {}, { a: 1 }, { b: 'x' }, ['a', 'b']]);
      const args = (): unknown => {
        const k = r();
        if (k < 0.08) return undefined;
        if (k < 0.16) return pick<unknown>([null, 'str', [1], 3, false, true]);
        const o: Record<string, unknown> = {};
        for (const key of KEYS) if (r() < 0.3) o[key] = value();
        return o;
      };
      const input = (name: string, a: unknown, extra: Record<string, unknown>) => {
        const params: Record<string, unknown> = { name, ...extra };
        const doc: Record<string, unknown> = { phase: 'request', method: 'tools/call', tool: { name }, client: { id: 'c' }, params };
        if (a !== undefined) doc.arguments = params.arguments = a;
        return doc;
      };
      let differing = 0;
      for (let i = 0; i < 300; i++) {
        const name = pick(['t', 'u']);
        const a = args();
        const extraA: Record<string, unknown> = {};
        for (const k of EXTRA) if (r() < 0.4) extraA[k] = value();
        // b: a's observed members (present or absent), every other member drawn again
        let b = a;
        if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
          const o: Record<string, unknown> = {};
          for (const key of KEYS) {
            if (fp.arguments.includes(key)) {
              if (key in a) o[key] = (a as Record<string, unknown>)[key];
            } else if (r() < 0.4) o[key] = value();
          }
          b = o;
        }
        const extraB: Record<string, unknown> = {};
        for (const k of EXTRA) {
          if (fp.params.includes(k)) {
            if (k in extraA) extraB[k] = extraA[k];
          } else if (r() < 0.4) extraB[k] = value();
        }
        if (JSON.stringify(a) !== JSON.stringify(b) || JSON.stringify(extraA) !== JSON.stringify(extraB)) differing++;
        const inA = input(name, a, extraA);
        const inB = input(name, b, extraB);
        expect(decide(inB), `${JSON.stringify(inA)} vs ${JSON.stringify(inB)}`).toBe(decide(inA));
      }
      expect(differing).toBeGreaterThan(150);
    });
  }
});
