/**
 * Rules read directly as an alias of an input member (src/policy/rego/topdown/alias.ts):
 * `args := input.arguments if is_object(input.arguments)`, with or without a constant default. Each
 * policy is evaluated against the same policy spelled so that the alias is not recognized (the value
 * bound through a local first: evaluated by the rule's own path), over inputs whose member is an
 * object, an array, a string, null, false, missing, or the input not an object; with `with input...`
 * replacing the member and with a mocked is_object; prepared with stable roots (carry, keyed values,
 * memo) and plain. Also: which rules are recognized (and near misses that are not).
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON } from '../src/policy/rego/index.js';
import { inputAliasOf } from '../src/policy/rego/topdown/alias.js';

const STABLE = ['client', 'tool', 'session', 'backend'];
const TOOL = { name: 't', annotations: {} };
const CLIENT = { id: 'c', roles: ['viewer'] };

/** the alias line and its spelling that is not an alias */
const ALIASES: [string, string][] = [
  ['args := input.arguments if is_object(input.arguments)', 'args := x if { x := input.arguments; is_object(x) }'],
  ['default args := {}\nargs := input.arguments if is_object(input.arguments)', 'default args := {}\nargs := x if { x := input.arguments; is_object(x) }'],
  ['default args := "none"\nargs := input.arguments if is_object(input.arguments)', 'default args := "none"\nargs := x if { x := input.arguments; is_object(x) }'],
  ['default args := {"x": "a"}\nargs := input.params if is_object(input.params)', 'default args := {"x": "a"}\nargs := x if { x := input.params; is_object(x) }'],
];

const QUERIES = [
  'allow if args.x == "a"',
  'allow if { some k, v in args; v == "secret" }\ndeny contains "many" if count(args) > 2',
  'rs if lower(args.x) in {"secret", "secrets"}\nallow if not rs\ndeny contains "s" if rs',
  'allow if args == "none"\ndeny contains sprintf("%v", [args]) if is_object(args)',
  'allow if { args.x == "a" with input.arguments as {"x": "a"} }\ndeny contains "w" if { args.x == "b" with input.arguments as ["b"] }',
  'allow if { args.x == "a" with is_object as false }\ndeny contains "m" if { args.x with is_object as true }',
  'q := object.get(args, "x", "none")\nallow if q == "a"\nallow if args.y == "p"',
];

const VALUES: unknown[] = [
  { x: 'a', y: 'p' },
  { x: 'secret' },
  { x: 'SECRETS', y: 'q', n: 1 },
  {},
  ['a'],
  'a',
  null,
  false,
  0,
  undefined,
  { x: { y: 1 } },
];

function answer(f: () => unknown[]): string {
  try {
    return JSON.stringify(f().map((v) => (v === undefined ? '<undef>' : toJSON(v as never))));
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}

describe('input aliases read directly, against the same rule evaluated', () => {
  for (const [i, [alias, spelled]] of ALIASES.entries()) {
    for (const [j, q] of QUERIES.entries()) {
      it(`alias ${i}, query ${j}`, () => {
        const refs = ['data.p.allow', 'data.p.deny'];
        const src = (a: string) => `package p\nimport rego.v1\n${a}\n${q}\n`;
        const p = compilePolicy([{ file: 'p.rego', source: src(alias) }], { data: fromJS({}) });
        const want = compilePolicy([{ file: 'p.rego', source: src(spelled) }], { data: fromJS({}) });
        expect(inputAliasOf(p.compiled.root.find(['p', 'args'])!)).not.toBeNull();
        expect(inputAliasOf(want.compiled.root.find(['p', 'args'])!)).toBeNull();
        const fast = p.prepareRules(refs, { stable: STABLE });
        const plain = p.prepareRules(refs);
        const ref = want.prepareRules(refs);
        for (let n = 0; n < 3; n++) {
          for (const [k, v] of VALUES.entries()) {
            const other = VALUES[(k + n) % VALUES.length];
            const input = { phase: 'request', client: CLIENT, tool: TOOL, arguments: v, params: { name: 't', arguments: other } };
            const expected = answer(() => ref.eval(input));
            expect(answer(() => fast.eval(input)), `${JSON.stringify(input)}`).toBe(expected);
            expect(answer(() => plain.eval(input)), `${JSON.stringify(input)}`).toBe(expected);
          }
          // an input that is not an object, and none at all
          for (const input of ['x', [1], null]) expect(answer(() => plain.eval(input))).toBe(answer(() => ref.eval(input)));
          expect(answer(() => p.prepareRules(refs).eval(undefined))).toBe(answer(() => want.prepareRules(refs).eval(undefined)));
        }
      });
    }
  }

  it('recognizes only the alias shape', () => {
    const not = [
      'args := input.arguments if not is_object(input.arguments)',
      'args := input.arguments if { is_object(input.arguments); true }',
      'args := input.params if is_object(input.arguments)',
      'args := input.arguments.x if is_object(input.arguments.x)',
      'args := input.arguments if is_array(input.arguments)',
      'args := input.arguments if is_object(input.arguments) with input.arguments as {}',
      'args := input.arguments if { is_object(input.arguments) } else := 1',
      'args := input.arguments if is_object(input.arguments)\nargs := input.params if is_object(input.params)',
      'default args := count(input.arguments)\nargs := input.arguments if is_object(input.arguments)',
      'is_object(x) := true\nargs := input.arguments if is_object(input.arguments)',
      'args[k] := v if { some k, v in input.arguments }',
      'args contains x if { some x in input.arguments }',
    ];
    for (const body of not) {
      let p;
      try {
        p = compilePolicy([{ file: 'p.rego', source: `package p\nimport rego.v1\n${body}\n` }], { data: fromJS({}) });
      } catch {
        continue; // not a valid policy: nothing to recognize
      }
      const node = p.compiled.root.find(['p', 'args']);
      expect(node === undefined || inputAliasOf(node) === null, body).toBe(true);
    }
  });
});
