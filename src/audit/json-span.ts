/**
 * Reading JSON text in place, for the audit writer's raw entries (raw-fast.ts): finds the spans of
 * a few members without building objects, and accepts only text already in the form
 * JSON.stringify gives the value it parses to. That form is: no whitespace between tokens; numbers
 * that are integers of at most 15 digits, with no leading zero and no `-0` (they print back as
 * they are written); strings of characters at or above U+0020 with surrogates only in pairs and
 * with only the escapes `\"`, `\\`, `\b`, `\f`, `\n`, `\r` and `\t` (the ones JSON.stringify
 * writes for those characters); and no member name that starts with a digit (V8 moves names that
 * are array indexes ahead of the others, so such an object would print back in another order).
 * An object with a member name written twice is not in the form either (JSON.parse keeps the last,
 * other parsers the first; the proxy journals no such line raw, and the writer does not rely on
 * it). Every character has one spelling in the form, so names are compared as written. A span of
 * such text is, character for character, JSON.stringify(JSON.parse(span)). Anything outside
 * that form gets -1, and the caller parses the text instead. The readers below expect a text that
 * passed plainText (checked once per text, not per character).
 */

const MAX_DEPTH = 64;
const MAX_DIGITS = 15;
/** Member names of the objects open at once (each object's names are compared with each other). */
const MAX_KEYS = 512;
const keyAt = new Int32Array(MAX_KEYS);
const keyLength = new Int32Array(MAX_KEYS);
let keys = 0;

/**
 * Characters outside the form anywhere in a text: a control character, or a surrogate (a pair is
 * in the form, but rare enough to be read the long way). Tested once per text, so that strings are
 * then skipped with indexOf.
 */
const OUT_OF_FORM = /[\x00-\x1f\ud800-\udfff]/g;
const NONE = 0x7fffffff;
/** Where the next backslash is, at or after the last place looked (NONE: no more); stale when behind. */
let backslash = -1;

/**
 * Whether s[from..] holds no character outside the form. Call it before reading a text with the
 * functions below, which rely on it (and read the text from left to right).
 */
export function plainText(s: string, from: number): boolean {
  OUT_OF_FORM.lastIndex = from;
  backslash = -1;
  return !OUT_OF_FORM.test(s);
}

/**
 * Index just past the string starting at `s[i]` (a `"`), or -1. The text passed plainText: only
 * the closing quote needs finding and the escapes checking, both with indexOf. `key`: a member
 * name, which must not start with a digit.
 */
function skipString(s: string, i: number, end: number, key: boolean): number {
  if (key) {
    const c = s.charCodeAt(i + 1);
    if (c >= 0x30 && c <= 0x39) return -1;
  }
  let from = i + 1;
  for (;;) {
    const quote = s.indexOf('"', from);
    if (quote < 0 || quote >= end) return -1;
    if (backslash < from) {
      backslash = s.indexOf('\\', from);
      if (backslash < 0) backslash = NONE;
    }
    if (backslash > quote) return quote + 1;
    // An escape before that quote (perhaps of that quote): " \ b f n r t only.
    const e = s.charCodeAt(backslash + 1);
    if (e !== 0x22 && e !== 0x5c && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
    from = backslash + 2;
    backslash = -1;
  }
}

function skipNumber(s: string, i: number, end: number): number {
  const from = i;
  if (s.charCodeAt(i) === 0x2d /* - */) i++;
  const first = s.charCodeAt(i);
  if (first === 0x30 /* 0 */) {
    // `0` alone; `-0` prints back as `0`, and `01` is not JSON.
    if (i !== from) return -1;
    i++;
  } else if (first >= 0x31 && first <= 0x39) {
    const digits = i;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      i++;
    }
    if (i - digits > MAX_DIGITS) return -1;
  } else {
    return -1;
  }
  // A fraction or an exponent: not in the form (the caller then finds no `,`, `]` or `}` here).
  return i;
}

