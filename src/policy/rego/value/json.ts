/** Conversion between Rego values and JSON / plain JS data. */
import { BigNum, RObject, RSet, type Value } from './types.js';
import { objForEach } from './object.js';
import { numberText } from './hash.js';

/**
 * JSON data (as produced by JSON.parse) is already a Value: this is O(1) and does not copy.
 * Plain objects are used as string-keyed object values as they are.
 */
export function fromJSON(x: unknown): Value {
  if (typeof x === 'bigint') return BigNum.fromBigInt(x);
  return x as Value;
}

/**
 * Deep normalisation of arbitrary JS data (e.g. YAML with bigint integers, Maps, undefined members):
 * bigint -> number/BigNum, Map -> RObject, Set -> RSet, undefined members dropped.
 */
export function fromJS(x: unknown): Value {
  switch (typeof x) {
    case 'bigint':
      return BigNum.fromBigInt(x);
    case 'string':
    case 'boolean':
      return x;
    case 'number':
      return x;
    case 'undefined':
      return null;
  }
  if (x === null) return null;
  if (Array.isArray(x)) return x.map(fromJS);
  if (x instanceof RSet || x instanceof RObject || x instanceof BigNum) return x;
  if (x instanceof Map) {
    const o = new RObject();
    for (const [k, v] of x) o.set(fromJS(k), fromJS(v));
    return o;
  }
  if (x instanceof Set) {
    const s = new RSet();
    for (const v of x) s.add(fromJS(v));
    return s;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(x as object)) {
    const v = (x as Record<string, unknown>)[k];
    if (v !== undefined) Object.defineProperty(out, k, { value: fromJS(v), enumerable: true, writable: true, configurable: true });
  }
  return out as Value;
}

/**
 * Value -> plain JSON data: sets become sorted arrays, objects plain objects (non-string keys become
 * their JSON text, as OPA outputs them), big integers become numbers when exact, otherwise JS numbers (lossy).
 */
export function toJSON(v: Value): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof BigNum) return v.toNumber();
  if (Array.isArray(v)) return v.map(toJSON);
  if (v instanceof RSet) return v.values().map(toJSON);
  const out: Record<string, unknown> = {};
  objForEach(v, (k, val) => {
    const key = typeof k === 'string' ? k : toJSONText(k);
    if (key !== '__proto__') out[key] = toJSON(val);
    else Object.defineProperty(out, key, { value: toJSON(val), enumerable: true, writable: true, configurable: true });
  });
  return out;
}

/** Value -> JSON text, keeping big numbers exact and object keys sorted. */
export function toJSONText(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return numberText(v);
    case 'string':
      return JSON.stringify(v);
  }
  if (v instanceof BigNum) return v.text;
  if (Array.isArray(v)) return '[' + v.map(toJSONText).join(',') + ']';
  if (v instanceof RSet) return '[' + v.values().map(toJSONText).join(',') + ']';
  const parts: string[] = [];
  objForEach(v, (k, val) => {
    parts.push(JSON.stringify(typeof k === 'string' ? k : toJSONText(k)) + ':' + toJSONText(val));
  });
  return '{' + parts.join(',') + '}';
}
