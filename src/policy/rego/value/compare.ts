/** Total order and equality of values, as OPA sorts them (ast.Compare). */
import { BigNum, Kind, RSet, kindOf, type Value } from './types.js';
import { objKeys, objGet, objSize } from './object.js';
import { compareDecimals, decimalOf } from './numbers.js';

export function compareNumbers(a: number | BigNum, b: number | BigNum): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const ai = typeof a === 'number' ? intOf(a) : a.int;
  const bi = typeof b === 'number' ? intOf(b) : b.int;
  if ((ai === null && typeof a !== 'number') || (bi === null && typeof b !== 'number')) {
    return compareDecimals(decimalOf(a), decimalOf(b));
  }
  if (ai !== null && bi !== null) return ai < bi ? -1 : ai > bi ? 1 : 0;
  return compareDecimals(decimalOf(a), decimalOf(b));
}

function intOf(n: number): bigint | null {
  return Number.isInteger(n) ? BigInt(n) : null;
}

export function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  switch (ka) {
    case Kind.Null:
      return 0;
    case Kind.Boolean:
      return a === b ? 0 : a === false ? -1 : 1;
    case Kind.Number:
      return compareNumbers(a as number | BigNum, b as number | BigNum);
    case Kind.Array: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i]!, y[i]!);
        if (c !== 0) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
    }
    case Kind.Set: {
      const x = (a as RSet).values();
      const y = (b as RSet).values();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i]!, y[i]!);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    default: {
      const oa = a as never;
      const ob = b as never;
      const x = objKeys(oa);
      const y = objKeys(ob);
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        let c = compare(x[i]!, y[i]!);
        if (c !== 0) return c;
        c = compare(objGet(oa, x[i]!)!, objGet(ob, y[i]!)!);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
  }
}

export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (ta !== 'object' || typeof b !== 'object') {
    if (ta === 'number' && b instanceof BigNum) return compareNumbers(a as number, b) === 0;
    return false;
  }
  if (a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i]!, b[i]!)) return false;
    return true;
  }
  if (a instanceof RSet) {
    if (!(b instanceof RSet) || a.size !== b.size) return false;
    for (const v of a.values()) if (!b.has(v)) return false;
    return true;
  }
  if (a instanceof BigNum) return (typeof b === 'number' || b instanceof BigNum) && compareNumbers(a, b) === 0;
  if (Array.isArray(b) || b instanceof RSet || b instanceof BigNum) return false;
  const oa = a as never;
  const ob = b as never;
  if (objSize(oa) !== objSize(ob)) return false;
  for (const k of objKeys(oa)) {
    const bv = objGet(ob, k);
    if (bv === undefined || !equal(objGet(oa, k)!, bv)) return false;
  }
  return true;
}
