/**
 * Object rules' values built key path by key path (`a[x][y] := v`, `a[x] contains v`): a value met
 * on the way that a rule produced (maybe a shared constant) is copied before it is added to, and
 * differing values for the same key are conflicts.
 */
import { RObject, RSet, equal, type Value } from '../value/index.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { RegoEvalError } from './errors.js';
import { conflict } from './ruleeval.js';

export function insertPath(out: RObject, keys: Value[], v: Value, node: RuleNode, r: CRule, multi: boolean, owned: WeakSet<object>): void {
  let o = out;
  for (let j = 0; j < keys.length - 1; j++) {
    let c = o.get(keys[j]!);
    if (c === undefined) {
      c = new RObject();
      owned.add(c);
      o.set(keys[j]!, c);
    } else if (!(c instanceof RObject)) throw conflict(node, r.loc, false);
    else if (!owned.has(c)) {
      // a value produced by a rule (maybe a shared constant): copy before adding to it
      const copy = new RObject();
      for (const k of c.keys()) copy.set(k, c.get(k)!);
      owned.add(copy);
      o.set(keys[j]!, copy);
      c = copy;
    }
    o = c;
  }
  const last = keys[keys.length - 1]!;
  const old = o.get(last);
  if (multi) {
    if (old === undefined) {
      const s = RSet.of(v);
      owned.add(s);
      o.set(last, s);
    } else if (old instanceof RSet) {
      if (owned.has(old)) old.add(v);
      else {
        const s = RSet.of(...old.values(), v);
        owned.add(s);
        o.set(last, s);
      }
    }
    else throw conflict(node, r.loc, false);
    return;
  }
  if (old !== undefined && !equal(old, v)) {
    if (keys.length === 1) throw new RegoEvalError('eval_conflict_error', 'object keys must be unique', r.loc);
    throw conflict(node, r.loc, false);
  }
  o.set(last, v);
}
