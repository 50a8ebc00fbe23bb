/**
 * Compile-time type errors for calls of the engine's core builtins whose operands are literals of
 * a type the builtin never accepts (`1 + "a"`, `count(1)`), reported as OPA does:
 * "rego_type_error: plus: invalid argument(s)" with the operand types it has and wants.
 */
import type { CallTerm } from '../ast/types.js';
import { typeName } from '../value/index.js';
import { fail } from './errors.js';

const NUM = ['number'];
const SET = ['set'];
const COLL = ['array', 'set'];

const SIGNATURES: Record<string, string[][]> = {
  plus: [NUM, NUM],
  mul: [NUM, NUM],
  div: [NUM, NUM],
  rem: [NUM, NUM],
  minus: [['number', 'set'], ['number', 'set']],
  abs: [NUM],
  round: [NUM],
  ceil: [NUM],
  floor: [NUM],
  and: [SET, SET],
  or: [SET, SET],
  count: [['array', 'object', 'set', 'string']],
  sum: [COLL],
  product: [COLL],
  max: [COLL],
  min: [COLL],
  sort: [COLL],
  intersection: [SET],
  union: [SET],
  to_number: [['null', 'boolean', 'number', 'string']],
};

function want(types: string[]): string {
  return types.length === 1 ? types[0]! : `any<${types.join(', ')}>`;
}

export function checkCallTypes(t: CallTerm, name: string): void {
  const sig = SIGNATURES[name];
  if (!sig) return;
  let bad = false;
  const have = t.args.slice(0, sig.length).map((a, i) => {
    if (a.t !== 'const') return 'any';
    const ty = typeName(a.v);
    if (!sig[i]!.includes(ty)) bad = true;
    return ty;
  });
  if (bad) {
    fail(t.loc, `rego_type_error: ${name}: invalid argument(s)\n\thave: (${have.join(', ')})\n\twant: (${sig.map(want).join(', ')})`);
  }
}
