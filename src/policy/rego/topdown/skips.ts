/**
 * Set rules ruled out by carried values. In a carry epoch (carry.ts) every carried rule value, and
 * every input root the carry is keyed on (the stable roots and the scalar roots it recorded), is the
 * same in each query; so a rule whose guard (guard.ts) failed on such a value in one query of the
 * epoch fails the same way in all its queries. The first evaluation of a rule list in an epoch
 * notes these rules; the later ones run the list without them, and count, for what the set's value
 * depends on (effective.ts), each one's guard subject: the carried node's effective roots, or the
 * input root. Kept on the rule list itself, for one epoch at a time (epochs are unique generations,
 * so an evaluator in another epoch only replaces it). Only without `with` (carryGen is -1 there).
 */
import type { CRule } from '../compile/tree.js';
import type { Evaluator } from './eval.js';
import type { Guard } from './guard.js';
import { nodeMask, rootBit, UNKNOWN } from './effective.js';
import { keyedRoot } from './carry.js';

/** the rules of a list left in an epoch, and the effective roots of the ones ruled out */
export interface Skips {
  epoch: number;
  rules: readonly CRule[];
  mask: number;
}

type WithSkips = readonly CRule[] & { skips?: Skips };

/** the list's rules for this query's epoch, when noted; null: run them all (and note, see SkipNotes) */
export function skipsOf(ev: Evaluator, rules: readonly CRule[]): Skips | null {
  const epoch = ev.st.carryGen;
  if (epoch === -1) return null;
  const s = (rules as WithSkips).skips;
  return s !== undefined && s.epoch === epoch ? s : null;
}

/**
 * The effective roots of a guard that failed when its subject is the same in every query of the
 * epoch, else -1 (the rule must be tried again next time). Right after guardCheck.
 */
export function carriedFailure(ev: Evaluator, g: Guard): number {
  const epoch = ev.st.carryGen;
  if (epoch === -1) return -1;
  const node = g.node;
  if (node !== null) {
    if (node.cacheGen !== epoch) return -1;
    const m = nodeMask(ev, node);
    return (m & UNKNOWN) !== 0 ? -1 : m;
  }
  const root = g.path[0];
  if (root === undefined || !keyedRoot(ev, root)) return -1;
  const m = rootBit(root);
  return (m & UNKNOWN) !== 0 ? -1 : m;
}

/** keeps, for this query's epoch, the list without the rules at the indexes `out` (ascending), whose guards' roots are `mask` */
export function noteSkips(ev: Evaluator, rules: readonly CRule[], out: number[], mask: number): void {
  const kept: CRule[] = [];
  let k = 0;
  for (let j = 0; j < rules.length; j++) {
    if (k < out.length && out[k] === j) k++;
    else kept.push(rules[j]!);
  }
  const s: Skips = { epoch: ev.st.carryGen, rules: kept, mask };
  const holder = rules as WithSkips;
  if (Object.prototype.hasOwnProperty.call(holder, 'skips')) (holder as { skips?: Skips }).skips = s;
  else Object.defineProperty(holder, 'skips', { value: s, enumerable: false, writable: true });
}
