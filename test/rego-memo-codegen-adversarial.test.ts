/**
 * The decision memo's readers evaluated as generated JavaScript (memoCodegen), the one-pass keyed
 * reading (keyed-fill.ts) and the carry's generated root check (carry.ts sameFn), against the plain
 * interpreter (no stable roots: every query evaluated afresh), over inputs made to part them: members
 * named as Object.prototype's (constructor, toString, valueOf, hasOwnProperty, __proto__ as an own
 * JSON member) read by the readers and changed one at a time, values of every kind (objects,
 * arrays, functions, -0, NaN, numbers past 2^53, big numbers, strings that look like numbers),
 * arguments that are not plain objects (null prototype, inheriting, an array, a string), and member
 * names that would break generated source if they were spliced into it (quotes, backslashes, line
 * separators, `}`, `${`). Readings of a name must never be code: the policy's names are constants.
 * Found (also at f5d8ed9, before the generated paths): the keyed readings of a member named
 * __proto__ of arguments or params.arguments that inherit from an object with an own __proto__
 * member (Object.create(JSON.parse('{"__proto__": ...}'))) took the inherited value through member(),
 * which the interpreter (objGet: own __proto__ only) reads as undefined, so a kept decision was
 * reused for an input the policy decides otherwise.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, toJSON } from '../src/policy/rego/index.js';
import { BigNum } from '../src/policy/rego/value/index.js';

const STABLE = ['client', 'tool', 'session', 'backend'];

const EVIL = ['a"b', "a'b", 'a\\b', 'a\u2028b', 'x}];throw 1;//', '${1}', '\n', ''];
const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf', 'a', ...EVIL];

const q = (s: string): string => JSON.stringify(s);

/** readers of every name, in shapes the memo cuts at (scalar rules over one member), and a decision over them */
const SOURCE = `package t
import rego.v1

args := input.arguments

${NAMES.map((n, i) => `r${i}_lower if lower(args[${q(n)}]) == "secrets"
r${i}_type := type_name(args[${q(n)}])
r${i}_num if args[${q(n)}] > 9007199254740992
r${i}_count := count(args[${q(n)}])
r${i}_str if startswith(input.params.arguments[${q(n)}], "x")
`).join('\n')}

default allow := false

allow if {
  input.tool.name == "t"
${NAMES.map((_, i) => `  not r${i}_lower`).join('\n')}
}

deny contains sprintf("%d lower", [i]) if {
  some i in numbers.range(0, ${NAMES.length - 1})
  false
}
${NAMES.map((_, i) => `deny contains "${i} type ${'%'}s" if r${i}_type == "array"
deny contains "${i} num" if r${i}_num
deny contains "${i} count" if r${i}_count > 2
deny contains "${i} str" if r${i}_str
`).join('')}
`;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const VALUES: Array<() => unknown> = [
  () => 'secrets',
  () => 'SECRETS',
  () => 'pods',
  () => 'xy',
  () => '9007199254740993',
  () => 1,
  () => -0,
  () => Number.NaN,
  () => 9007199254740993,
  () => 1e300,
  () => BigNum.fromBigInt(2n ** 70n),
  () => true,
  () => null,
  () => undefined,
  () => [1, 2, 3],
  () => ['secrets'],
  () => ({ a: 1, b: 2, c: 3 }),
  () => () => 'fn',
  () => JSON.parse('{"__proto__": {"x": 1}}'),
];

function argsObject(r: () => number, members: Map<string, unknown>): unknown {
  const roll = r();
  if (roll < 0.04) return Object.assign(Object.create(null), Object.fromEntries(members));
  if (roll < 0.07) return Object.assign(Object.create(Object.fromEntries([...members].slice(0, 2))), Object.fromEntries([...members].slice(2)));
  if (roll < 0.09) return [...members.values()];
  if (roll < 0.1) return 'text';
  // a plain object with own members of every name (also __proto__ as JSON.parse makes it)
  const o: Record<string, unknown> = JSON.parse('{}');
  for (const [k, v] of members) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

function answer(f: () => unknown[]): string {
  try {
    return JSON.stringify(f().map((v) => (v === undefined ? '<undef>' : toJSON(v as never))));
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}

function run(seed: number, memoCodegen: boolean, strict: boolean): string | null {
  const r = rng(seed);
  const p = compilePolicy([{ file: 't.rego', source: SOURCE }]);
  const refs = ['data.t.allow', 'data.t.deny'];
  const fast = p.prepareRules(refs, { stable: STABLE, memoCodegen, strict });
  const plain = p.prepareRules(refs, { strict });
  const tool = { name: 't' };
  const client = { id: 'c' };
  const members = new Map<string, unknown>(NAMES.map((n) => [n, 'pods']));
  let n = 0;
  for (let i = 0; i < 1500; i++) {
    const name = NAMES[Math.floor(r() * NAMES.length)]!;
    const roll = r();
    if (roll < 0.1) members.delete(name);
    else if (roll < 0.5) members.set(name, `v-${n++}`);
    else members.set(name, VALUES[Math.floor(r() * VALUES.length)]!());
    const args = argsObject(r, members);
    const params = r() < 0.8 ? { name: 't', arguments: args } : { name: 't', arguments: argsObject(r, members) };
    const input = { phase: 'request', tool, client, arguments: args, params };
    const got = answer(() => fast.eval(input));
    const want = answer(() => plain.eval(input));
    if (got !== want) {
      const fresh = answer(() => compilePolicy([{ file: 't.rego', source: SOURCE }]).prepareRules(refs, { strict }).eval(input));
      const show = (o: unknown) => (o !== null && typeof o === 'object' ? `${Array.isArray(o) ? 'array' : Object.getPrototypeOf(o) === null ? 'nullproto' : Object.getPrototypeOf(o) === Object.prototype ? 'plain' : 'inherits'} ${JSON.stringify(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'function' ? 'FN' : v instanceof BigNum ? 'BIG' : Object.is(v, -0) ? '-0' : v])))}` : JSON.stringify(o));
      return `seed ${seed} step ${i} (${name})\nGOT  ${got}\nWANT ${want}\nFRESH ${fresh === want}\nargs ${show(args)}\nparams.arguments ${params.arguments === args ? 'same' : show(params.arguments)}`;
    }
  }
  return null;
}

describe('memo readers generated, keyed one-pass reads, carry root check: adversarial names and values', () => {
  for (const memoCodegen of [true, false]) {
    for (const strict of [false, true]) {
      it(`decides as the plain interpreter (memoCodegen ${memoCodegen}, strict ${strict})`, () => {
        for (const seed of [1, 2, 3, 4]) expect(run(seed * 7919 + (memoCodegen ? 1 : 0), memoCodegen, strict)).toBeNull();
      });
    }
  }

  it('a member name is never spliced into generated source (no code of it runs, no compile error falls back silently)', () => {
    const p = compilePolicy([{ file: 't.rego', source: SOURCE }]);
    const fast = p.prepareRules(['data.t.allow'], { stable: STABLE, memoCodegen: true });
    const plain = p.prepareRules(['data.t.allow']);
    const tool = { name: 't' };
    for (let i = 0; i < 50; i++) {
      const args = Object.fromEntries(NAMES.map((n) => [n, i % 10 === 9 ? 'secrets' : `v${i}`]));
      const input = { phase: 'request', tool, client: { id: 'c' }, arguments: args, params: { name: 't', arguments: args } };
      expect(answer(() => fast.eval(input))).toBe(answer(() => plain.eval(input)));
    }
  });
});
