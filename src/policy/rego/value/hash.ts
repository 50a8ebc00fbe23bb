/** Canonical string keys for values: equal values (by Rego equality) give equal strings. */
import { BigNum, RSet, type Value } from './types.js';
import { objKeys, objGet } from './object.js';
import { decimalOf, decimalText } from './numbers.js';

export function numberText(v: number | BigNum): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && !Number.isSafeInteger(v) && Number.isFinite(v)) return BigInt(v).toString();
    return String(v);
  }
  if (v.int !== null) return v.int.toString();
  return decimalText(decimalOf(v));
}

export function canonicalKey(v: Value): string {
  if (v === null) return 'n';
  switch (typeof v) {
    case 'boolean':
      return v ? 't' : 'f';
    case 'number':
      return '#' + numberText(v);
    case 'string':
      return JSON.stringify(v);
  }
  if (v instanceof BigNum) return '#' + numberText(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + canonicalKey(v[i]!);
    return s + ']';
  }
  if (v instanceof RSet) {
    let s = '<';
    const vals = v.values();
    for (let i = 0; i < vals.length; i++) s += (i ? ',' : '') + canonicalKey(vals[i]!);
    return s + '>';
  }
  let s = '{';
  const keys = objKeys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    s += (i ? ',' : '') + canonicalKey(k) + ':' + canonicalKey(objGet(v, k)!);
  }
  return s + '}';
}
