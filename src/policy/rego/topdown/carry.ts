/**
 * Rule values carried from one query to the next without looking them up again. A query of a
 * prepared evaluator with stable input roots (EvalOptions.stable) records the nodes whose values
 * it took from, or stored into, a store that outlives the query: input-free values (static.ts),
 * values of stable roots (partial.ts) and values decided by stable or scalar roots (effective.ts),
 * with those values. The next query, when the data document, strictness, the stable roots (the
 * same objects) and the scalar roots those values were keyed on (the same values, ===) are all as
 * they were, stamps these nodes with its generation and their values at once: each is then a hit
 * of the query cache, as if this query had computed it. Anything else differing starts a new list.
 * Nodes are shared by the evaluators of one policy, so each value (and its effective roots) is
 * restored, not assumed.
 */
import type { RuleNode } from '../compile/tree.js';
import { RObject, objGet, isObject, type Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { currentMask, restampMask } from './effective.js';

export interface Carry {
  /** the generation of the query that records (values from `with` scopes are not recorded) */
  gen: number;
  nodes: RuleNode[];
  values: unknown[];
  /** their effective roots (effective.ts), so that values computed from them can be kept too */
  masks: number[];
  /** what the carried values were computed from */
  data: unknown;
  strict: boolean;
  roots: string[];
  keys: unknown[];
}

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
  c.nodes.length = 0;
  c.values.length = 0;
  c.masks.length = 0;
  c.data = ev.st.data;
  c.strict = ev.opts.strict;
  c.roots = stable.slice();
  c.keys = stable.map((name) => rootValue(input, name));
}

/** at the start of a query (after fresh()): carries the recorded values over when nothing they came from changed */
export function carryOver(ev: Evaluator): void {
  const stable = ev.stable;
  const input = ev.st.input;
  if (stable === null || input === undefined || !isObject(input)) {
    ev.carry = null;
    return;
  }
  let c = ev.carry as Carry | null;
  if (c === null) {
    c = { gen: 0, nodes: [], values: [], masks: [], data: undefined, strict: false, roots: [], keys: [] };
    ev.carry = c;
    reset(c, ev, stable, input);
  } else if (c.data !== ev.st.data || c.strict !== ev.opts.strict || !sameKeys(c, input)) reset(c, ev, stable, input);
  else {
    const gen = ev.st.gen;
    const nodes = c.nodes;
    const values = c.values;
    const masks = c.masks;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      n.cacheGen = gen;
      n.cacheVal = values[i];
      restampMask(n, gen, masks[i]!);
    }
  }
  c.gen = ev.st.gen;
}

function sameKeys(c: Carry, input: Value): boolean {
  const roots = c.roots;
  const keys = c.keys;
  for (let i = 0; i < roots.length; i++) if (rootOf(input, roots[i]!) !== keys[i]) return false;
  return true;
}

/**
 * records that node's value (just cached) may be carried, given the input roots it was keyed on
 * beyond the stable ones (scalar roots, effective.ts; none for the other stores)
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
  c.nodes.push(node);
  c.values.push(node.cacheVal);
  c.masks.push(currentMask(node));
}
