/**
 * Closures for the commonest single-valued operations, called directly instead of through the
 * generic builtin call path: comparisons, membership and type tests (builtins that never fail and
 * need no context), and lookups of string keys.
 */
import type { Term } from '../ast/types.js';
import { BigNum, RObject, RSet, equal, isObject, type Value } from '../value/index.js';
import { memberOf } from '../builtins/core/types.js';
import type { Frame } from './state.js';
import type { Evaluator } from './eval.js';

export type ValFn = (ev: Evaluator, f: Frame) => Value | undefined;

const PREDICATES: Record<string, (v: Value) => boolean> = {
  is_string: (v) => typeof v === 'string',
  is_boolean: (v) => typeof v === 'boolean',
  is_null: (v) => v === null,
  is_array: (v) => Array.isArray(v),
  is_set: (v) => v instanceof RSet,
  is_object: (v) => isObject(v),
  is_number: (v) => typeof v === 'number' || v instanceof BigNum,
};

/**
 * Builtins that never fail and need no context (comparisons, membership, type tests) called
 * directly, without the operand array and the generic call path; a constant operand is folded in
 * (a string equals only the same string). Only reached without `with` mocks (see ready()).
 */
export function directCall(name: string, terms: Term[], args: ValFn[]): ValFn | undefined {
  if (args.length === 1) {
    const test = PREDICATES[name];
    if (test === undefined) return undefined;
    const a = args[0]!;
    return (ev, f) => {
      const v = a(ev, f);
      return v === undefined ? undefined : test(v);
    };
  }
  if (args.length !== 2) return undefined;
  const [ta, tb] = terms as [Term, Term];
  const [a, b] = args as [ValFn, ValFn];
  if (name === 'equal' || name === 'neq') {
    const want = name === 'equal';
    const str = tb.t === 'const' && typeof tb.v === 'string' ? tb.v : ta.t === 'const' && typeof ta.v === 'string' ? ta.v : undefined;
    if (str !== undefined) {
      const other = tb.t === 'const' && typeof tb.v === 'string' ? a : b;
      return (ev, f) => {
        const v = other(ev, f);
        return v === undefined ? undefined : (v === str) === want;
      };
    }
    return (ev, f) => {
      const va = a(ev, f);
      if (va === undefined) return undefined;
      const vb = b(ev, f);
      return vb === undefined ? undefined : equal(va, vb) === want;
    };
  }
  if (name === 'internal.member_2') {
    if (tb.t === 'const' && tb.v instanceof RSet) {
      const set = tb.v;
      return (ev, f) => {
        const v = a(ev, f);
        return v === undefined ? undefined : set.has(v);
      };
    }
    return (ev, f) => {
      const va = a(ev, f);
      if (va === undefined) return undefined;
      const vb = b(ev, f);
      return vb === undefined ? undefined : memberOf(va, vb);
    };
  }
  return undefined;
}

/** lookup(v, name) for a string name other than __proto__ (undefined v: undefined) */
export function member(v: Value | undefined, name: string): Value | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  // a plain JSON object (the commonest case: input documents) without the class checks below. Its
  // constructor is Object, which no RObject, array, set or big number has (a JSON object with a member
  // named "constructor" takes the general path, which reads it alike). Not Object.getPrototypeOf:
  // where the object's shape varies (most reads here) that is a call into the runtime.
  if ((v as { constructor?: unknown }).constructor === Object) {
    const r = (v as Record<string, unknown>)[name];
    return r === undefined || typeof r === 'function' ? undefined : (r as Value);
  }
  if (v instanceof RObject) return v.get(name);
  if (Array.isArray(v) || v instanceof BigNum) return undefined;
  if (v instanceof RSet) return v.has(name) ? name : undefined;
  const r = (v as Record<string, unknown>)[name];
  // inherited members of Object.prototype are functions
  return r === undefined || typeof r === 'function' ? undefined : (r as Value);
}

