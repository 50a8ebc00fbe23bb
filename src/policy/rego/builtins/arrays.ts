/**
 * array.* builtins (concat, slice with OPA's clamping, reverse, flatten of one nesting level) and
 * numbers.range / numbers.range_step (inclusive, counting down when end < start).
 */
import { BigNum, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { arr, int, bigInt } from './operands.js';

/** one level of nesting, as OPA's array.flatten */
function flatten(a: readonly Value[], out: Value[]): Value[] {
  for (const v of a) {
    if (Array.isArray(v)) for (const x of v) out.push(x);
    else out.push(v);
  }
  return out;
}

function slice(args: Value[]): Value {
  const a = arr(args[0]!, 1);
  let start = int(args[1]!, 2);
  let stop = int(args[2]!, 3);
  if (start < 0) start = 0;
  else if (start > a.length) start = a.length;
  if (stop < start) stop = start;
  else if (stop > a.length) stop = a.length;
  return a.slice(start, stop);
}

const MAX_RANGE = 1e8;

function range(a: bigint, b: bigint, step: bigint): Value[] {
  const n = (a <= b ? b - a : a - b) / step + 1n;
  if (n > BigInt(MAX_RANGE)) throw new BuiltinError('range too large');
  const out: Value[] = new Array(Number(n));
  const safe = a >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) && a <= BigInt(Number.MAX_SAFE_INTEGER);
  if (safe) {
    const x = Number(a);
    const s = Number(step) * (a <= b ? 1 : -1);
    for (let i = 0; i < out.length; i++) out[i] = x + i * s;
    return out;
  }
  const s = a <= b ? step : -step;
  let cur = a;
  for (let i = 0; i < out.length; i++, cur += s) out[i] = BigNum.fromBigInt(cur);
  return out;
}

export const builtins: BuiltinDef[] = [
  {
    name: 'array.concat',
    arity: 2,
    fn: (a) => {
      const x = arr(a[0]!, 1);
      const y = arr(a[1]!, 2);
      return x.length === 0 ? y : y.length === 0 ? x : x.concat(y);
    },
  },
  { name: 'array.slice', arity: 3, fn: slice },
  { name: 'array.reverse', arity: 1, fn: (a) => arr(a[0]!, 1).slice().reverse() },
  { name: 'array.flatten', arity: 1, fn: (a) => flatten(arr(a[0]!, 1), []) },
  {
    name: 'numbers.range',
    arity: 2,
    fn: (a) => range(bigInt(a[0]!, 1), bigInt(a[1]!, 2), 1n),
  },
  {
    name: 'numbers.range_step',
    arity: 3,
    fn: (a) => {
      const x = bigInt(a[0]!, 1);
      const y = bigInt(a[1]!, 2);
      const step = bigInt(a[2]!, 3);
      if (step <= 0n) throw new BuiltinError('step must be a positive integer');
      return range(x, y, step);
    },
  },
];
