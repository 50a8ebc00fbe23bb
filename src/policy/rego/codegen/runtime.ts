/**
 * What generated code calls at run time: value lookups and iteration in the engine's order
 * (topdown/refs.ts), equality, builtin calls through the interpreter's own call path
 * (topdown/calls.ts callTarget: same errors, same strict handling), conflicts with the
 * interpreter's errors, and object rule insertion (topdown/objects.ts).
 */
import type { Loc, CallTerm } from '../ast/types.js';
import type { CallTarget } from '../compile/compiler.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { BigNum, RObject, RSet, equal, formatRaw, isNumber, isObject, objGet, objKeys, objSize, type Value } from '../value/index.js';
import { memberOf } from '../builtins/core/types.js';
import { mapCase } from '../builtins/strings.js';
import type { Evaluator } from '../topdown/eval.js';
import { callTarget } from '../topdown/calls.js';
import { lookup } from '../topdown/refs.js';
import { conflict } from '../topdown/ruleeval.js';
import { insertPath } from '../topdown/objects.js';
import { RegoEvalError } from '../topdown/errors.js';

const hasOwn = Object.prototype.hasOwnProperty;

/** refs.ts lookup, the commonest case (an object built by a rule) first */
export function get(coll: Value, key: Value): Value | undefined {
  if (coll instanceof RObject) return coll.get(key);
  if (typeof coll !== 'object' || coll === null || coll instanceof BigNum) return undefined;
  return lookup(coll, key);
}

/** memberOf (x in coll), a set's own test first */
export function member(x: Value, coll: Value): boolean {
  return coll instanceof RSet ? coll.has(x) : memberOf(x, coll);
}

/** lookup(v, k) for a string key */
export function sget(v: Value, k: string): Value | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  if (v instanceof RObject) return v.get(k);
  if (Array.isArray(v) || v instanceof BigNum) return undefined;
  if (v instanceof RSet) return v.has(k) ? k : undefined;
  const x = (v as Record<string, unknown>)[k];
  if (x === undefined || typeof x === 'function') return undefined;
  if (k === '__proto__' && !hasOwn.call(v, k)) return undefined;
  return x as Value;
}

/** storage lookup in base documents: numeric keys also find string object keys (refs.ts dataLookup) */
export function dget(base: Value, key: Value): Value | undefined {
  const v = lookup(base, key);
  if (v === undefined && typeof key === 'number' && isObject(base)) return objGet(base, String(key));
  return v;
}

const NONE: Value[] = [];

/** keys and values of a collection, flat (k0, v0, k1, v1, ...), in refs.ts iterate's order */
export function pairs(coll: Value): Value[] {
  if (Array.isArray(coll)) {
    const out = new Array<Value>(coll.length * 2);
    for (let i = 0; i < coll.length; i++) {
      out[2 * i] = i;
      out[2 * i + 1] = coll[i]!;
    }
    return out;
  }
  if (coll instanceof RSet) {
    const vs = coll.values();
    const out = new Array<Value>(vs.length * 2);
    for (let i = 0; i < vs.length; i++) out[2 * i] = out[2 * i + 1] = vs[i]!;
    return out;
  }
  if (isObject(coll)) {
    const ks = objKeys(coll);
    const out = new Array<Value>(ks.length * 2);
    for (let i = 0; i < ks.length; i++) {
      out[2 * i] = ks[i]!;
      out[2 * i + 1] = objGet(coll, ks[i]!)!;
    }
    return out;
  }
  return NONE;
}

export function isColl(v: Value): boolean {
  return Array.isArray(v) || v instanceof RSet || isObject(v);
}

export function setOf(vals: Value[]): RSet {
  return RSet.of(...vals);
}

export function objOf(keys: Value[], vals: Value[]): RObject {
  const o = new RObject();
  for (let i = 0; i < keys.length; i++) o.set(keys[i]!, vals[i]!);
  return o;
}

/** an object comprehension's member (eval.ts objectcompr: differing values for a key are a conflict) */
export function comprPut(out: RObject, key: Value, v: Value, loc: Loc): void {
  const old = out.get(key);
  if (old !== undefined && !equal(old, v)) throw new RegoEvalError('eval_conflict_error', 'object keys must be unique', loc);
  out.set(key, v);
}

