/** Late lookup of sibling builtins (avoids import cycles). */
import type { BigNum } from '../../value/index.js';
import { lookupBuiltin } from '../registry.js';

type Num = number | BigNum;
const dummyCtx = { nowNs: 0n, cache: new Map(), print() {}, strict: false };

export function lookupMul(): (a: Num, b: Num) => Num {
  const def = lookupBuiltin('mul')!;
  return (a, b) => def.fn([a, b], dummyCtx) as Num;
}
