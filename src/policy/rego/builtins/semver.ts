/**
 * semver.is_valid and semver.compare per SemVer 2.0.0: no leading zeros in numeric parts and numeric
 * pre-release identifiers, non-empty pre-release/build sections, precedence ignoring build metadata.
 */
import type { Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str } from './operands.js';

interface SemVer {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string[];
}

const NUM = '(0|[1-9][0-9]*)';
const PRE_ID = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const SEMVER_RE = new RegExp(
  `^${NUM}\\.${NUM}\\.${NUM}(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);

export function parseSemver(s: string): SemVer | null {
  const m = SEMVER_RE.exec(s);
  if (m === null) return null;
  return { major: BigInt(m[1]!), minor: BigInt(m[2]!), patch: BigInt(m[3]!), pre: m[4] ? m[4].split('.') : [] };
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const NUMERIC = /^[0-9]+$/;

export function compareSemver(a: SemVer, b: SemVer): number {
  const c = cmpBig(a.major, b.major) || cmpBig(a.minor, b.minor) || cmpBig(a.patch, b.patch);
  if (c !== 0) return c;
  if (a.pre.length === 0) return b.pre.length === 0 ? 0 : 1;
  if (b.pre.length === 0) return -1;
  const n = Math.min(a.pre.length, b.pre.length);
  for (let i = 0; i < n; i++) {
    const x = a.pre[i]!;
    const y = b.pre[i]!;
    if (x === y) continue;
    const xn = NUMERIC.test(x);
    const yn = NUMERIC.test(y);
    if (xn && yn) return cmpBig(BigInt(x), BigInt(y));
    if (xn) return -1;
    if (yn) return 1;
    return x < y ? -1 : 1;
  }
  return a.pre.length < b.pre.length ? -1 : a.pre.length > b.pre.length ? 1 : 0;
}

function operandVersion(v: Value, pos: number): SemVer {
  const s = str(v, pos);
  const p = parseSemver(s);
  if (p === null) throw new BuiltinError(`operand ${pos}: string ${JSON.stringify(s)} is not a valid SemVer`);
  return p;
}

export const builtins: BuiltinDef[] = [
  { name: 'semver.is_valid', arity: 1, fn: (a) => typeof a[0] === 'string' && parseSemver(a[0]) !== null },
  {
    name: 'semver.compare',
    arity: 2,
    fn: (a) => compareSemver(operandVersion(a[0]!, 1), operandVersion(a[1]!, 2)),
  },
];
