/**
 * Rule values carried from one query to the next without looking them up again. A query of a
 * prepared evaluator with stable input roots (EvalOptions.stable) stamps the nodes whose values it
 * took from, or stored into, a store that outlives the query (input-free values, static.ts; values
 * of stable roots, partial.ts; values decided by stable or scalar roots, effective.ts) with the
 * generation of the current carry, an epoch that lasts while the data document, strictness, the
 * stable roots (the same objects) and the scalar roots those values were keyed on (the same
 * values, ===) are all as they were. Every query of the epoch accepts a node stamped with it as a
 * hit of its query cache (EvalState.carryGen), so a carried node costs nothing until it is read,
 * and nothing is written to the nodes from one query to the next. Anything differing starts a new
 * epoch, which leaves every earlier stamp stale. Nodes are shared by the evaluators of one policy:
 * a node another evaluator recomputed carries that evaluator's generation, never this epoch's, so
 * it is simply recomputed (or found in its store) here.
 */
import type { RuleNode } from '../compile/tree.js';
import { RObject, objGet, isObject, type Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { nextGen } from './state.js';
import { stampMask } from './effective.js';

export interface Carry {
  /** the generation of the query that records (values from `with` scopes are not recorded) */
  gen: number;
  /** the generation the carried nodes are stamped with */
  epoch: number;
  /** what the carried values were computed from */
  data: unknown;
  strict: boolean;
  roots: string[];
  keys: unknown[];
  /** sameKeys for a plain input, generated for the roots (null: code generation unavailable) */
  same: SameFn | null | undefined;
  /** how many roots `same` compares (roots only grow within an epoch, reset replaces them) */
  sameCount: number;
}

type SameFn = (input: Record<string, unknown>, keys: readonly unknown[]) => boolean;

function rootValue(input: Value | undefined, name: string): unknown {
  return objGet(input as never, name);
}

/** rootValue of an object document (plain objects read directly: the roots are never __proto__ there) */
function rootOf(input: Value, name: string): unknown {
  if (input instanceof RObject || name === '__proto__') return objGet(input as never, name);
  const v = (input as Record<string, unknown>)[name];
  return typeof v === 'function' ? undefined : v;
}

function reset(c: Carry, ev: Evaluator, stable: readonly string[], input: Value): void {
  c.epoch = nextGen();
  c.data = ev.st.data;
  c.strict = ev.opts.strict;
  c.roots = stable.slice();
  c.keys = stable.map((name) => rootValue(input, name));
  c.same = undefined;
}

/** at the start of a query (after fresh()): the epoch goes on when nothing the carried values came from changed */
export function carryOver(ev: Evaluator): void {
  const stable = ev.stable;
  const input = ev.st.input;
  if (stable === null || input === undefined || !isObject(input)) {
    ev.carry = null;
    ev.st.carryGen = -1;
    return;
  }
  let c = ev.carry as Carry | null;
  if (c === null) {
    c = { gen: 0, epoch: 0, data: undefined, strict: false, roots: [], keys: [], same: undefined, sameCount: 0 };
    ev.carry = c;
    reset(c, ev, stable, input);
  } else if (c.data !== ev.st.data || c.strict !== ev.opts.strict || !sameKeys(c, input)) reset(c, ev, stable, input);
  c.gen = ev.st.gen;
  ev.st.carryGen = c.epoch;
}

function sameKeys(c: Carry, input: Value): boolean {
  const roots = c.roots;
  const keys = c.keys;
  // a plain input (the proxy's): each root read at its own site (sameFn), not at one megamorphic site here
  if ((input as { constructor?: unknown }).constructor === Object) {
    let same = c.same;
    if (same === undefined || c.sameCount !== roots.length) {
      same = c.same = sameFn(roots);
      c.sameCount = roots.length;
    }
    if (same !== null) return same(input as Record<string, unknown>, keys);
  }
  for (let i = 0; i < roots.length; i++) if (rootOf(input, roots[i]!) !== keys[i]) return false;
  return true;
}

/**
 * sameKeys of these roots for a plain input, generated (new Function) with each root's name as a
 * constant (K[i], never spliced into the source), or null when code generation is unavailable.
 * Reads as rootOf reads a plain object: a function member is undefined; __proto__ and the names
 * Object.prototype has go through rootOf.
 */
function sameFn(roots: readonly string[]): SameFn | null {
  const K = roots.slice();
  let body = '';
  for (let i = 0; i < K.length; i++) {
    const name = K[i]!;
    const read = name in Object.prototype || name === '__proto__' ? `rootOf(I, K[${i}])` : `I[K[${i}]]`;
    body += `x = ${read};\nif (typeof x === 'function') x = undefined;\nif (x !== keys[${i}]) return false;\n`;
  }
  try {
    return new Function('K', 'rootOf', `"use strict";\nreturn function same(I, keys) {\nlet x;\n${body}return true;\n};`)(K, rootOf) as SameFn;
  } catch {
    return null;
  }
}

/**
 * stamps node (its value just cached, its effective roots just set) as carried, given the input
 * roots it was keyed on beyond the stable ones (scalar roots, effective.ts; none for the other stores)
 */
export function record(ev: Evaluator, node: RuleNode, scalarRoots: readonly string[] | null): void {
  const c = ev.carry as Carry | null;
  if (c === null || c.gen !== ev.st.gen || ev.st.shadow !== null || ev.st.mocks !== null) return;
  if (scalarRoots !== null) {
    const input = ev.st.input;
    for (let i = 0; i < scalarRoots.length; i++) {
      const name = scalarRoots[i]!;
      if (!c.roots.includes(name)) {
        c.roots.push(name);
        c.keys.push(rootValue(input, name));
      }
    }
  }
  node.cacheGen = c.epoch;
  stampMask(node, c.epoch);
}

/** the carry of this query is keyed on input root `name` (its value is the same in every query of the epoch) */
export function keyedRoot(ev: Evaluator, name: string): boolean {
  const c = ev.carry as Carry | null;
  return c !== null && c.gen === ev.st.gen && c.roots.includes(name);
}
