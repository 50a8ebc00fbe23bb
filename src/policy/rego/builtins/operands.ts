/**
 * Operand checks shared by the builtin modules, producing OPA's exact type errors
 * ("operand 1 must be string but got number", "must be array of strings but got array containing number").
 */
import {
  BigNum,
  RObject,
  RSet,
  isObject,
  typeName,
  type JsonObject,
  type Value,
} from '../value/index.js';
import { BuiltinError, BuiltinTypeError, operandTypeError as registryTypeError, valueFree } from './registry.js';

/** an OPA eval_type_error (as OPA: undefined without strict builtin errors, an error with them) */
export function typeError(message: string): BuiltinTypeError {
  return new BuiltinTypeError(message);
}

/** "operand 1 must be string but got number" */
export function operandTypeError(pos: number, got: Value, ...expected: string[]): BuiltinTypeError {
  return registryTypeError(pos, got, ...expected);
}

export function str(v: Value, pos: number): string {
  if (typeof v !== 'string') throw operandTypeError(pos, v, 'string');
  return v;
}

export function num(v: Value, pos: number): number | BigNum {
  if (typeof v === 'number' || v instanceof BigNum) return v;
  throw operandTypeError(pos, v, 'number');
}

/** Go `int` operand (IntOperand): must be an integral number */
export function int(v: Value, pos: number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw valueFree(typeError(`operand ${pos} must be integer number but got floating-point number`));
    return v;
  }
  if (v instanceof BigNum) {
    if (v.int === null) throw valueFree(typeError(`operand ${pos} must be integer number but got floating-point number`));
    return Number(v.int);
  }
  throw operandTypeError(pos, v, 'number');
}

/** integral operand as bigint (BigIntOperand) */
export function bigInt(v: Value, pos: number): bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw valueFree(typeError(`operand ${pos} must be integer number but got floating-point number`));
    return BigInt(v);
  }
  if (v instanceof BigNum) {
    if (v.int === null) throw valueFree(typeError(`operand ${pos} must be integer number but got floating-point number`));
    return v.int;
  }
  throw operandTypeError(pos, v, 'integer');
}

export function obj(v: Value, pos: number): RObject | JsonObject {
  if (isObject(v)) return v;
  throw operandTypeError(pos, v, 'object');
}

export function arr(v: Value, pos: number): Value[] {
  if (Array.isArray(v)) return v;
  throw operandTypeError(pos, v, 'array');
}

export function set(v: Value, pos: number): RSet {
  if (v instanceof RSet) return v;
  throw operandTypeError(pos, v, 'set');
}

/** "must be array of strings but got array containing number" */
export function elementError(pos: number, composite: Value, got: Value, ...expected: string[]): BuiltinTypeError {
  const t = typeName(composite);
  if (expected.length === 1) {
    return valueFree(typeError(`operand ${pos} must be ${t} of ${expected[0]}s but got ${t} containing ${typeName(got)}`));
  }
  return valueFree(typeError(`operand ${pos} must be ${t} of (any of) {${expected.join(', ')}} but got ${t} containing ${typeName(got)}`));
}

/** array or set of strings (StringSliceOperand) */
export function stringList(v: Value, pos: number): string[] {
  let items: readonly Value[];
  if (Array.isArray(v)) items = v;
  else if (v instanceof RSet) items = v.values();
  else throw operandTypeError(pos, v, 'array', 'set');
  const out: string[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const s = items[i]!;
    if (typeof s !== 'string') throw elementError(pos, v, s, 'string');
    out[i] = s;
  }
  return out;
}

/** members of an array or set */
export function members(v: Value): readonly Value[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.values();
  return undefined;
}

export function fail(msg: string): never {
  throw new BuiltinError(msg);
}

export function typeFail(msg: string): never {
  throw typeError(msg);
}

/** Go's utf8 byte length of a JS string */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** numeric JS double of a number value */
export function toDouble(v: number | BigNum): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/**
 * A small bounded cache for compiled patterns: lookups do not reorder (no allocation on the hot
 * path); when full, the oldest insertion is evicted.
 */
export class Lru<K, V> {
  private readonly m = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    return this.m.get(k);
  }
  set(k: K, v: V): void {
    if (!this.m.has(k) && this.m.size >= this.max) this.m.delete(this.m.keys().next().value as K);
    this.m.set(k, v);
  }
}
