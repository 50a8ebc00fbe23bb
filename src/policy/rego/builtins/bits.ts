/**
 * bits.* builtins on arbitrary-size integers (Go big.Int semantics): and, or, xor, negate (two's
 * complement ~x), lsh, rsh (arithmetic, shift count must be non-negative).
 */
import { BigNum, type Value } from '../value/index.js';
import { type BuiltinDef } from './registry.js';
import { bigInt, typeError } from './operands.js';

const int2 = (f: (a: bigint, b: bigint) => bigint) => (args: Value[]) => BigNum.fromBigInt(f(bigInt(args[0]!, 1), bigInt(args[1]!, 2)));

function shiftCount(v: Value): bigint {
  const n = bigInt(v, 2);
  if (n < 0n) throw typeError('operand 2 must be an unsigned integer number but got a negative integer');
  return n;
}

export const builtins: BuiltinDef[] = [
  { name: 'bits.and', arity: 2, fn: int2((a, b) => a & b) },
  { name: 'bits.or', arity: 2, fn: int2((a, b) => a | b) },
  { name: 'bits.xor', arity: 2, fn: int2((a, b) => a ^ b) },
  { name: 'bits.negate', arity: 1, fn: (a) => BigNum.fromBigInt(~bigInt(a[0]!, 1)) },
  { name: 'bits.lsh', arity: 2, fn: (a) => BigNum.fromBigInt(bigInt(a[0]!, 1) << shiftCount(a[1]!)) },
  { name: 'bits.rsh', arity: 2, fn: (a) => BigNum.fromBigInt(bigInt(a[0]!, 1) >> shiftCount(a[1]!)) },
];
