/** Number helpers: conversion, integer checks, exact integer arithmetic with bigint fallback. */
import { BigNum, type Value } from './types.js';

export function toNumber(v: number | BigNum): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/** integer value of a number (bigint), or null if not integral */
export function toBigInt(v: number | BigNum): bigint | null {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : null;
  return v.int;
}

export function isInteger(v: Value): boolean {
  if (typeof v === 'number') return Number.isInteger(v);
  return v instanceof BigNum && v.int !== null;
}

/** a number value from a bigint: a JS number when exactly representable, else BigNum */
export function fromBigInt(b: bigint): number | BigNum {
  return BigNum.fromBigInt(b);
}

/** normalises a double result: integers beyond 2^53 become exact BigNum */
export function fromDouble(n: number): number | BigNum {
  if (Number.isInteger(n) && !Number.isSafeInteger(n) && Number.isFinite(n)) return BigNum.fromBigInt(BigInt(n));
  return n;
}

/** parses Rego/JSON number text keeping big integers exact */
export function parseNumber(text: string): number | BigNum | undefined {
  const t = text.trim();
  if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(t)) return undefined;
  if (/^-?[0-9]+$/.test(t)) {
    const n = Number(t);
    if (Number.isSafeInteger(n)) return n;
    return BigNum.fromBigInt(BigInt(t));
  }
  const n = Number(t);
  if (!Number.isFinite(n)) return new BigNum(null, t);
  if (Number.isInteger(n) && !Number.isSafeInteger(n) && /^-?[0-9]+(\.0+)?([eE]\+?[0-9]+)?$/.test(t)) {
    return fromDouble(n);
  }
  return n;
}