/** Index just past the value starting at `s[i]`, or -1 when the text is not in the form. */
export function skipValue(s: string, i: number, end: number, depth: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return skipString(s, i, end, false);
  if (c === 0x7b /* { */) return objectMembers(s, i, end, depth, undefined, undefined, 0);
  if (c === 0x5b /* [ */) {
    if (depth >= MAX_DEPTH) return -1;
    i++;
    if (s.charCodeAt(i) === 0x5d /* ] */) return i + 1;
    while (i < end) {
      i = skipValue(s, i, end, depth + 1);
      if (i < 0) return -1;
      const d = s.charCodeAt(i);
      if (d === 0x5d) return i + 1;
      if (d !== 0x2c /* , */) return -1;
      i++;
    }
    return -1;
  }
  if (c === 0x74 /* t */) return s.startsWith('true', i) ? i + 4 : -1;
  if (c === 0x66 /* f */) return s.startsWith('false', i) ? i + 5 : -1;
  if (c === 0x6e /* n */) return s.startsWith('null', i) ? i + 4 : -1;
  return skipNumber(s, i, end);
}

/**
 * Reads the object starting at `s[i]` (a `{`): for each member named `names[k]`, stores its value's
 * start and end in `out[at + 2k]` and `out[at + 2k + 1]` (members not found: left as they were,
 * so the caller sets them to -1 first). A member named `names[nest]` whose value is an object is
 * read the same way with `nestNames`, into `out` from `nestAt`. Returns the index just past the
 * object, or -1 when the text is not in the form.
 */
export function objectMembers(
  s: string,
  i: number,
  end: number,
  depth: number,
  names: readonly string[] | undefined,
  out: Int32Array | undefined,
  at: number,
  nest = -1,
  nestNames?: readonly string[],
  nestAt = 0,
): number {
  if (depth === 0) keys = 0;
  const base = keys;
  const after = members(s, i, end, depth, names, out, at, nest, nestNames, nestAt);
  keys = base;
  return after;
}

/** A name written before in the same object: the names at keyAt[base..keys). */
function seen(s: string, base: number, from: number, length: number): boolean {
  for (let k = base; k < keys; k++) {
    if (keyLength[k] !== length) continue;
    const other = keyAt[k]!;
    let j = 0;
    while (j < length && s.charCodeAt(other + j) === s.charCodeAt(from + j)) j++;
    if (j === length) return true;
  }
  return false;
}

function members(
  s: string,
  i: number,
  end: number,
  depth: number,
  names: readonly string[] | undefined,
  out: Int32Array | undefined,
  at: number,
  nest: number,
  nestNames: readonly string[] | undefined,
  nestAt: number,
): number {
  if (depth >= MAX_DEPTH) return -1;
  const base = keys;
  i++;
  if (s.charCodeAt(i) === 0x7d /* } */) return i + 1;
  while (i < end) {
    if (s.charCodeAt(i) !== 0x22) return -1;
    const nameAt = i + 1;
    i = skipString(s, i, end, true);
    if (i < 0 || s.charCodeAt(i) !== 0x3a /* : */) return -1;
    const length = i - 1 - nameAt;
    if (keys >= MAX_KEYS || seen(s, base, nameAt, length)) return -1;
    keyAt[keys] = nameAt;
    keyLength[keys] = length;
    keys++;
    const valueStart = ++i;
    let k = -1;
    if (names !== undefined) {
      for (let j = 0; j < names.length; j++) {
        const name = names[j]!;
        if (name.length === length && s.startsWith(name, nameAt)) {
          k = j;
          break;
        }
      }
    }
    i = k >= 0 && k === nest && s.charCodeAt(i) === 0x7b ? objectMembers(s, i, end, depth + 1, nestNames, out, nestAt) : skipValue(s, i, end, depth + 1);
    if (i < 0) return -1;
    if (k >= 0) {
      out![at + 2 * k] = valueStart;
      out![at + 2 * k + 1] = i;
    }
    const d = s.charCodeAt(i);
    if (d === 0x7d) return i + 1;
    if (d !== 0x2c) return -1;
    i++;
  }
  return -1;
}

/** The string value of the span `s[from, to)` (a JSON string in the form above). */
export function stringAt(s: string, from: number, to: number): string {
  const body = s.slice(from + 1, to - 1);
  return body.includes('\\') ? (JSON.parse(s.slice(from, to)) as string) : body;
}
