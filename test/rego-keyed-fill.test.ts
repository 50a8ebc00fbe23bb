/**
 * The one-pass reading of keyed.ts's probes (src/policy/rego/topdown/keyed-fill.ts: a generated
 * function reading every slot of a plain input) against reading them slot by slot (keyed.ts
 * read(), the reference), over inputs made to find where they could part: arguments that are not
 * plain objects (an RObject, an array, a null-prototype object, a string, null, absent), members
 * named as Object.prototype's (constructor, toString, __proto__, also as own JSON members), a
 * member named constructor in the input or the arguments, objects and functions as values, stable
 * and unstable object roots, and params.arguments the same object as input.arguments or another.
 * Readings must be the same (Object.is), slot for slot.
 */
import { describe, expect, it } from 'vitest';
import { fromJS, type Value } from '../src/policy/rego/index.js';
import { keyedFill, keyedWithout, readingsOf } from '../src/policy/rego/topdown/keyed.js';
import type { Evaluator } from '../src/policy/rego/topdown/eval.js';
import { member } from '../src/policy/rego/topdown/direct.js';
import { lookup } from '../src/policy/rego/topdown/refs.js';
import { BigNum, RSet } from '../src/policy/rego/value/index.js';

const MEMBERS = ['a', 'b', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'resourceType'];
const ROOTS = new Set(['arguments', 'params', 'phase', 'tool', 'extra', 'constructor', 'toString']);

function slots(): number[] {
  return keyedWithout(ROOTS, { arguments: MEMBERS, params: ['name', 'p', 'toString'] }, new Set()).slots;
}

let gen = 2_000_000_000;

/** the readings of the slots for input, in a query of their own (a fresh generation) */
function readings(input: unknown, fill: boolean): unknown[] {
  const ev = { st: { gen: gen++, input }, stable: ['tool', 'client'] } as unknown as Evaluator;
  keyedFill.enabled = fill;
  try {
    return readingsOf(ev, slots());
  } finally {
    keyedFill.enabled = true;
  }
}

const TOOL = { name: 'kubectl_get' };

function argumentsCases(): unknown[] {
  const nullProto = Object.create(null) as Record<string, unknown>;
  nullProto.a = 1;
  const inheritsPlain = Object.create({ b: 'inherited' }) as Record<string, unknown>;
  inheritsPlain.a = 2;
  return [
    { a: 1, b: 'x' },
    { a: { nested: true }, b: [1, 2], resourceType: null },
    { a: undefined, b: () => 1 },
    { constructor: 'mine', a: 1 },
    { constructor: { x: 1 }, toString: 'text' },
    JSON.parse('{"__proto__": 5, "a": 1}'),
    JSON.parse('{"__proto__": {"x": 1}, "toString": "t"}'),
    JSON.parse('{"hasOwnProperty": false}'),
    fromJS(new Map<string, unknown>([['a', 1], ['b', 'y']])),
    [1, 2, 3],
    nullProto,
    inheritsPlain,
    'text',
    7,
    null,
    undefined,
    {},
  ];
}

function inputsFor(args: unknown): unknown[] {
  const other = { a: 'other', toString: 'o' };
  return [
    { phase: 'request', tool: TOOL, arguments: args, params: { name: 'kubectl_get', arguments: args } },
    { phase: 'request', tool: TOOL, arguments: args, params: { name: 'n', p: 1, arguments: other } },
    { phase: 'list', tool: { ...TOOL }, extra: { x: 1 }, arguments: args, params: { name: 'n' } },
    { phase: () => 1, tool: TOOL, arguments: args, params: 'not an object' },
    { tool: TOOL, arguments: args, params: fromJS(new Map<string, unknown>([['name', 'n'], ['arguments', args ?? null]])) },
    { tool: TOOL, arguments: args, params: { name: 'n', toString: 's', arguments: args }, constructor: 'own', toString: 'own' },
    { tool: TOOL, arguments: args, extra: null, params: [args] },
  ];
}

describe('keyed probes read in one pass', () => {
  it('read as slot by slot reads them, for every kind of arguments and input', () => {
    let cases = 0;
    for (const args of argumentsCases()) {
      for (const input of inputsFor(args)) {
        const want = readings(input, false);
        const got = readings(input, true);
        expect(got.length).toBe(want.length);
        for (let i = 0; i < want.length; i++) {
          if (!Object.is(got[i], want[i])) throw new Error(`slot ${i}: ${String(got[i])} instead of ${String(want[i])} for ${JSON.stringify(input)}`);
        }
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(100);
  });

  it('reads the members of this query, not those of an earlier one', () => {
    const first = readings({ tool: TOOL, arguments: { a: 1 }, params: { name: 'n' } }, true);
    const second = readings({ tool: TOOL, arguments: { a: 2 }, params: { name: 'n' } }, true);
    expect(first).not.toEqual(second);
    expect(second).toEqual(readings({ tool: TOOL, arguments: { a: 2 }, params: { name: 'n' } }, false));
  });

  it('takes an input of another kind (an RObject) slot by slot', () => {
    const input = fromJS(new Map<string, unknown>([['phase', 'request'], ['arguments', { a: 1 }]])) as Value;
    expect(readings(input, true)).toEqual(readings(input, false));
  });
});

describe('member (the plain-object read of input documents)', () => {
  it('reads as lookup does, whatever the object, for every name but __proto__', () => {
    const values: unknown[] = [
      ...argumentsCases(),
      RSet.of('a', 'constructor'),
      BigNum.fromBigInt(2n ** 70n),
      { constructor: Object, a: 1 },
      Object.assign(Object.create(null), { constructor: Object, a: 'x' }),
    ];
    values.forEach((v, i) => {
      for (const name of MEMBERS.filter((m) => m !== '__proto__').concat(['valueOf', 'length', '0'])) {
        const want = v === undefined ? undefined : lookup(v as Value, name);
        expect(member(v as Value | undefined, name), `${name} of value ${i}`).toBe(want);
      }
    });
  });
});
