/**
 * Test reference (the bytes version the proxy runs is src/transport/json-bytes.ts; test/json-text.test.ts
 * fuzzes both against JSON.parse).
 * Checks that a text is exactly one JSON object (RFC 8259: strings, escapes, numbers, literals,
 * nesting, whitespace) without building it, and that its top-level JSON-RPC members (jsonrpc, id,
 * method, params) are each written at most once and without escapes in their names. A line that
 * passes reads the same to every conforming JSON parser as far as those members go, so a proxy
 * that recognized them by their spelling may pass the line on unparsed. Allocation-free: one scan.
 */

const OBJECT = 1;
const ARRAY = 2;
/** What the scanner expects next. */
const VALUE = 0;
const FIRST_KEY = 1;
const KEY = 2;
const AFTER_VALUE = 3;
const FIRST_ITEM = 4;

/** Deepest nesting accepted (deeper texts are declined, never misread). */
const MAX_DEPTH = 64;
const kinds = new Uint8Array(MAX_DEPTH + 1);

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** A control character or a backslash: a line without any has only plain strings (no escapes to check). */
const NOT_PLAIN = /[\x00-\x1f\\]/;

/** Index just past the string starting at `i` (a quote), or -1 if it is not a valid JSON string. */
function skipString(s: string, i: number, n: number, plain: boolean): number {
  if (plain) return s.indexOf('"', i + 1) + 1 || -1;
  i++;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      const e = s.charCodeAt(i + 1);
      if (e === 0x75 /* u */) {
        if (!isHex(s.charCodeAt(i + 2)) || !isHex(s.charCodeAt(i + 3)) || !isHex(s.charCodeAt(i + 4)) || !isHex(s.charCodeAt(i + 5))) return -1;
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

/** Index just past the number starting at `i`, or -1 if it is not a valid JSON number. */
function skipNumber(s: string, i: number, n: number): number {
  if (s.charCodeAt(i) === 0x2d /* - */) i++;
  let c = s.charCodeAt(i);
  if (c === 0x30) i++;
  else if (c >= 0x31 && c <= 0x39) {
    i++;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
  } else return -1;
  if (s.charCodeAt(i) === 0x2e /* . */) {
    i++;
    if (!isDigit(s.charCodeAt(i))) return -1;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
  }
  c = s.charCodeAt(i);
  if (c === 0x65 || c === 0x45 /* e E */) {
    i++;
    c = s.charCodeAt(i);
    if (c === 0x2b || c === 0x2d) i++;
    if (!isDigit(s.charCodeAt(i))) return -1;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
  }
  return i;
}

/** Bit of a top-level member name the JSON-RPC layer reads (0: another name; -1: a name with an escape, which could spell one). */
function memberBit(s: string, start: number, end: number, plain: boolean): number {
  if (!plain) for (let j = start; j < end; j++) if (s.charCodeAt(j) === 0x5c) return -1;
  switch (end - start) {
    case 2:
      return s.startsWith('id', start) ? 1 : 0;
    case 6:
      return s.startsWith('method', start) ? 2 : s.startsWith('params', start) ? 4 : 0;
    case 7:
      return s.startsWith('jsonrpc', start) ? 8 : 0;
    default:
      return 0;
  }
}

/**
 * true when `s` is one JSON object (surrounding whitespace allowed) whose members jsonrpc, id,
 * method and params appear at most once each at its top level, with unescaped names.
 */
export function isSingleJsonObject(s: string): boolean {
  const n = s.length;
  let i = 0;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) !== 0x7b) return false;
  const plain = !NOT_PLAIN.test(s);
  let depth = 0;
  let seen = 0;
  let expect = VALUE;
  for (;;) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (i >= n) return false;
    const c = s.charCodeAt(i);
    if (expect === VALUE || expect === FIRST_ITEM) {
      if (expect === FIRST_ITEM && c === 0x5d /* ] */) {
        i++;
        if (--depth === 0) break;
        expect = AFTER_VALUE;
        continue;
      }
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (depth === MAX_DEPTH) return false;
        kinds[++depth] = c === 0x7b ? OBJECT : ARRAY;
        i++;
        expect = c === 0x7b ? FIRST_KEY : FIRST_ITEM;
        continue;
      }
      if (c === 0x22) i = skipString(s, i, n, plain);
      else if (c === 0x2d || isDigit(c)) i = skipNumber(s, i, n);
      else if (c === 0x74 && s.startsWith('true', i)) i += 4;
      else if (c === 0x66 && s.startsWith('false', i)) i += 5;
      else if (c === 0x6e && s.startsWith('null', i)) i += 4;
      else return false;
      if (i < 0) return false;
      expect = AFTER_VALUE;
    } else if (expect === FIRST_KEY || expect === KEY) {
      if (expect === FIRST_KEY && c === 0x7d /* } */) {
        i++;
        if (--depth === 0) break;
        expect = AFTER_VALUE;
        continue;
      }
      if (c !== 0x22) return false;
      const start = i;
      i = skipString(s, i, n, plain);
      if (i < 0) return false;
      if (depth === 1) {
        const bit = memberBit(s, start + 1, i - 1, plain);
        if (bit < 0 || (seen & bit) !== 0) return false;
        seen |= bit;
      }
      while (i < n && isSpace(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) !== 0x3a /* : */) return false;
      i++;
      expect = VALUE;
    } else {
      // AFTER_VALUE: a comma, or the end of the container
      const kind = kinds[depth];
      i++;
      if (c === 0x2c) expect = kind === OBJECT ? KEY : VALUE;
      else if ((c === 0x7d && kind === OBJECT) || (c === 0x5d && kind === ARRAY)) {
        if (--depth === 0) break;
      } else return false;
    }
  }
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  return i === n;
}
