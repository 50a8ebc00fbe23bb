/**
 * Checks that buf[start, end) is exactly one JSON object in valid UTF-8 whose top-level JSON-RPC
 * members (jsonrpc, id, method, params) are each written at most once and without escapes in their
 * names, without decoding it to a string (the plain text form of this check, the reference the
 * tests hold it to, is test/helpers/json-text-reference.ts). A line that passes reads the same to
 * every conforming JSON parser as far as those members go, and decodes to the same text whatever a
 * reader does with malformed UTF-8 (there is none), so a proxy that recognized it by its spelling
 * may pass its bytes on. Allocation-free (one scan; isUtf8 only for non-ASCII lines).
 */
import { isAscii, isUtf8 } from 'node:buffer';

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

/** Set by skipString when a string holds a byte >= 0x80 (the line then gets a UTF-8 check). */
let nonAscii = false;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Index just past the string starting at `i` (a quote), or -1 if it is not a valid JSON string. */
function skipString(b: Uint8Array, i: number, n: number): number {
  i++;
  while (i < n) {
    const c = b[i]!;
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      const e = i + 1 < n ? b[i + 1]! : 0;
      if (e === 0x75 /* u */) {
        if (i + 5 >= n || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
      i += 2;
      continue;
    }
    if (c >= 0x80) nonAscii = true;
    i++;
  }
  return -1;
}

/** Index just past the number starting at `i`, or -1 if it is not a valid JSON number. */
function skipNumber(b: Uint8Array, i: number, n: number): number {
  if (b[i] === 0x2d /* - */) i++;
  let c = i < n ? b[i]! : 0;
  if (c === 0x30) i++;
  else if (c >= 0x31 && c <= 0x39) {
    i++;
    while (i < n && isDigit(b[i]!)) i++;
  } else return -1;
  if (i < n && b[i] === 0x2e /* . */) {
    i++;
    if (i >= n || !isDigit(b[i]!)) return -1;
    while (i < n && isDigit(b[i]!)) i++;
  }
  c = i < n ? b[i]! : 0;
  if (c === 0x65 || c === 0x45 /* e E */) {
    i++;
    c = i < n ? b[i]! : 0;
    if (c === 0x2b || c === 0x2d) i++;
    if (i >= n || !isDigit(b[i]!)) return -1;
    while (i < n && isDigit(b[i]!)) i++;
  }
  return i;
}

/** Whether b[i, n) starts with the ASCII letters of `word`. */
function startsWith(b: Uint8Array, i: number, n: number, word: string): boolean {
  if (n - i < word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** Bit of a top-level member name the JSON-RPC layer reads (0: another name; -1: a name with an escape, which could spell one). */
function memberBit(b: Uint8Array, start: number, end: number): number {
  for (let j = start; j < end; j++) if (b[j] === 0x5c) return -1;
  switch (end - start) {
    case 2:
      return startsWith(b, start, end, 'id') ? 1 : 0;
    case 6:
      return startsWith(b, start, end, 'method') ? 2 : startsWith(b, start, end, 'params') ? 4 : 0;
    case 7:
      return startsWith(b, start, end, 'jsonrpc') ? 8 : 0;
    default:
      return 0;
  }
}

/**
 * true when b[start, end) is valid UTF-8 and one JSON object (surrounding whitespace allowed) whose
 * members jsonrpc, id, method and params appear at most once each at its top level, with unescaped names.
 */
export function isSingleJsonObjectBytes(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end && isSpace(b[i]!)) i++;
  if (i >= end || b[i] !== 0x7b) return false;
  return scan(b, start, end, i, 0, 0, VALUE);
}

/** Bits of the top-level members a known prefix wrote (see isSingleJsonObjectBytesInParams). */
export const MEMBER = { id: 1, method: 2, params: 4, jsonrpc: 8 } as const;

/**
 * isSingleJsonObjectBytes of a line whose bytes before `from` are known to be `{`, members named
 * by the MEMBER bits in `seen` (each once, valid JSON), and `"params":{`, each written compactly
 * (e.g. `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{`): the scan starts just inside
 * the params object instead of at the line's start.
 */
export function isSingleJsonObjectBytesInParams(b: Uint8Array, start: number, end: number, from: number, seen: number): boolean {
  kinds[1] = OBJECT;
  kinds[2] = OBJECT;
  return scan(b, start, end, from, 2, seen | MEMBER.params, FIRST_KEY);
}

/** The scanner, from index `i` in the state given (depth, members seen, what comes next). */
function scan(b: Uint8Array, start: number, end: number, i: number, depth: number, seen: number, expect: number): boolean {
  const n = end;
  nonAscii = false;
  for (;;) {
    while (i < n && isSpace(b[i]!)) i++;
    if (i >= n) return false;
    const c = b[i]!;
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
      if (c === 0x22) i = skipString(b, i, n);
      else if (c === 0x2d || isDigit(c)) i = skipNumber(b, i, n);
      else if (c === 0x74 && startsWith(b, i, n, 'true')) i += 4;
      else if (c === 0x66 && startsWith(b, i, n, 'false')) i += 5;
      else if (c === 0x6e && startsWith(b, i, n, 'null')) i += 4;
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
      const keyStart = i;
      i = skipString(b, i, n);
      if (i < 0) return false;
      if (depth === 1) {
        const bit = memberBit(b, keyStart + 1, i - 1);
        if (bit < 0 || (seen & bit) !== 0) return false;
        seen |= bit;
      }
      while (i < n && isSpace(b[i]!)) i++;
      if (i >= n || b[i] !== 0x3a /* : */) return false;
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
  while (i < n && isSpace(b[i]!)) i++;
  if (i !== n) return false;
  return !nonAscii || isUtf8Bytes(b, start, end);
}

/** The last buffer isUtf8Bytes looked at (a chunk holds several lines: one native ASCII scan per chunk), and whether it is all ASCII. */
let lastBuffer: Uint8Array | undefined;
let lastAscii = false;

/**
 * Whether buf[start, end) is valid UTF-8 (decodes without replacement characters). The buffer must
 * not change while it is being read (a chunk a stream delivered).
 */
export function isUtf8Bytes(b: Uint8Array, start: number, end: number): boolean {
  if (b !== lastBuffer) {
    lastBuffer = b;
    lastAscii = isAscii(b);
  }
  return lastAscii || isUtf8(new Uint8Array(b.buffer, b.byteOffset + start, end - start));
}
