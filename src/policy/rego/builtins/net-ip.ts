/**
 * IP addresses and CIDR prefixes as Go's net package parses and prints them: IPv4 dotted quads
 * without leading zeros, IPv6 with `::` and embedded IPv4, IPv4-mapped IPv6 treated as IPv4 for
 * containment, RFC 5952 text. Addresses are bigints with a bit width (32 or 128).
 */

export interface IP {
  readonly bits: 32 | 128;
  readonly v: bigint;
}

export interface Net {
  readonly bits: 32 | 128;
  /** network address (masked) */
  readonly base: bigint;
  readonly prefix: number;
  /** the address as written (unmasked), for cidr_expand */
  readonly addr: bigint;
}

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | null {
  if (s.includes('%')) return null;
  let tailV4: bigint | null = null;
  let str = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tailV4 = parseV4(s.slice(lastColon + 1));
    if (tailV4 === null) return null;
    str = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = str.indexOf('::');
  if (dbl >= 0 && str.indexOf('::', dbl + 1) >= 0) return null;
  const parse = (part: string): string[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    for (const g of groups) if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    return groups;
  };
  let groups: string[];
  if (dbl >= 0) {
    const head = parse(str.slice(0, dbl));
    const tail = parse(str.slice(dbl + 2));
    if (head === null || tail === null) return null;
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  } else {
    const g = parse(str);
    if (g === null || g.length !== 8) return null;
    groups = g;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  if (tailV4 !== null) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

const MAPPED_PREFIX = 0xffffn << 32n;

function isMapped(v: bigint): boolean {
  return v >> 32n === 0xffffn;
}

/** dotted-quad IPv4 as an unsigned 32-bit number (no leading zeros), or -1 */
export function parseV4Number(s: string): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

/** net.ParseIP, with IPv4-mapped IPv6 reduced to IPv4 (To4) */
export function parseIP(s: string): IP | null {
  if (s.includes(':')) {
    const v = parseV6(s);
    if (v === null) return null;
    if (isMapped(v)) return { bits: 32, v: v & 0xffffffffn };
    return { bits: 128, v };
  }
  const v = parseV4(s);
  return v === null ? null : { bits: 32, v };
}

function maskOf(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

/** net.ParseCIDR; null when invalid */
export function parseCIDR(s: string): Net | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addrText = s.slice(0, slash);
  const pfx = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(pfx)) return null;
  let prefix = Number(pfx);
  if (addrText.includes(':')) {
    const v = parseV6(addrText);
    if (v === null || prefix > 128) return null;
    if (isMapped(v) && prefix >= 96) {
      prefix -= 96;
      const a = v & 0xffffffffn;
      return { bits: 32, base: a & maskOf(32, prefix), prefix, addr: a };
    }
    return { bits: 128, base: v & maskOf(128, prefix), prefix, addr: v };
  }
  const v = parseV4(addrText);
  if (v === null || prefix > 32) return null;
  return { bits: 32, base: v & maskOf(32, prefix), prefix, addr: v };
}

export function lastOf(n: Net): bigint {
  return n.base | ((1n << BigInt(n.bits - n.prefix)) - 1n);
}

/** IPv4 containment on plain numbers (the common case on the request path) */
export function netContainsV4(n: Net, ip: number): boolean {
  if (n.bits !== 32) return false;
  const hostBits = 32 - n.prefix;
  const base = Number(n.base);
  return hostBits === 32 ? true : Math.floor(ip / 2 ** hostBits) === Math.floor(base / 2 ** hostBits);
}

export function netContainsIP(n: Net, ip: IP): boolean {
  if (n.bits !== ip.bits) return false;
  return (ip.v & maskOf(n.bits, n.prefix)) === n.base;
}

function v4Text(v: bigint): string {
  return [(v >> 24n) & 255n, (v >> 16n) & 255n, (v >> 8n) & 255n, v & 255n].join('.');
}

/** IP.String() */
export function ipText(ip: IP): string {
  if (ip.bits === 32) return v4Text(ip.v);
  const v = ip.v;
  if (isMapped(v)) return '::ffff:' + v4Text(v & 0xffffffffn);
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // longest run of >= 2 zero groups (first one wins)
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return hex(groups.slice(0, bestStart)) + '::' + hex(groups.slice(bestStart + bestLen));
}

export function netText(bits: 32 | 128, base: bigint, prefix: number): string {
  return ipText({ bits, v: base }) + '/' + prefix;
}

/** the CIDRs covering [first, last] exactly (smallest list) */
export function rangeToCIDRs(bits: 32 | 128, first: bigint, last: bigint): string[] {
  const out: string[] = [];
  let cur = first;
  while (cur <= last) {
    let size = 0;
    while (size < bits) {
      const blk = 1n << BigInt(size + 1);
      if ((cur & (blk - 1n)) !== 0n || cur + blk - 1n > last) break;
      size++;
    }
    out.push(netText(bits, cur, bits - size));
    cur += 1n << BigInt(size);
  }
  return out;
}

export { MAPPED_PREFIX };
