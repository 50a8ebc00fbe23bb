/**
 * Term helpers of the footprint walk (footprint-walk.ts): which slots a term mentions, and whether
 * a rule's value term is defined whenever its body succeeded.
 */
import type { Term } from '../ast/types.js';

/**
 * A value term that is defined whenever its body succeeded, whatever it holds: a constant, a local
 * (bound by the body), a comprehension, an array or set of such. A rule whose every body failed is
 * undefined; with such values, a rule that is undefined had every body fail (class-walk.ts).
 */
export function total(t: Term | undefined): boolean {
  if (t === undefined) return false;
  switch (t.t) {
    case 'const':
    case 'arraycompr':
    case 'setcompr':
    case 'objectcompr':
      return true;
    case 'var':
      return t.slot >= 0;
    case 'array':
    case 'set':
      return t.items.every(total);
    default:
      return false;
  }
}

/** whether the slot is used anywhere in t */
export function mentionsSlot(t: Term, slot: number): boolean {
  switch (t.t) {
    case 'var':
      return t.slot === slot;
    case 'ref':
      return mentionsSlot(t.head, slot) || t.path.some((p) => mentionsSlot(p, slot));
    case 'array':
    case 'set':
      return t.items.some((x) => mentionsSlot(x, slot));
    case 'object':
      return t.keys.some((x) => mentionsSlot(x, slot)) || t.values.some((x) => mentionsSlot(x, slot));
    case 'call':
      return t.args.some((x) => mentionsSlot(x, slot));
    default:
      return false;
  }
}
