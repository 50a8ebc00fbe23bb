/** Uniform access to object values (RObject or plain JSON objects). */
import { RObject, type JsonObject, type Value } from './types.js';

const hasOwn = Object.prototype.hasOwnProperty;

export function objGet(o: RObject | JsonObject, k: Value): Value | undefined {
  if (o instanceof RObject) return o.get(k);
  if (typeof k !== 'string') return undefined;
  const v = o[k];
  // inherited members of Object.prototype are functions, or the __proto__ accessor
  if (v === undefined || typeof v === 'function') return undefined;
  if (k === '__proto__' && !hasOwn.call(o, k)) return undefined;
  return v as Value;
}

export function objSize(o: RObject | JsonObject): number {
  if (o instanceof RObject) return o.size;
  return Object.keys(o).length;
}

/** keys in OPA (sorted) order */
export function objKeys(o: RObject | JsonObject): readonly Value[] {
  if (o instanceof RObject) return o.keys();
  const ks = Object.keys(o);
  let sorted = true;
  for (let i = 1; i < ks.length; i++) {
    if (ks[i - 1]! > ks[i]!) {
      sorted = false;
      break;
    }
  }
  if (!sorted) ks.sort();
  return ks;
}

/** calls f(key, value) for every entry in sorted key order; stops when f returns true */
export function objForEach(o: RObject | JsonObject, f: (k: Value, v: Value) => boolean | void): void {
  const ks = objKeys(o);
  for (let i = 0; i < ks.length; i++) {
    const k = ks[i]!;
    if (f(k, objGet(o, k)!) === true) return;
  }
}

export function objEntries(o: RObject | JsonObject): [Value, Value][] {
  const out: [Value, Value][] = [];
  const ks = objKeys(o);
  for (let i = 0; i < ks.length; i++) out.push([ks[i]!, objGet(o, ks[i]!)!]);
  return out;
}

/** builds an object value from entries (later entries replace earlier ones) */
export function makeObject(entries: Iterable<readonly [Value, Value]>): RObject {
  return RObject.fromEntries(entries);
}

/** copy of an object value as a mutable RObject */
export function toRObject(o: RObject | JsonObject): RObject {
  const r = new RObject();
  objForEach(o, (k, v) => {
    r.set(k, v);
  });
  return r;
}
