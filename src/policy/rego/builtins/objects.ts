/**
 * object.* builtins: get (key or path with default), keys, remove, filter, union (deep merge, right
 * wins), union_n, subset (recursive on objects, sets, contiguous arrays, array ⊇ set).
 */
import {
  BigNum,
  RObject,
  RSet,
  equal,
  isObject,
  objForEach,
  objGet,
  objKeys,
  type JsonObject,
  type Value,
} from '../value/index.js';
import { type BuiltinDef } from './registry.js';
import { obj, arr, elementError, typeError, operandTypeError } from './operands.js';

type Obj = RObject | JsonObject;

/** value at a path inside a value (OPA's Value.Find): undefined when absent */
export function findPath(v: Value, path: readonly Value[], from = 0): Value | undefined {
  let cur: Value = v;
  for (let i = from; i < path.length; i++) {
    const k = path[i]!;
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= cur.length) return undefined;
      cur = cur[k]!;
    } else if (cur instanceof RObject) {
      const next = cur.get(k);
      if (next === undefined) return undefined;
      cur = next;
    } else if (cur instanceof RSet) {
      if (!cur.has(k)) return undefined;
      cur = k;
    } else if (cur instanceof BigNum) {
      return undefined;
    } else {
      // plain JSON object (input documents): string keys only
      if (typeof k !== 'string' || !hasOwn.call(cur, k)) return undefined;
      cur = (cur as Record<string, Value>)[k]!;
    }
  }
  return cur;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** the key set of an object, set or array operand (getObjectKeysParam) */
function keysParam(v: Value): RSet {
  if (Array.isArray(v)) return RSet.of(...v);
  if (v instanceof RSet) return v;
  if (isObject(v)) return RSet.of(...objKeys(v));
  throw operandTypeError(2, v, 'object', 'set', 'array');
}

/** mergeWithOverwrite: keys of b win, nested objects merged recursively */
export function mergeObjects(a: Obj, b: Obj): RObject {
  const out = new RObject();
  objForEach(a, (k, v) => {
    out.set(k, v);
  });
  objForEach(b, (k, vb) => {
    const va = objGet(a, k);
    if (va !== undefined && isObject(va) && isObject(vb)) out.set(k, mergeObjects(va, vb));
    else out.set(k, vb);
  });
  return out;
}

function setSubset(sup: RSet, sub: RSet): boolean {
  for (const e of sub.values()) if (!sup.has(e)) return false;
  return true;
}

function arraySubset(sup: Value[], sub: Value[]): boolean {
  if (sub.length > sup.length) return false;
  outer: for (let s = 0; s + sub.length <= sup.length; s++) {
    for (let j = 0; j < sub.length; j++) if (!equal(sup[s + j]!, sub[j]!)) continue outer;
    return true;
  }
  return sub.length === 0;
}

function objectSubset(sup: Obj, sub: Obj): boolean {
  let ok = true;
  objForEach(sub, (k, subV) => {
    const supV = objGet(sup, k);
    if (supV === undefined) {
      ok = false;
      return true;
    }
    if (equal(subV, supV)) return false;
    if (isObject(supV) && isObject(subV)) ok = objectSubset(supV, subV);
    else if (supV instanceof RSet && subV instanceof RSet) ok = setSubset(supV, subV);
    else if (Array.isArray(supV) && Array.isArray(subV)) ok = arraySubset(supV, subV);
    else ok = false;
    return !ok;
  });
  return ok;
}

function subset(args: Value[]): Value {
  const sup = args[0]!;
  const sub = args[1]!;
  if (isObject(sup) && isObject(sub)) return objectSubset(sup, sub);
  if (sup instanceof RSet && sub instanceof RSet) return setSubset(sup, sub);
  if (Array.isArray(sup) && Array.isArray(sub)) return arraySubset(sup, sub);
  if (Array.isArray(sup) && sub instanceof RSet) {
    let unmatched = sub.size;
    for (const e of sup) {
      if (sub.has(e)) unmatched--;
      if (unmatched === 0) return true;
    }
    return false;
  }
  throw typeError('both arguments object.subset must be of the same type or array and set');
}

function get(args: Value[]): Value {
  const o = obj(args[0]!, 1);
  const key = args[1]!;
  const dflt = args[2]!;
  if (!Array.isArray(key)) return objGet(o, key) ?? dflt;
  if (key.length === 0) return args[0]!;
  return findPath(args[0]!, key) ?? dflt;
}

function remove(args: Value[]): Value {
  const o = obj(args[0]!, 1);
  const keys = keysParam(args[1]!);
  const out = new RObject();
  objForEach(o, (k, v) => {
    if (!keys.has(k)) out.set(k, v);
  });
  return out;
}

function filter(args: Value[]): Value {
  const o = obj(args[0]!, 1);
  const keys = keysParam(args[1]!);
  const out = new RObject();
  for (const k of keys.values()) {
    const v = objGet(o, k);
    if (v !== undefined) out.set(k, v);
  }
  return out;
}

function unionN(args: Value[]): Value {
  const list = arr(args[0]!, 1);
  let acc: Obj = new RObject();
  for (const o of list) {
    if (!isObject(o)) throw elementError(1, list, o, 'object');
    acc = mergeObjects(acc, o);
  }
  return acc as Value;
}

export const builtins: BuiltinDef[] = [
  { name: 'object.get', arity: 3, fn: get },
  { name: 'object.keys', arity: 1, fn: (a) => RSet.of(...objKeys(obj(a[0]!, 1))) },
  { name: 'object.remove', arity: 2, fn: remove },
  { name: 'object.filter', arity: 2, fn: filter },
  {
    name: 'object.union',
    arity: 2,
    fn: (a) => {
      const x = obj(a[0]!, 1);
      const y = obj(a[1]!, 2);
      return mergeObjects(x, y);
    },
  },
  { name: 'object.union_n', arity: 1, fn: unionN },
  { name: 'object.subset', arity: 2, fn: subset },
];
