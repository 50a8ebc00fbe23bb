/**
 * Iteration of a body's `some x in c` without a closure per member (see bindStep); the evaluator
 * falls back to its general path (unification in continuation-passing style) for anything else.
 */
import type { Expr } from '../ast/types.js';
import { RSet, type Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { iterate } from './refs.js';
import { evalSingle, isSingle } from './single.js';
import type { Frame, K } from './state.js';

export const NOT_FAST = 2;

/**
 * `some x in c` (c single-valued, an array or a set) loops over c binding x, without a closure
 * per member; the binding is undone on return, as unifyValue does. NOT_FAST: use the general path.
 * (`x := t` binds as a step: steps.ts.)
 */
export function bindStep(ev: Evaluator, body: Expr[], i: number, f: Frame, k: K): boolean | typeof NOT_FAST {
  const e = body[i]!;
  if (e.kind === 'somein' && e.key === undefined) {
    const x = e.value!;
    if (x.t !== 'var' || x.slot < 0 || f[x.slot] !== undefined || !isSingle(ev, e.domain!, f)) return NOT_FAST;
    const coll = evalSingle(ev, e.domain!, f);
    if (coll === undefined) return false;
    let items: readonly Value[];
    if (Array.isArray(coll)) items = coll;
    else if (coll instanceof RSet) items = coll.values();
    else return someInObject(ev, e, coll, body, i, f, k);
    const slot = x.slot;
    for (let j = 0; j < items.length; j++) {
      f[slot] = items[j]!;
      if (ev.evalBody(body, i + 1, f, k)) {
        f[slot] = undefined;
        return true;
      }
    }
    f[slot] = undefined;
    return false;
  }
  return NOT_FAST;
}

/** `some x in c` over an object (or a scalar: no members), its domain already evaluated */
function someInObject(ev: Evaluator, e: Expr, coll: Value, body: Expr[], i: number, f: Frame, k: K): boolean {
  const next = (): boolean => ev.evalBody(body, i + 1, f, k);
  return iterate(coll, (_key, val) => ev.unifyValue(e.value!, val, f, next));
}
