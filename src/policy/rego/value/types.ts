/**
 * Rego value model. A Value is one of:
 *   null | boolean | string | number (JS double, integers within 2^53) | BigNum (integers beyond
 *   2^53 and decimals kept exactly) | Value[] (array) | RSet | RObject | JSON object.
 * A "JSON object" is any other plain JS object (as produced by JSON.parse): it is an object value
 * with string keys, used as-is so that a large input document is never deep-converted. Objects
 * built by the evaluator are RObject (supports non-string keys). Always go through the helpers in
 * object.ts (objGet, objSize, objForEach, ...) instead of touching objects directly.
 */

export type Value =
  | null
  | boolean
  | string
  | number
  | BigNum
  | Value[]
  | RSet
  | RObject
  | JsonObject;

export interface JsonObject {
  [key: string]: unknown;
}

/** Arbitrary precision number: integer (bigint) or decimal string that does not fit a double. */
export class BigNum {
  /** integer value when the number is integral */
  readonly int: bigint | null;
  /** canonical decimal text */
  readonly text: string;
  constructor(int: bigint | null, text: string) {
    this.int = int;
    this.text = text;
  }
  static fromBigInt(b: bigint): BigNum | number {
    if (b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(b);
    return new BigNum(b, b.toString());
  }
  toNumber(): number {
    return this.int !== null ? Number(this.int) : Number(this.text);
  }
}

/** Type tags, ordered as OPA sorts values: null < boolean < number < string < array < object < set. */
export const enum Kind {
  Null = 0,
  Boolean = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
  Set = 6,
}

export function kindOf(v: Value): Kind {
  switch (typeof v) {
    case 'string':
      return Kind.String;
    case 'number':
      return Kind.Number;
    case 'boolean':
      return Kind.Boolean;
    default:
      if (v === null) return Kind.Null;
      if (Array.isArray(v)) return Kind.Array;
      if (v instanceof RSet) return Kind.Set;
      if (v instanceof BigNum) return Kind.Number;
      return Kind.Object;
  }
}

export function isNumber(v: Value): v is number | BigNum {
  return typeof v === 'number' || v instanceof BigNum;
}
export function isSet(v: Value): v is RSet {
  return v instanceof RSet;
}
export function isArray(v: Value): v is Value[] {
  return Array.isArray(v);
}
export function isObject(v: Value): v is RObject | JsonObject {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RSet) && !(v instanceof BigNum)
  );
}

/** OPA type names as used by type_name and in error messages. */
export function typeName(v: Value): string {
  switch (kindOf(v)) {
    case Kind.Null:
      return 'null';
    case Kind.Boolean:
      return 'boolean';
    case Kind.Number:
      return 'number';
    case Kind.String:
      return 'string';
    case Kind.Array:
      return 'array';
    case Kind.Object:
      return 'object';
    default:
      return 'set';
  }
}

// RSet / RObject are defined in collections.ts to keep files small; re-exported here.
import { RSet, RObject } from './collections.js';
export { RSet, RObject };
