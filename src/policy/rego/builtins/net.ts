/**
 * net.cidr_* builtins: cidr_contains (IP or CIDR), cidr_intersects, cidr_contains_matches,
 * cidr_expand, cidr_merge, cidr_is_valid; net.lookup_ip_addr answers for literal IPs only (no DNS
 * from inside a policy decision). Parsed CIDRs are cached (bounded LRU) since policies test the
 * same ranges on every request.
 */
import { RSet, objForEach, isObject, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str, Lru } from './operands.js';
import { ipText, lastOf, netContainsIP, netContainsV4, parseCIDR, parseIP, parseV4Number, rangeToCIDRs, type IP, type Net } from './net-ip.js';

const netCache = new Lru<string, Net | null>(1024);

function cidr(s: string): Net | null {
  let n = netCache.get(s);
  if (n === undefined) {
    n = parseCIDR(s);
    netCache.set(s, n);
  }
  return n;
}

function netOperand(v: Value, pos: number): Net {
  const s = str(v, pos);
  const n = cidr(s);
  if (n === null) throw new BuiltinError(`invalid CIDR address: ${s}`);
  return n;
}

function contains(a: Value, b: Value): boolean {
  const na = netOperand(a, 1);
  const bs = str(b, 1);
  const v4 = parseV4Number(bs);
  if (v4 >= 0) return netContainsV4(na, v4);
  const ip = parseIP(bs);
  if (ip !== null) return netContainsIP(na, ip);
  const nb = cidr(bs);
  if (nb === null) throw new BuiltinError(`not a valid textual representation of an IP address or CIDR: ${bs}`);
  const first: IP = { bits: nb.bits, v: nb.base };
  if (!netContainsIP(na, first)) return false;
  return netContainsIP(na, { bits: nb.bits, v: lastOf(nb) });
}

function intersects(args: Value[]): Value {
  const a = netOperand(args[0]!, 1);
  const b = netOperand(args[1]!, 1);
  return netContainsIP(a, { bits: b.bits, v: b.base }) || netContainsIP(b, { bits: a.bits, v: a.base });
}

function matchTerms(operand: number, v: Value, f: (cidrV: Value, index: Value) => void): void {
  const elem = (x: Value): Value => {
    if (typeof x === 'string') return x;
    if (Array.isArray(x) && x.length > 0) return x[0]!;
    throw new BuiltinError(`operand ${operand}: element must be string or non-empty array`);
  };
  if (typeof v === 'string') f(v, v);
  else if (Array.isArray(v)) v.forEach((x, i) => f(elem(x), i));
  else if (v instanceof RSet) for (const x of v.values()) f(elem(x), x);
  else if (isObject(v)) objForEach(v, (k, x) => void f(elem(x), k));
}

function containsMatches(args: Value[]): Value {
  const out = new RSet();
  matchTerms(1, args[0]!, (c1, i1) => {
    matchTerms(2, args[1]!, (c2, i2) => {
      if (contains(c1, c2)) out.add([i1, i2]);
    });
  });
  return out;
}

const MAX_EXPAND = 1 << 24;

function expand(args: Value[]): Value {
  const s = str(args[0]!, 1);
  const n = cidr(s);
  if (n === null) throw new BuiltinError(`invalid CIDR address: ${s}`);
  const count = 1n << BigInt(n.bits - n.prefix);
  if (count > BigInt(MAX_EXPAND)) throw new BuiltinError(`CIDR ${s} has too many addresses to expand`);
  const out = new RSet();
  for (let i = 0n; i < count; i++) out.add(ipText({ bits: n.bits, v: n.base + i }));
  return out;
}

interface Range {
  bits: 32 | 128;
  first: bigint;
  last: bigint;
  text?: string;
}

function toNetwork(x: Value): Net {
  if (typeof x !== 'string') throw new BuiltinError('element must be string');
  const ip = parseIP(x);
  if (ip === null) {
    const n = cidr(x);
    if (n === null) throw new BuiltinError(`invalid CIDR address: ${x}`);
    return n;
  }
  if (ip.bits === 128) throw new BuiltinError('IPv6 invalid: needs prefix length');
  // Go's DefaultMask: class A /8, B /16, C /24
  const first = Number(ip.v >> 24n);
  const prefix = first < 0x80 ? 8 : first < 0xc0 ? 16 : 24;
  return { bits: 32, base: ip.v & (((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n)), prefix, addr: ip.v };
}

function merge(args: Value[]): Value {
  const v = args[0]!;
  let items: readonly Value[];
  if (Array.isArray(v)) items = v;
  else if (v instanceof RSet) items = v.values();
  else throw new BuiltinError('operand must be an array');
  const out = new RSet();
  for (const bits of [32, 128] as const) {
    const ranges: Range[] = [];
    for (const x of items) {
      const n = toNetwork(x);
      if (n.bits !== bits) continue;
      ranges.push({ bits, first: n.base, last: lastOf(n), text: ipText({ bits, v: n.base }) + '/' + n.prefix });
    }
    ranges.sort((a, b) => (a.last < b.last ? -1 : a.last > b.last ? 1 : a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    for (let i = ranges.length - 1; i > 0; i--) {
      const cur = ranges[i]!;
      const prev = ranges[i - 1]!;
      if (cur.first - 1n <= prev.last) {
        ranges[i - 1] = { bits, first: prev.first < cur.first ? prev.first : cur.first, last: cur.last };
        ranges.splice(i, 1);
      }
    }
    for (const r of ranges) {
      if (r.text !== undefined) out.add(r.text);
      else for (const c of rangeToCIDRs(bits, r.first, r.last)) out.add(c);
    }
  }
  return out;
}

function lookupIPAddr(args: Value[]): Value {
  const name = str(args[0]!, 1);
  const ip = parseIP(name);
  if (ip !== null) return RSet.of(ipText(ip));
  // RFC 6761: localhost always names the loopback addresses
  if (name.toLowerCase() === 'localhost' || name.toLowerCase().endsWith('.localhost')) return RSet.of('127.0.0.1', '::1');
  throw new BuiltinError(`lookup ${name}: DNS lookups are not supported in policy evaluation`);
}

export const builtins: BuiltinDef[] = [
  { name: 'net.cidr_contains', arity: 2, fn: (a) => contains(a[0]!, a[1]!) },
  { name: 'net.cidr_overlap', arity: 2, fn: (a) => contains(a[0]!, a[1]!) },
  { name: 'net.cidr_intersects', arity: 2, fn: intersects },
  { name: 'net.cidr_contains_matches', arity: 2, fn: containsMatches },
  { name: 'net.cidr_expand', arity: 1, fn: expand },
  { name: 'net.cidr_merge', arity: 1, fn: merge },
  { name: 'net.cidr_is_valid', arity: 1, fn: (a) => typeof a[0] === 'string' && cidr(a[0]) !== null },
  { name: 'net.lookup_ip_addr', arity: 1, fn: lookupIPAddr },
];
