/** Reference evaluation: paths into values, into data (base documents merged with rules), iteration. */
import type { Term } from '../ast/types.js';
import { RObject, RSet, equal, isObject, objForEach, objGet, type Value } from '../value/index.js';
import { RegoEvalError } from './errors.js';
import type { RuleNode } from '../compile/tree.js';
import type { Evaluator } from './eval.js';
import type { Frame, VK } from './state.js';
import { nodeRuleValue } from './rules.js';

/** calls f(key, value) for each member of a collection; stops when f returns true */
export function iterate(coll: Value, fn: (k: Value, v: Value) => boolean): boolean {
  if (Array.isArray(coll)) {
    for (let i = 0; i < coll.length; i++) if (fn(i, coll[i]!)) return true;
    return false;
  }
  if (coll instanceof RSet) {
    for (const v of coll.values()) if (fn(v, v)) return true;
    return false;
  }
  if (isObject(coll)) {
    let stop = false;
    objForEach(coll, (k, v) => (stop = fn(k, v)));
    return stop;
  }
  return false;
}

export function lookup(coll: Value, key: Value): Value | undefined {
  if (Array.isArray(coll)) {
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= coll.length) return undefined;
    return coll[key];
  }
  if (coll instanceof RSet) return coll.has(key) ? key : undefined;
  if (isObject(coll)) return objGet(coll, key);
  return undefined;
}

function isPattern(ev: Evaluator, t: Term, f: Frame): boolean {
  switch (t.t) {
    case 'var':
      return t.slot >= 0 && f[t.slot] === undefined;
    case 'array':
      return t.items.some((i) => isPattern(ev, i, f));
    case 'object':
      return t.values.some((v) => isPattern(ev, v, f));
    default:
      return false;
  }
}

export function evalPath(ev: Evaluator, v: Value, path: Term[], i: number, f: Frame, k: VK): boolean {
  if (i === path.length) return k(v);
  const p = path[i]!;
  if (p.t === 'const') {
    const c = lookup(v, p.v);
    return c === undefined ? false : evalPath(ev, c, path, i + 1, f, k);
  }
  if (p.t === 'var' && p.slot >= 0) {
    const b = f[p.slot];
    if (b !== undefined) {
      const c = lookup(v, b);
      return c === undefined ? false : evalPath(ev, c, path, i + 1, f, k);
    }
    const slot = p.slot;
    const r = iterate(v, (key, val) => {
      f[slot] = key;
      const stop = evalPath(ev, val, path, i + 1, f, k);
      f[slot] = undefined;
      return stop;
    });
    return r;
  }
  if (isPattern(ev, p, f)) {
    return iterate(v, (key, val) => ev.unifyValue(p, key, f, () => evalPath(ev, val, path, i + 1, f, k)));
  }
  return ev.evalTerm(p, f, (key) => {
    const c = lookup(v, key);
    return c === undefined ? false : evalPath(ev, c, path, i + 1, f, k);
  });
}

function shadowed(ev: Evaluator, node: RuleNode): boolean {
  const sh = ev.st.shadow;
  if (sh === null) return false;
  for (const s of sh) if (node.name === s || node.name.startsWith(s + '.')) return true;
  return false;
}

/** the full value of the data document at node (rules and base data merged); undefined if none */
export function nodeValue(ev: Evaluator, node: RuleNode | undefined, base: Value | undefined): Value | undefined {
  if (node === undefined || shadowed(ev, node)) return base;
  if (node.hasRules) {
    const rv = nodeRuleValue(ev, node);
    if (node.children.size === 0 || rv === undefined || !isObject(rv)) return rv;
    return mergeRuleChildren(ev, node, rv, base);
  }
  if (node.isFunc) return undefined;
  if (!node.subtreeRules && node.children.size === 0) return base;
  return mergeChildren(ev, node, base);
}

