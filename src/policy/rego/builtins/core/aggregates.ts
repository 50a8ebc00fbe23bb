/** Aggregate builtins: count, sum, product, max, min, sort, all, any. */
import { BigNum, RSet, compare, isNumber, isObject, objSize, type Value } from '../../value/index.js';
import { operandTypeError, type BuiltinDef } from '../registry.js';
import { plusNums } from './arith.js';
import { lookupMul } from './lookup.js';

function members(v: Value): readonly Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.values();
  throw operandTypeError(1, v, 'set', 'array');
}

function countOf(v: Value): number {
  if (typeof v === 'string') {
    let n = 0;
    for (const _ of v) n++;
    return n;
  }
  if (Array.isArray(v)) return v.length;
  if (v instanceof RSet) return v.size;
  if (isObject(v)) return objSize(v);
  throw operandTypeError(1, v, 'array', 'object', 'set', 'string');
}

function nums(v: Value): (number | BigNum)[] {
  const ms = members(v);
  for (const m of ms) if (!isNumber(m)) throw operandTypeError(1, v, 'set[number]', 'array[number]');
  return ms as (number | BigNum)[];
}

export const aggregateBuiltins: BuiltinDef[] = [
  { name: 'count', arity: 1, fn: ([a]) => countOf(a!) },
  {
    name: 'sum',
    arity: 1,
    fn: ([a]) => {
      let acc: number | BigNum = 0;
      for (const n of nums(a!)) acc = plusNums(acc, n);
      return acc;
    },
  },
  {
    name: 'product',
    arity: 1,
    fn: ([a]) => {
      let acc: number | BigNum = 1;
      const mul = lookupMul();
      for (const n of nums(a!)) acc = mul(acc, n);
      return acc;
    },
  },
  {
    name: 'max',
    arity: 1,
    fn: ([a]) => {
      const ms = members(a!);
      if (ms.length === 0) return undefined;
      let best: Value = ms[0] as Value;
      for (const m of ms) if (compare(m, best) > 0) best = m;
      return best;
    },
  },
  {
    name: 'min',
    arity: 1,
    fn: ([a]) => {
      const ms = members(a!);
      if (ms.length === 0) return undefined;
      let best: Value = ms[0] as Value;
      for (const m of ms) if (compare(m, best) < 0) best = m;
      return best;
    },
  },
  { name: 'sort', arity: 1, fn: ([a]) => members(a!).slice().sort(compare) },
  {
    name: 'all',
    arity: 1,
    fn: ([a]) => members(a!).every((m) => m === true),
  },
  {
    name: 'any',
    arity: 1,
    fn: ([a]) => members(a!).some((m) => m === true),
  },
];
