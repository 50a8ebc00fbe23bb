/**
 * Rule values that cannot depend on input, kept across queries. A rule node is input-free when
 * none of its rules reads `input`, uses `with`, calls a volatile builtin, or reaches a rule that does
 * (dependence.ts). Such a node's value is the same for every query over the same base documents, so
 * the evaluator computes it once per data document (and strictness) instead of once per query.
 */
import type { RuleNode } from '../compile/tree.js';
import { inputFree } from './dependence.js';
import type { Evaluator } from './eval.js';

interface Kept {
  /** the node's rules are input-free */
  free: boolean;
  data: unknown;
  strict: boolean;
  value: unknown;
}

export const NOT_KEPT: unique symbol = Symbol('not kept');

/** the entry of an input-free node when its value may be kept in this state (no `with` in force) */
export function keepable(ev: Evaluator, node: RuleNode): Kept | null {
  if (ev.st.shadow !== null || ev.st.mocks !== null) return null;
  let k = node.kept as Kept | undefined;
  if (k === undefined) {
    k = { free: inputFree(node, ev.root), data: NOT_KEPT, strict: false, value: undefined };
    node.kept = k;
  }
  return k.free ? k : null;
}

/** the value kept under the current data document (UNDEF: undefined), or NOT_KEPT */
export function keptValue(ev: Evaluator, k: Kept): unknown {
  return k.data === ev.st.data && k.strict === ev.opts.strict ? k.value : NOT_KEPT;
}

export function keep(ev: Evaluator, k: Kept, value: unknown): void {
  k.data = ev.st.data;
  k.strict = ev.opts.strict;
  k.value = value;
}
