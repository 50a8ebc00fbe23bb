/**
 * units.parse (SI and binary SI suffixes, "m" milli, exact rational arithmetic) and
 * units.parse_bytes (case-insensitive byte units, truncated to an integer), with OPA's messages.
 */
import { BigNum, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str } from './operands.js';

const MAX_EXPONENT_DIGITS = 6;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** OPA's extractNumAndUnit; null when the exponent is too large */
function splitNumUnit(s: string): [string, string] | null {
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (!isDigit(c) && c !== '.' && c !== 'e' && c !== 'E' && c !== '+' && c !== '-') {
      first = i;
      break;
    }
    if (c === 'e' || c === 'E') {
      const n = s[i + 1];
      if (i === s.length - 1 || (!isDigit(n) && n !== '+' && n !== '-')) {
        first = i;
        break;
      }
      if (n === '+' || n === '-') i++;
      let e = i + 1;
      while (e < s.length && isDigit(s[e])) e++;
      if (e - (i + 1) > MAX_EXPONENT_DIGITS) return null;
    }
  }
  if (first === -1) return [s, ''];
  if (first === 0) return ['', s];
  return [s.slice(0, first), s.slice(first)];
}

/** exact rational of a decimal literal ("-1.5e3", ".5"), or null (Go's big.Rat SetString subset) */
export function parseRational(s: string): { n: bigint; d: bigint } | null {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(s);
  if (m === null) return null;
  const intPart = m[2]!;
  const frac = m[3] ?? '';
  if (intPart === '' && frac === '') return null;
  let n = BigInt((intPart || '0') + frac);
  let d = 10n ** BigInt(frac.length);
  const exp = m[4] !== undefined ? Number(m[4]) : 0;
  if (exp > 0) n *= 10n ** BigInt(exp);
  else if (exp < 0) d *= 10n ** BigInt(-exp);
  if (m[1] === '-') n = -n;
  return { n, d };
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** a rational as a Rego number: integers exact, other values as FloatString(10) does */
function ratToNumber(n: bigint, d: bigint): Value {
  const g = gcd(n, d);
  n /= g;
  d /= g;
  if (d === 1n) return BigNum.fromBigInt(n);
  const neg = n < 0n;
  const a = neg ? -n : n;
  // round half away from zero at 10 decimal places
  const scaled = (a * 10n ** 10n * 2n + d) / (2n * d);
  const ip = scaled / 10n ** 10n;
  const fp = (scaled % 10n ** 10n).toString().padStart(10, '0');
  return Number((neg ? '-' : '') + ip.toString() + '.' + fp);
}

const SI: Record<string, [bigint, bigint]> = {
  '': [1n, 1n],
  m: [1n, 1000n],
  k: [1000n, 1n],
  K: [1000n, 1n],
  M: [10n ** 6n, 1n],
  g: [10n ** 9n, 1n],
  G: [10n ** 9n, 1n],
  t: [10n ** 12n, 1n],
  T: [10n ** 12n, 1n],
  p: [10n ** 15n, 1n],
  P: [10n ** 15n, 1n],
  e: [10n ** 18n, 1n],
  E: [10n ** 18n, 1n],
  ki: [1n << 10n, 1n],
  Ki: [1n << 10n, 1n],
  mi: [1n << 20n, 1n],
  Mi: [1n << 20n, 1n],
  gi: [1n << 30n, 1n],
  Gi: [1n << 30n, 1n],
  ti: [1n << 40n, 1n],
  Ti: [1n << 40n, 1n],
  pi: [1n << 50n, 1n],
  Pi: [1n << 50n, 1n],
  ei: [1n << 60n, 1n],
  Ei: [1n << 60n, 1n],
};

const BYTES: Record<string, bigint> = {
  '': 1n,
  kb: 1000n,
  k: 1000n,
  kib: 1n << 10n,
  ki: 1n << 10n,
  mb: 10n ** 6n,
  m: 10n ** 6n,
  mib: 1n << 20n,
  mi: 1n << 20n,
  gb: 10n ** 9n,
  g: 10n ** 9n,
  gib: 1n << 30n,
  gi: 1n << 30n,
  tb: 10n ** 12n,
  t: 10n ** 12n,
  tib: 1n << 40n,
  ti: 1n << 40n,
  pb: 10n ** 15n,
  p: 10n ** 15n,
  pib: 1n << 50n,
  pi: 1n << 50n,
  eb: 10n ** 18n,
  e: 10n ** 18n,
  eib: 1n << 60n,
  ei: 1n << 60n,
};

function unitsParse(raw: string): Value {
  const err = (m: string): never => {
    throw new BuiltinError(`units.parse: ${m}`);
  };
  const s = raw.replace(/"/g, '');
  if (s.includes(' ')) err('spaces not allowed in resource strings');
  const parts = splitNumUnit(s);
  if (parts === null) return err('exponent too large');
  const [num, u] = parts;
  if (num === '') err('no amount provided');
  const unit = u.length > 1 ? u[0] + u.slice(1).toLowerCase() : u;
  const mult = SI[unit];
  if (mult === undefined) err(`unit ${unit} not recognized`);
  const r = parseRational(num);
  if (r === null) return err('could not parse amount to a number');
  return ratToNumber(r.n * mult![0], r.d * mult![1]);
}

function parseBytes(raw: string): Value {
  const err = (m: string): never => {
    throw new BuiltinError(`units.parse_bytes: ${m}`);
  };
  const s = raw.toLowerCase().replace(/"/g, '');
  if (s.includes(' ')) err('spaces not allowed in resource strings');
  const parts = splitNumUnit(s);
  if (parts === null) return err('exponent too large');
  const [num, unit] = parts;
  if (num === '') err('no byte amount provided');
  const mult = BYTES[unit];
  if (mult === undefined) err(`byte unit ${unit} not recognized`);
  const r = parseRational(num);
  if (r === null) return err('could not parse byte amount to a number');
  // truncation toward zero, as big.Float.Int does
  return BigNum.fromBigInt((r.n * mult!) / r.d);
}

export const builtins: BuiltinDef[] = [
  { name: 'units.parse', arity: 1, fn: (a) => unitsParse(str(a[0]!, 1)) },
  { name: 'units.parse_bytes', arity: 1, fn: (a) => parseBytes(str(a[0]!, 1)) },
];