/** the base document at a path */
export function baseAt(data: Value, path: string[]): Value | undefined {
  let v: Value | undefined = data;
  for (const p of path) {
    v = lookup(v, p);
    if (v === undefined) return undefined;
  }
  return v;
}

/** input.<name> (undefined when input is not an object), as topdown/partial.ts reads a stable root */
export function rootOf(input: Value | undefined, name: string): Value | undefined {
  return input !== undefined && isObject(input) ? objGet(input, name) : undefined;
}

/** a template string's part (eval.ts template): no value prints <undefined>, several distinct ones are an error */
export function templatePart(vals: RSet, loc: Loc): string {
  if (vals.size > 1) throw new RegoEvalError('eval_conflict_error', 'template-strings must not produce multiple outputs', loc);
  return vals.size === 0 ? '<undefined>' : formatRaw(vals.values()[0]!);
}

/** print's message (calls.ts doPrint): each argument's values, <undefined> for none */
export function printText(args: Value[][]): string {
  const parts: string[] = [];
  for (const vals of args) parts.push(vals.length === 0 ? '<undefined>' : vals.map(formatRaw).join(' '));
  return parts.join(' ');
}

/** walk's results in its order (calls.ts walk): [path, value] for v and everything below it, pre-order */
export function walkAll(v: Value): Value[] {
  const out: Value[] = [];
  const path: Value[] = [];
  const visit = (x: Value): void => {
    out.push([path.slice(), x]);
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) {
        path.push(i);
        visit(x[i]!);
        path.pop();
      }
    } else if (x instanceof RSet) {
      for (const m of x.values()) {
        path.push(m);
        visit(m);
        path.pop();
      }
    } else if (isObject(x)) {
      const ks = objKeys(x);
      for (let i = 0; i < ks.length; i++) {
        path.push(ks[i]!);
        visit(objGet(x, ks[i]!)!);
        path.pop();
      }
    }
  };
  visit(v);
  return out;
}

/** a result row of a query body: the bound variables by name */
export function row(names: string[], vals: Value[]): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (let i = 0; i < names.length; i++) out[names[i]!] = vals[i]!;
  return out;
}

export interface Runtime {
  row: typeof row;
  templatePart: typeof templatePart;
  printText: typeof printText;
  walkAll: typeof walkAll;
  print(msg: string): void;
  rootOf: typeof rootOf;
  lookup: typeof lookup;
  sget: typeof sget;
  dget: typeof dget;
  pairs: typeof pairs;
  isColl: typeof isColl;
  isObject: typeof isObject;
  isNumber: typeof isNumber;
  objGet: typeof objGet;
  objSize: typeof objSize;
  equal: typeof equal;
  member: typeof member;
  mapCase: typeof mapCase;
  setOf: typeof setOf;
  objOf: typeof objOf;
  comprPut: typeof comprPut;
  baseAt: typeof baseAt;
  RSet: typeof RSet;
  RObject: typeof RObject;
  call(target: CallTarget, t: CallTerm, vals: Value[]): Value | undefined;
  conflict(node: RuleNode, loc: Loc, fn: boolean): RegoEvalError;
  insert(out: RObject, keys: Value[], v: Value, node: RuleNode, r: CRule, multi: boolean, owned: WeakSet<object>): void;
  /** not yet computed (per-query node caches) */
  U: symbol;
}

export const NOT_COMPUTED: unique symbol = Symbol('not computed');

/** the runtime for one prepared query: builtins called as the interpreter calls them, with ev's options */
export function runtimeFor(ev: Evaluator): Runtime {
  return {
    row,
    templatePart,
    printText,
    walkAll,
    print: (msg) => ev.opts.ctx.print(msg),
    rootOf,
    lookup: get,
    sget,
    dget,
    pairs,
    isColl,
    isObject,
    isNumber,
    objGet,
    objSize,
    equal,
    member,
    mapCase,
    setOf,
    objOf,
    comprPut,
    baseAt,
    RSet,
    RObject,
    call: (target, t, vals) => callTarget(ev, target, vals, t),
    conflict,
    insert: insertPath,
    U: NOT_COMPUTED,
  };
}
