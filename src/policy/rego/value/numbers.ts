/** Number helpers: conversion, integer checks, exact integer arithmetic with bigint fallback. */
import { BigNum, type Value } from './types.js';

export function toNumber(v: number | BigNum): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/** integer value of a number (bigint), or null if not integral */
export function toBigInt(v: number | BigNum): bigint | null {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : null;
  if (v.int !== null) return v.int;
  const d = decimalOf(v);
  return d.e >= 0 && d.e < 10000 ? d.m * 10n ** BigInt(d.e) : null;
}

export function isInteger(v: Value): boolean {
  if (typeof v === 'number') return Number.isInteger(v);
  return v instanceof BigNum && toBigInt(v) !== null;
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

/** parses Rego/JSON number text keeping big integers (and decimals a double cannot hold) exact */
export function parseNumber(text: string): number | BigNum | undefined {
  return parseNumberExact(text);
}

/** an exact decimal: m * 10^e, normalised (no trailing zeros in m) */
export interface Decimal {
  m: bigint;
  e: number;
}

function parseDecimal(text: string): Decimal | undefined {
  const r = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(text.trim());
  if (!r || (!r[2] && !r[3])) return undefined;
  const frac = r[3] ?? '';
  let m = BigInt((r[2] || '0') + frac);
  if (r[1] === '-') m = -m;
  let e = Number(r[4] ?? 0) - frac.length;
  if (m === 0n) return { m, e: 0 };
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  return { m, e };
}

export function decimalOf(v: number | BigNum): Decimal {
  const text = typeof v === 'number' ? String(v) : v.int !== null ? v.int.toString() : v.text;
  return parseDecimal(text) ?? { m: 0n, e: 0 };
}

export function compareDecimals(a: Decimal, b: Decimal): number {
  if (a.m === 0n || b.m === 0n || a.m < 0n !== b.m < 0n) {
    const sa = a.m === 0n ? 0 : a.m < 0n ? -1 : 1;
    const sb = b.m === 0n ? 0 : b.m < 0n ? -1 : 1;
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  }
  const d = a.e - b.e;
  if (Math.abs(d) > 20000) {
    // magnitudes far apart: the larger exponent wins (scaled by sign)
    const pos = a.m > 0n;
    return (d > 0) === pos ? 1 : -1;
  }
  const x = d >= 0 ? a.m * 10n ** BigInt(d) : a.m;
  const y = d < 0 ? b.m * 10n ** BigInt(-d) : b.m;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** canonical text of an exact decimal */
export function decimalText(d: Decimal): string {
  if (d.e >= 0 && d.e < 10000) return (d.m * 10n ** BigInt(d.e)).toString();
  return `${d.m}e${d.e}`;
}

/** parses Rego/JSON number text exactly: big integers and decimals a double cannot hold are BigNum */
export function parseNumberExact(text: string): number | BigNum | undefined {
  const t = text.trim();
  if (!/^-?(0|[1-9][0-9]*|0[0-9]+)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(t)) return undefined;
  if (/^-?[0-9]+$/.test(t)) {
    const n = Number(t);
    if (Number.isSafeInteger(n)) return n;
    return BigNum.fromBigInt(BigInt(t));
  }
  const d = parseDecimal(t)!;
  if (d.e >= 0 && d.e < 10000) {
    const b = d.m * 10n ** BigInt(d.e);
    const r = BigNum.fromBigInt(b);
    // keep the literal as written (OPA prints 2e308 as written); arithmetic stays exact via toBigInt
    return typeof r === 'number' ? r : new BigNum(null, t);
  }
  const n = Number(t);
  if (Number.isFinite(n) && compareDecimals(decimalOf(n), d) === 0) return n;
  return new BigNum(null, t);
}
