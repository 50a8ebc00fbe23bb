/**
 * A rule node's value, reused before it is evaluated. nodeRuleValue looks in turn at the value
 * cached in this query (or carried from the last, carry.ts), a direct alias of the input
 * (alias.ts), an input-free kept value (static.ts), a value kept by the stable input (partial.ts),
 * a value decided by stable or scalar input in an earlier query (effective.ts) and a value kept by
 * the input members the node can observe (keyed.ts); only when none applies are its rules evaluated
 * (ruleeval.ts), and the value is then cached and kept where those checks will find it next time,
 * with the node's effective roots. checkedRuleValue is the narrower form used by the decision memo
 * (memo.ts) for a check that may be a query's last step.
 */
import { aliasValue, inputAliasOf } from './alias.js';
import type { Value } from '../value/index.js';
import type { RuleNode } from '../compile/tree.js';
import type { Evaluator } from './eval.js';
import { UNDEF } from './state.js';
import { keep, keepable, keptValue, NOT_KEPT } from './static.js';
import { keepPartial, NOT_SET, partialEntry, partialValue } from './partial.js';
import { record } from './carry.js';
import { keepKeyed, keyedOf, keyedValue, NOT_KEYED, worthTrying } from './keyed.js';
import { nodeMask, effectiveValue, keepEffective, NOT_KEPT as NOT_EFFECTIVE, setMask, staticMask } from './effective.js';
import { evalCompleteNode, evalNode, lastMask } from './ruleeval.js';

/** value of the rules defined at node (cached per query; input-free nodes, and nodes reading only
 * stable input roots, across queries) */
export function nodeRuleValue(ev: Evaluator, node: RuleNode): Value | undefined {
  if (node.cacheGen === ev.st.gen || node.cacheGen === ev.st.carryGen) {
    const c = node.cacheVal;
    return c === UNDEF ? undefined : (c as Value);
  }
  // `args := input.arguments if is_object(input.arguments)`: read directly (alias.ts), all its roots its effective roots
  const alias = ev.st.mocks === null ? inputAliasOf(node) : null;
  if (alias !== null) {
    const av = aliasValue(ev, alias);
    node.cacheGen = ev.st.gen;
    node.cacheVal = av === undefined ? UNDEF : av;
    setMask(ev, node, staticMask(ev, node));
    return av;
  }
  const keeps = keepable(ev, node);
  const old = keeps !== null ? keptValue(ev, keeps) : NOT_KEPT;
  if (old !== NOT_KEPT) {
    node.cacheGen = ev.st.gen;
    node.cacheVal = old;
    setMask(ev, node, 0);
    record(ev, node, null);
    return old === UNDEF ? undefined : (old as Value);
  }
  // a value that depends on the stable parts of the input only (partial.ts)
  const part = keeps === null ? partialEntry(ev, node) : null;
  if (part !== null) {
    const pv = partialValue(ev, part);
    if (pv !== NOT_SET) {
      node.cacheGen = ev.st.gen;
      node.cacheVal = pv;
      setMask(ev, node, staticMask(ev, node));
      record(ev, node, null);
      return pv === UNDEF ? undefined : (pv as Value);
    }
  }
  // a value decided by stable or scalar input in an earlier query (effective.ts)
  const dyn = keeps === null && part === null && ev.stable !== null && ev.st.shadow === null && ev.st.mocks === null;
  const dv = dyn ? effectiveValue(ev, node) : NOT_EFFECTIVE; // cached by effectiveValue when found
  if (dv !== NOT_EFFECTIVE) return dv === UNDEF ? undefined : (dv as Value);
  // a value kept by the input members it can observe (keyed.ts)
  let keyed = dyn ? keyedOf(ev, node) : null;
  if (keyed !== null && !worthTrying(keyed)) keyed = null;
  if (keyed !== null) {
    const kv = keyedValue(ev, keyed);
    if (kv !== NOT_KEYED) {
      node.cacheGen = ev.st.gen;
      node.cacheVal = kv;
      setMask(ev, node, keyed.mask);
      return kv === UNDEF ? undefined : (kv as Value);
    }
  }
  const v = evalNode(ev, node);
  node.cacheGen = ev.st.gen;
  node.cacheVal = v === undefined ? UNDEF : v;
  setMask(ev, node, lastMask);
  if (keeps !== null || part !== null) {
    if (keeps !== null) keep(ev, keeps, node.cacheVal);
    else keepPartial(ev, part!, node.cacheVal);
    record(ev, node, null);
  } else if (dyn) {
    keepEffective(ev, node, node.cacheVal);
    if (keyed !== null && node.cacheGen !== ev.st.carryGen) {
      if (keyed.seen === ev.st.carryGen) keepKeyed(ev, keyed, node.cacheVal, nodeMask(ev, node));
      else keyed.seen = ev.st.carryGen;
    }
  }
  return v;
}

/**
 * The value of a node of complete rules that reads input.arguments, for a check that may be the
 * query's last step (memo.ts): cached in the query like nodeRuleValue and taken from or kept by the
 * input members it observes (keyed.ts) as there, but without the finer effective roots (all its
 * roots count: a superset, so nothing narrower is ever kept from it). Only with stable roots and
 * without `with` in force (where nodeRuleValue looks keyed values up too).
 */
export function checkedRuleValue(ev: Evaluator, node: RuleNode): Value | undefined {
  if (node.cacheGen === ev.st.gen || node.cacheGen === ev.st.carryGen) {
    const c = node.cacheVal;
    return c === UNDEF ? undefined : (c as Value);
  }
  let keyed = keyedOf(ev, node);
  if (keyed !== null && !worthTrying(keyed)) keyed = null;
  if (keyed !== null) {
    const kv = keyedValue(ev, keyed);
    if (kv !== NOT_KEYED) {
      node.cacheGen = ev.st.gen;
      node.cacheVal = kv;
      setMask(ev, node, keyed.mask);
      return kv === UNDEF ? undefined : (kv as Value);
    }
  }
  const v = evalCompleteNode(ev, node);
  node.cacheGen = ev.st.gen;
  node.cacheVal = v === undefined ? UNDEF : v;
  const mask = staticMask(ev, node);
  setMask(ev, node, mask);
  // kept from the second evaluation of the epoch on, as nodeRuleValue keeps
  if (keyed !== null) {
    if (keyed.seen === ev.st.carryGen) keepKeyed(ev, keyed, node.cacheVal, mask);
    else keyed.seen = ev.st.carryGen;
  }
  return v;
}
