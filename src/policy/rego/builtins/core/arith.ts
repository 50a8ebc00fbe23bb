/** Arithmetic operator builtins: plus, minus (numbers and sets), mul, div, rem, abs, round, ceil, floor. */
import { BigNum, RSet, fromBigInt, fromDouble, isNumber, toBigInt, toNumber, type Value } from '../../value/index.js';
import { BuiltinError, operandTypeError, type BuiltinDef } from '../registry.js';

type Num = number | BigNum;

function num(v: Value, pos: number): Num {
  if (typeof v === 'number' || v instanceof BigNum) return v;
  throw operandTypeError(pos, v, 'number');
}

function intArith(a: Num, b: Num, f: (x: bigint, y: bigint) => bigint, g: (x: number, y: number) => number): Num {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = g(a, b);
    if (Number.isSafeInteger(r) || !Number.isInteger(a) || !Number.isInteger(b)) return fromDouble(r);
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x !== null && y !== null) return fromBigInt(f(x, y));
  return fromDouble(g(toNumber(a), toNumber(b)));
}

export function plusNums(a: Num, b: Num): Num {
  return intArith(a, b, (x, y) => x + y, (x, y) => x + y);
}

const plus: BuiltinDef = {
  name: 'plus',
  arity: 2,
  fn: ([a, b]) => plusNums(num(a!, 1), num(b!, 2)),
};

const minus: BuiltinDef = {
  name: 'minus',
  arity: 2,
  fn: ([a, b]) => {
    if (a instanceof RSet) {
      if (!(b instanceof RSet)) throw operandTypeError(2, b!, 'set');
      const out = new RSet();
      for (const v of a.values()) if (!b.has(v)) out.add(v);
      return out;
    }
    if (!isNumber(a!)) throw operandTypeError(1, a!, 'number', 'set');
    if (!isNumber(b!)) throw operandTypeError(2, b!, 'number');
    return intArith(a as Num, b as Num, (x, y) => x - y, (x, y) => x - y);
  },
};

const mul: BuiltinDef = {
  name: 'mul',
  arity: 2,
  fn: ([a, b]) => intArith(num(a!, 1), num(b!, 2), (x, y) => x * y, (x, y) => x * y),
};

function isZero(n: Num): boolean {
  return typeof n === 'number' ? n === 0 : n.int === 0n;
}

const div: BuiltinDef = {
  name: 'div',
  arity: 2,
  fn: ([a, b]) => {
    const x = num(a!, 1);
    const y = num(b!, 2);
    if (isZero(y)) throw new BuiltinError('divide by zero');
    const xi = toBigInt(x);
    const yi = toBigInt(y);
    if (xi !== null && yi !== null && (typeof x !== 'number' || typeof y !== 'number') && xi % yi === 0n) {
      return fromBigInt(xi / yi);
    }
    return fromDouble(toNumber(x) / toNumber(y));
  },
};

const rem: BuiltinDef = {
  name: 'rem',
  arity: 2,
  fn: ([a, b]) => {
    const x = num(a!, 1);
    const y = num(b!, 2);
    const xi = toBigInt(x);
    const yi = toBigInt(y);
    if (xi === null || yi === null) throw new BuiltinError('modulo on floating-point number');
    if (yi === 0n) throw new BuiltinError('modulo by zero');
    return fromBigInt(xi % yi);
  },
};

function unary(name: string, f: (n: number) => number, fb: (b: bigint) => bigint): BuiltinDef {
  return {
    name,
    arity: 1,
    fn: ([a]) => {
      const x = num(a!, 1);
      if (typeof x !== 'number' && x.int !== null) return fromBigInt(fb(x.int));
      return fromDouble(f(toNumber(x)));
    },
  };
}

/** Go's math.Round: half away from zero */
function roundHalfAway(n: number): number {
  const r = Math.round(Math.abs(n));
  const f = Math.abs(n) - Math.floor(Math.abs(n)) === 0.5 ? Math.floor(Math.abs(n)) + 1 : r;
  return n < 0 ? -f : f;
}

export const arithBuiltins: BuiltinDef[] = [
  plus,
  minus,
  mul,
  div,
  rem,
  unary('abs', Math.abs, (b) => (b < 0n ? -b : b)),
  unary('round', roundHalfAway, (b) => b),
  unary('ceil', Math.ceil, (b) => b),
  unary('floor', Math.floor, (b) => b),
];