/** an object produced by rules at node, merged with the documents of rules below it */
function mergeRuleChildren(ev: Evaluator, node: RuleNode, rv: Value, base: Value | undefined): Value {
  const out = new RObject();
  objForEach(rv as never, (k, v) => void out.set(k, v));
  for (const [name, child] of node.children) {
    const cv = nodeValue(ev, child, base !== undefined ? lookup(base, name) : undefined);
    if (cv === undefined) continue;
    const old = out.get(name);
    if (old !== undefined && !equal(old, cv)) {
      throw new RegoEvalError('eval_conflict_error', `rule ${child.name} produced conflicting values`, child.complete[0]?.loc);
    }
    out.set(name, cv);
  }
  return out;
}

function mergeChildren(ev: Evaluator, node: RuleNode, base: Value | undefined): Value | undefined {
  const out = new RObject();
  if (base !== undefined && !isObject(base)) return base;
  for (const [name, child] of node.children) {
    const cv = nodeValue(ev, child, base !== undefined ? objGet(base as never, name) : undefined);
    if (cv !== undefined) out.set(name, cv);
  }
  // base documents take precedence over rules on conflicting keys (as OPA merges them)
  if (base !== undefined) {
    objForEach(base, (k, v) => {
      const child = typeof k === 'string' ? node.children.get(k) : undefined;
      if (child === undefined || child.hasRules) out.set(k, v);
    });
  }
  return out;
}

/** evaluates data.<path[i..]> starting at a rule tree node and the base document at the same place */
export function evalDataPath(
  ev: Evaluator,
  node: RuleNode | undefined,
  base: Value | undefined,
  path: Term[],
  i: number,
  f: Frame,
  k: VK,
): boolean {
  if (node !== undefined && shadowed(ev, node)) node = undefined;
  if (node === undefined) return base === undefined ? false : evalBasePath(ev, base, path, i, f, k);
  if (node.hasRules || node.isFunc || i === path.length) {
    const v = nodeValue(ev, node, base);
    return v === undefined ? false : evalPath(ev, v, path, i, f, k);
  }
  const p = path[i]!;
  let key: Value | undefined;
  if (p.t === 'const') key = p.v;
  else if (p.t === 'var' && p.slot >= 0 && f[p.slot] !== undefined) key = f[p.slot];
  if (key !== undefined) {
    const child = typeof key === 'string' ? node.children.get(key) : undefined;
    const b = base === undefined ? undefined : dataLookup(base, key);
    return evalDataPath(ev, child, b, path, i + 1, f, k);
  }
  if (p.t === 'var' && p.slot >= 0) {
    const slot = p.slot;
    const keys = new Set<string>(node.children.keys());
    if (base !== undefined && isObject(base)) objForEach(base, (bk) => void (typeof bk === 'string' && keys.add(bk)));
    const sorted = [...keys].sort();
    for (const key of sorted) {
      f[slot] = key;
      const stop = evalDataPath(ev, node.children.get(key), base === undefined ? undefined : lookup(base, key), path, i + 1, f, k);
      f[slot] = undefined;
      if (stop) return true;
    }
    return false;
  }
  // complex key: evaluate the whole document here and walk it as a value
  const v = nodeValue(ev, node, base);
  return v === undefined ? false : evalPath(ev, v, path, i, f, k);
}

/** storage lookup: object keys in base documents are strings, so data.x[2] finds "2" */
function dataLookup(base: Value, key: Value): Value | undefined {
  const v = lookup(base, key);
  if (v === undefined && typeof key === 'number' && isObject(base)) return objGet(base, String(key));
  return v;
}

/** walks base documents (no rules below): numeric keys also match string object keys */
function evalBasePath(ev: Evaluator, v: Value, path: Term[], i: number, f: Frame, k: VK): boolean {
  if (i < path.length && isObject(v)) {
    const p = path[i]!;
    let key: Value | undefined;
    if (p.t === 'const') key = p.v;
    else if (p.t === 'var' && p.slot >= 0) key = f[p.slot];
    if (typeof key === 'number') {
      const c = dataLookup(v, key);
      return c === undefined ? false : evalBasePath(ev, c, path, i + 1, f, k);
    }
    if (key !== undefined) {
      const c = lookup(v, key);
      return c === undefined ? false : evalBasePath(ev, c, path, i + 1, f, k);
    }
  }
  return evalPath(ev, v, path, i, f, k);
}
