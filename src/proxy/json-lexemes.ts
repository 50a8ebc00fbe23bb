/**
 * The lexemes of a JSON line read on its bytes, for the duplicate-name proof (distinct-keys.ts):
 * where a string or a number ends, whether it is valid JSON, whether a string holds an escape or a
 * byte over 0x7f (lexed.nonAscii), and, while names are looked for (lookFor .. stopLooking), whether
 * a string spells one of Recorder.rawNames, or an escape that could spell one (lexed.namesFound).
 * Allocation-free: the state lives in module variables and `lexed`, reset by the scan's caller.
 */
import type { RawNames } from '../types.js';

/** What the strings of the line under way held: a byte over 0x7f; a name looked for (or an escape that could spell one). */
export const lexed = { nonAscii: false, namesFound: false };

/** What a byte inside a string is to skipString (its table: STRING_BYTES, or one of namesTable's). */
const PLAIN = 0;
const QUOTE = 1;
const CONTROL = 2;
const BACKSLASH = 3;
const HIGH = 4;
/** An anchor of the names looked for in the same pass (hasDistinctKeysRawSafe). */
const ANCHOR = 5;
const STRING_BYTES = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_BYTES[c] = CONTROL;
for (let c = 0x80; c < 256; c++) STRING_BYTES[c] = HIGH;
STRING_BYTES[0x22] = QUOTE;
STRING_BYTES[0x5c] = BACKSLASH;
/** STRING_BYTES with each names object's anchors marked ANCHOR. */
const namesTables = new WeakMap<RawNames, Uint8Array>();
/** The last names asked for and their table (a process has one recorder: no hash lookup per line). */
let lastNames: RawNames | undefined;
let lastTable: Uint8Array = STRING_BYTES;
function namesTable(names: RawNames): Uint8Array {
  if (names === lastNames) return lastTable;
  let t = namesTables.get(names);
  if (t === undefined) {
    t = STRING_BYTES.slice();
    for (let c = 0; c < 256; c++) if (names.anchors[c] !== 0 && t[c] === PLAIN) t[c] = ANCHOR;
    namesTables.set(names, t);
  }
  lastNames = names;
  lastTable = t;
  return t;
}
/** The table of the scan under way, and (when it looks for names too) the names, the line, and whether one was found or an escape that could spell one. */
let stringBytes: Uint8Array = STRING_BYTES;
let names: RawNames | undefined;
let lineStart = 0;
let lineEnd = 0;

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Index just past the string starting at `i` (a quote), or -1 if it is not a valid JSON string; -2 - index if valid but escaped. */
export function skipString(b: Uint8Array, i: number, n: number): number {
  if (names !== undefined) return skipStringLooking(b, i, n);
  let escaped = false;
  i++;
  while (i < n) {
    const c = b[i]!;
    if (c === 0x22) return escaped ? -2 - (i + 1) : i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      escaped = true;
      const e = i + 1 < n ? b[i + 1]! : 0;
      if (e === 0x75 /* u */) {
        if (i + 5 >= n || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
        i += 6;
        continue;
      }
      if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
      i += 2;
      continue;
    }
    if (c >= 0x80) lexed.nonAscii = true;
    i++;
  }
  return -1;
}

/**
 * skipString while names are looked for (lookFor): also sets namesFound when a name is written in
 * the string, or an escape that could spell one (\u, \/), as Recorder.rawSafeBytes's test has it.
 */
function skipStringLooking(b: Uint8Array, i: number, n: number): number {
  const table = stringBytes;
  const look = names!;
  let escaped = false;
  i++;
  while (i < n) {
    const k = table[b[i]!]!;
    if (k === PLAIN) {
      i++;
      continue;
    }
    if (k === QUOTE) return escaped ? -2 - (i + 1) : i + 1;
    if (k === CONTROL) return -1;
    if (k === BACKSLASH) {
      escaped = true;
      const e = i + 1 < n ? b[i + 1]! : 0;
      if (e === 0x75 /* u */) {
        if (i + 5 >= n || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
        lexed.namesFound = true;
        i += 6;
        continue;
      }
      if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
      // \/ as \u; the letter of \b \f \n \r \t may be an anchor.
      if (e === 0x2f || (table[e] === ANCHOR && look.matchesAround(b, i + 1, lineStart, lineEnd))) lexed.namesFound = true;
      i += 2;
      continue;
    }
    if (k === HIGH) lexed.nonAscii = true;
    else if (look.matchesAround(b, i, lineStart, lineEnd)) lexed.namesFound = true; // ANCHOR
    i++;
  }
  return -1;
}

export function skipNumber(b: Uint8Array, i: number, n: number): number {
  if (b[i] === 0x2d) i++;
  let c = i < n ? b[i]! : 0;
  if (c === 0x30) i++;
  else if (c >= 0x31 && c <= 0x39) {
    i++;
    while (i < n && isDigit(b[i]!)) i++;
  } else return -1;
  if (i < n && b[i] === 0x2e) {
    i++;
    if (i >= n || !isDigit(b[i]!)) return -1;
    while (i < n && isDigit(b[i]!)) i++;
  }
  c = i < n ? b[i]! : 0;
  if (c === 0x65 || c === 0x45) {
    i++;
    c = i < n ? b[i]! : 0;
    if (c === 0x2b || c === 0x2d) i++;
    if (i >= n || !isDigit(b[i]!)) return -1;
    while (i < n && isDigit(b[i]!)) i++;
  }
  return i;
}

export function startsWith(b: Uint8Array, i: number, n: number, word: string): boolean {
  if (n - i < word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

export function lookFor(n: RawNames, start: number, end: number): void {
  stringBytes = namesTable(n);
  names = n;
  lineStart = start;
  lineEnd = end;
  lexed.namesFound = false;
}

export function stopLooking(): void {
  stringBytes = STRING_BYTES;
  names = undefined;
}
