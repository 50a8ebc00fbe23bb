/**
 * A minimal DER reader for X.509 certificates and CSRs: TLV elements, OIDs, integers, strings,
 * times, and pkix Names (RDN sequences) in the shape Go's crypto/x509/pkix marshals to JSON.
 */
import { BigNum, type Value } from '../value/index.js';

export interface TLV {
  tag: number;
  /** offset of the whole element and of its contents */
  start: number;
  contentStart: number;
  end: number;
}

export class Asn1Error extends Error {}

export function readTLV(b: Buffer, pos: number, limit = b.length): TLV {
  if (pos + 2 > limit) throw new Asn1Error('asn1: structure error: truncated tag or length');
  const tag = b[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('asn1: structure error: multi-byte tags are not supported');
  let len = b[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) throw new Asn1Error('asn1: structure error: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new Asn1Error('asn1: structure error: data truncated');
  return { tag, start: pos, contentStart: p, end: p + len };
}

/** child elements of a constructed element */
export function children(b: Buffer, t: TLV): TLV[] {
  const out: TLV[] = [];
  let p = t.contentStart;
  while (p < t.end) {
    const c = readTLV(b, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function content(b: Buffer, t: TLV): Buffer {
  return b.subarray(t.contentStart, t.end);
}

export function oidParts(b: Buffer, t: TLV): number[] {
  const c = content(b, t);
  if (c.length === 0) return [];
  const out = [Math.floor(c[0]! / 40), c[0]! % 40];
  let v = 0;
  for (let i = 1; i < c.length; i++) {
    v = v * 128 + (c[i]! & 0x7f);
    if ((c[i]! & 0x80) === 0) {
      out.push(v);
      v = 0;
    }
  }
  return out;
}

export function bigIntOf(b: Buffer, t: TLV): bigint {
  const c = content(b, t);
  if (c.length === 0) return 0n;
  let v = BigInt('0x' + c.toString('hex'));
  if (c[0]! & 0x80) v -= 1n << BigInt(c.length * 8);
  return v;
}

export function stringOf(b: Buffer, t: TLV): string {
  const c = content(b, t);
  if (t.tag === 0x1e) {
    // BMPString: UTF-16BE
    let s = '';
    for (let i = 0; i + 1 < c.length; i += 2) s += String.fromCharCode(c.readUInt16BE(i));
    return s;
  }
  return t.tag === 0x0c ? c.toString('utf8') : c.toString('latin1');
}

/** UTCTime / GeneralizedTime as RFC 3339 (Go's time.Time JSON) */
export function timeOf(b: Buffer, t: TLV): string {
  const s = content(b, t).toString('latin1');
  let y: number;
  let rest: string;
  if (t.tag === 0x17) {
    const yy = Number(s.slice(0, 2));
    y = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = s.slice(2);
  } else {
    y = Number(s.slice(0, 4));
    rest = s.slice(4);
  }
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?(\.\d+)?Z$/.exec(rest);
  if (m === null) throw new Asn1Error('asn1: time did not serialize back to the original value and may be invalid');
  return `${String(y).padStart(4, '0')}-${m[1]}-${m[2]}T${m[3]}:${m[4]}:${m[5] ?? '00'}${m[6] ?? ''}Z`;
}

const NAME_FIELDS: Record<string, string> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
};

/** a pkix.Name as Go marshals it */
export function nameOf(b: Buffer, t: TLV): Record<string, Value> {
  const lists: Record<string, string[]> = {};
  const names: Value[] = [];
  let cn = '';
  let serial = '';
  for (const rdn of children(b, t)) {
    for (const atv of children(b, rdn)) {
      const [oidT, valT] = children(b, atv);
      if (oidT === undefined || valT === undefined) continue;
      const oid = oidParts(b, oidT);
      const key = oid.join('.');
      const val = stringOf(b, valT);
      names.push({ Type: oid, Value: val });
      if (key === '2.5.4.3') cn = val;
      else if (key === '2.5.4.5') serial = val;
      else if (NAME_FIELDS[key] !== undefined) (lists[NAME_FIELDS[key]!] ??= []).push(val);
    }
  }
  const out: Record<string, Value> = {};
  for (const f of ['Country', 'Organization', 'OrganizationalUnit', 'Locality', 'Province', 'StreetAddress', 'PostalCode']) {
    out[f] = lists[f] ?? null;
  }
  out.SerialNumber = serial;
  out.CommonName = cn;
  out.Names = names;
  out.ExtraNames = null;
  return out;
}

export function numberValue(v: bigint): Value {
  return BigNum.fromBigInt(v);
}
