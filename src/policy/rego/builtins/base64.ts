/**
 * Base64 and hex codecs with Go's strictness and error messages (encoding/base64 StdEncoding and
 * URLEncoding: padding required, CR/LF ignored, "illegal base64 data at input byte N";
 * encoding/hex: "encoding/hex: invalid byte: U+0067 'g'", "encoding/hex: odd length hex string").
 */
import { BuiltinError } from './registry.js';

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeMap(alphabet: string): Int16Array {
  const m = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) m[alphabet.charCodeAt(i)] = i;
  return m;
}

const STD_MAP = decodeMap(STD);
const URL_MAP = decodeMap(URL);

function corrupt(at: number): never {
  throw new BuiltinError(`illegal base64 data at input byte ${at}`);
}

/** Go's base64 (padded) DecodeString over the UTF-8 bytes of s */
export function goBase64Decode(s: string, url: boolean): Buffer {
  const src = Buffer.from(s, 'utf8');
  const map = url ? URL_MAP : STD_MAP;
  const out: number[] = [];
  let si = 0;
  const dbuf = [0, 0, 0, 0];
  while (si < src.length) {
    let dlen = 4;
    let j = 0;
    let end = false;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        corrupt(si - j);
      }
      const c = src[si]!;
      si++;
      const d = map[c]!;
      if (d >= 0) {
        dbuf[j] = d;
        continue;
      }
      if (c === 0x0a || c === 0x0d) {
        j--;
        continue;
      }
      if (c !== 0x3d) corrupt(si - 1);
      // padding
      if (j === 0 || j === 1) corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
        if (si === src.length) corrupt(src.length);
        if (src[si] !== 0x3d) corrupt(si - 1);
        si++;
      }
      while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
      if (si < src.length) corrupt(si);
      dlen = j;
      end = true;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const b0 = (val >> 16) & 0xff;
    const b1 = (val >> 8) & 0xff;
    const b2 = val & 0xff;
    if (dlen === 4) out.push(b0, b1, b2);
    else if (dlen === 3) out.push(b0, b1);
    else if (dlen === 2) out.push(b0);
    if (end) break;
    // skip trailing newlines so a trailing "\n" does not start a new quantum
    while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
  }
  return Buffer.from(out);
}

export function base64Encode(s: string, url: boolean, pad: boolean): string {
  const b = Buffer.from(s, 'utf8');
  if (!url) return b.toString('base64');
  const u = b.toString('base64url');
  if (!pad) return u;
  const r = u.length % 4;
  return r === 0 ? u : u + '='.repeat(4 - r);
}

/** Go's base64url.decode as OPA does it: missing padding added (RFC 7515 appendix C) */
export function base64UrlDecode(s: string): Buffer {
  let t = s;
  if (!t.endsWith('=')) {
    switch (Buffer.byteLength(t) % 4) {
      case 0:
        break;
      case 2:
        t += '==';
        break;
      case 3:
        t += '=';
        break;
      default:
        throw new BuiltinError(`illegal base64url string: ${s}`);
    }
  }
  return goBase64Decode(t, true);
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function invalidHexByte(c: number): never {
  const ch = String.fromCharCode(c);
  const printable = c >= 0x20 && c < 0x7f;
  throw new BuiltinError(
    `encoding/hex: invalid byte: U+${c.toString(16).toUpperCase().padStart(4, '0')}${printable ? ` '${ch}'` : ''}`,
  );
}

export function hexDecode(s: string): Buffer {
  const src = Buffer.from(s, 'utf8');
  const n = src.length >> 1;
  const out = Buffer.alloc(n);
  let i = 0;
  for (; i < n; i++) {
    const a = hexVal(src[2 * i]!);
    if (a < 0) invalidHexByte(src[2 * i]!);
    const b = hexVal(src[2 * i + 1]!);
    if (b < 0) invalidHexByte(src[2 * i + 1]!);
    out[i] = (a << 4) | b;
  }
  if (src.length % 2 === 1) {
    if (hexVal(src[2 * n]!) < 0) invalidHexByte(src[2 * n]!);
    throw new BuiltinError('encoding/hex: odd length hex string');
  }
  return out;
}

/** bytes to a JS string as Go would hold them in a string (invalid UTF-8 becomes U+FFFD) */
export function bytesToString(b: Buffer): string {
  return b.toString('utf8');
}
