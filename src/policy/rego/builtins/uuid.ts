/**
 * uuid.rfc4122(k): a random version 4 UUID, the same for equal k within one query (query cache);
 * uuid.parse(s): version, variant and, for time-based (v1/v2) UUIDs, time (ns since the Unix epoch),
 * clock sequence, node id, MAC variables, and for v2 the DCE id and domain. Invalid input: undefined.
 */
import { randomUUID } from 'node:crypto';
import { BigNum, type Value } from '../value/index.js';
import type { BuiltinDef } from './registry.js';
import { str } from './operands.js';

function uuidBytes(s: string): Buffer | undefined {
  let hex: string;
  if (s.length === 36) hex = s;
  else if (s.length === 38 && s[0] === '{' && s[37] === '}') hex = s.slice(1, 37);
  else if (s.length === 45 && s.slice(0, 9).toLowerCase() === 'urn:uuid:') hex = s.slice(9);
  else if (s.length === 32) return /^[0-9a-fA-F]{32}$/.test(s) ? Buffer.from(s, 'hex') : undefined;
  else return undefined;
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  return Buffer.from(hex.replace(/-/g, ''), 'hex');
}

const GREGORIAN_TO_UNIX_100NS = 0x01b21dd213814000n;

function variantOf(b: number): string {
  if ((b & 0xc0) === 0x80) return 'RFC4122';
  if ((b & 0xe0) === 0xc0) return 'Microsoft';
  if ((b & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

function parse(s: string): Value | undefined {
  const b = uuidBytes(s);
  if (b === undefined) return undefined;
  const version = b[6]! >> 4;
  const out: Record<string, Value> = { version, variant: variantOf(b[8]!) };
  if (version === 1 || version === 2) {
    const timeMid = BigInt(b.readUInt16BE(4));
    const timeHi = BigInt(b.readUInt16BE(6) & 0x0fff);
    const timeLow = BigInt(b.readUInt32BE(0));
    const t = timeLow | (timeMid << 32n) | (timeHi << 48n);
    out.time = BigNum.fromBigInt((t - GREGORIAN_TO_UNIX_100NS) * 100n);
    out.clocksequence = b.readUInt16BE(8) & 0x3fff;
    const node = b.subarray(10, 16);
    out.nodeid = Array.from(node, (x) => x.toString(16).padStart(2, '0')).join('-');
    out.macvariables = ((node[0]! & 0x02) !== 0 ? 'local' : 'global') + ':' + ((node[0]! & 0x01) !== 0 ? 'multicast' : 'unicast');
    if (version === 2) {
      out.id = b.readUInt32BE(0);
      const d = b[9]!;
      out.domain = d === 0 ? 'Person' : d === 1 ? 'Group' : d === 2 ? 'Org' : `Domain${d}`;
    }
  }
  return out as Value;
}

export const builtins: BuiltinDef[] = [
  {
    name: 'uuid.rfc4122',
    arity: 1,
    nondeterministic: true,
    fn: (a, ctx) => {
      const key = 'uuid.rfc4122\u0000' + str(a[0]!, 1);
      let v = ctx.cache.get(key) as string | undefined;
      if (v === undefined) {
        v = randomUUID();
        ctx.cache.set(key, v);
      }
      return v;
    },
  },
  { name: 'uuid.parse', arity: 1, fn: (a) => (typeof a[0] === 'string' ? parse(a[0]) : undefined) },
];
