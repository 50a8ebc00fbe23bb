/**
 * Proves, on a line's bytes buf[start, end), that it is one JSON object in valid UTF-8 in which no
 * object at ANY depth has a member name written twice, and no member name is written with an escape
 * (so that two spellings of one name cannot hide a duplicate), without decoding it. Every conforming
 * JSON parser reads such a line as the same value (there is no "last one wins" or "first one wins"
 * to disagree on), so a request judged after JSON.parse may be forwarded as its bytes and a decision
 * may be reused for the same bytes (DecisionReuse). Allocation-free; declines (false) what it cannot
 * prove: deeper than MAX_DEPTH, more than MAX_KEYS names open at once, an escaped name. The text
 * form it is tested against is test/helpers/distinct-keys-reference.ts. Asked to (`record`), a
 * tools/call's scan also records where the top-level members of params, and of params.arguments
 * when it is an object, are written (memberSpans: their names and values), so that a decision key
 * can be read off the bytes (projected-key.ts). Its strings and numbers are read by json-lexemes.ts.
 */
import { isUtf8Bytes, MEMBER } from '../transport/json-bytes.js';
import { isDigit, isSpace, lexed, lookFor, skipNumber, skipString, startsWith, stopLooking } from './json-lexemes.js';
import type { RawNames } from '../types.js';

const OBJECT = 1;
const ARRAY = 2;
const VALUE = 0;
const FIRST_KEY = 1;
const KEY = 2;
const AFTER_VALUE = 3;
const FIRST_ITEM = 4;

const MAX_DEPTH = 64;
/** member names of the objects open at once (each object's own names are compared with each other) */
const MAX_KEYS = 512;
const kinds = new Uint8Array(MAX_DEPTH + 1);
/** index in keyStart/keyEnd of the first name of the object at each depth */
const keyBase = new Int32Array(MAX_DEPTH + 1);
const keyStart = new Int32Array(MAX_KEYS);
const keyEnd = new Int32Array(MAX_KEYS);

/** Where the params object of the last line proven by distinctKeysToolCall ends (just past its `}`), and whether the line is all ASCII. */
export const distinctSpan = { paramsEnd: 0, ascii: false };

/** most members recorded per object (params, params.arguments); more: memberSpans.overflow */
export const MAX_SPANS = 32;

/**
 * The members of the params object, and of params.arguments when it is an object, of the last line
 * proven by distinctKeysToolCall: name i is b[nameStart[i], nameEnd[i]) (unescaped, without its
 * quotes), its value b[valueStart[i], valueEnd[i]). `arguments` is the index among params' members
 * of the one named arguments (-1: none); `overflow`: an object had more than MAX_SPANS members (the
 * spans are then incomplete and must not be used).
 */
export const memberSpans = {
  paramsCount: 0,
  argsCount: 0,
  arguments: -1,
  overflow: false,
};
const pNameStart = new Int32Array(MAX_SPANS);
const pNameEnd = new Int32Array(MAX_SPANS);
const pValueStart = new Int32Array(MAX_SPANS);
const pValueEnd = new Int32Array(MAX_SPANS);
const aNameStart = new Int32Array(MAX_SPANS);
const aNameEnd = new Int32Array(MAX_SPANS);
const aValueStart = new Int32Array(MAX_SPANS);
const aValueEnd = new Int32Array(MAX_SPANS);
/**
 * per member of arguments (strict scan): DEEP_NAME (1) when a member name is written in its value
 * (an object in it, at any depth), DEEP_FOLDABLE (2) when such a name has an ASCII capital or a byte
 * over 0x7f (argument-case.ts: the byte check of arguments' names)
 */
const aDeep = new Uint8Array(MAX_SPANS);
export const paramSpans = { nameStart: pNameStart, nameEnd: pNameEnd, valueStart: pValueStart, valueEnd: pValueEnd };
export const argSpans = { nameStart: aNameStart, nameEnd: aNameEnd, valueStart: aValueStart, valueEnd: aValueEnd, deep: aDeep };
/** the scan's own counts (published in memberSpans when it ends) */
let pCount = 0;
let aCount = 0;
let argsIndex = -1;
let overflow = false;

/** whether the scan records member spans (a tools/call scanned from inside its params), and whether params.arguments' object is open */
let recording = false;
let argsOpen = false;

/** MEMBER bit of a top-level name the JSON-RPC layer reads, else 0. */
function memberBit(b: Uint8Array, s: number, e: number): number {
  switch (e - s) {
    case 2:
      return startsWith(b, s, e, 'id') ? MEMBER.id : 0;
    case 6:
      return startsWith(b, s, e, 'method') ? MEMBER.method : startsWith(b, s, e, 'params') ? MEMBER.params : 0;
    case 7:
      return startsWith(b, s, e, 'jsonrpc') ? MEMBER.jsonrpc : 0;
    default:
      return 0;
  }
}

/** Whether the name b[s, e) was written before among the names from `from` to `to` (exclusive). */
function seenName(b: Uint8Array, s: number, e: number, from: number, to: number): boolean {
  const len = e - s;
  for (let k = from; k < to; k++) {
    const ks = keyStart[k]!;
    if (keyEnd[k]! - ks !== len) continue;
    let j = 0;
    while (j < len && b[ks + j] === b[s + j]) j++;
    if (j === len) return true;
  }
  return false;
}

/**
 * Strict scan (a client's tools/call forwarded as its bytes: judged, on the audit's raw path, or
 * with nothing judging it): member names that differ only in case (member-case.ts) are declined
 * too, so that the line is parsed and refused there. Declined: two names of one object that may
 * fold alike in Go (mayFoldAlike); a name with an ASCII capital or a byte over 0x7f among the
 * top-level and params members (jsonrpc, id, method, params; name, arguments, _meta, ...).
 * native/raw_check.c makes the same checks.
 */
let strictNames = false;
/** per open name (strict scan): whether it holds a byte over 0x7f */
const keyWide = new Uint8Array(MAX_KEYS);

/** Bytes of the UTF-8 sequence led by c (1 for a stray continuation byte). */
function runeLength(c: number): number {
  return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/**
 * Whether the non-ASCII character at b[i] folds in Go like the ASCII letter y, either case: the
 * only ones that do are U+017F (s), U+212A (k), U+0131 and U+0130 (i). Reads at most b[i + 2],
 * never past the name's closing quote (a byte that is no continuation stops it).
 */
function foldsLikeAscii(b: Uint8Array, i: number, y: number): boolean {
  const l = y | 0x20;
  const c = b[i]!;
  if (c === 0xc5) return l === 0x73 && b[i + 1] === 0xbf;
  if (c === 0xc4) return l === 0x69 && (b[i + 1] === 0xb0 || b[i + 1] === 0xb1);
  if (c === 0xe2) return l === 0x6b && b[i + 1] === 0x84 && b[i + 2] === 0xaa;
  return false;
}

/**
 * Whether the names b[s1, e1) and b[s2, e2), one of them not ASCII, may fold alike in Go (one
 * character for one): ASCII letters alike but for case, an ASCII letter and U+017F, U+212A, U+0131
 * or U+0130 as Go folds them, and any two non-ASCII characters (not told apart here: the line is
 * parsed and member-case.ts decides).
 */
function mayFoldAlike(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): boolean {
  let i = s1;
  let j = s2;
  while (i < e1 && j < e2) {
    const x = b[i]!;
    const y = b[j]!;
    if (x < 0x80 && y < 0x80) {
      if (x !== y) {
        const lx = x | 0x20;
        if (lx !== (y | 0x20) || lx < 0x61 || lx > 0x7a) return false;
      }
      i++;
      j++;
    } else if (x < 0x80) {
      if (!foldsLikeAscii(b, j, x)) return false;
      i++;
      j += runeLength(y);
    } else if (y < 0x80) {
      if (!foldsLikeAscii(b, i, y)) return false;
      i += runeLength(x);
      j++;
    } else {
      i += runeLength(x);
      j += runeLength(y);
    }
  }
  return i === e1 && j === e2;
}

/** seenName with names compared as they may fold in Go: ASCII ones without their case; one not ASCII (wide) by mayFoldAlike. */
function seenFolded(b: Uint8Array, s: number, e: number, wide: boolean, from: number, to: number): boolean {
  const len = e - s;
  for (let k = from; k < to; k++) {
    const ks = keyStart[k]!;
    if (wide || keyWide[k] !== 0) {
      if (mayFoldAlike(b, ks, keyEnd[k]!, s, e)) return true;
      continue;
    }
    if (keyEnd[k]! - ks !== len) continue;
    let j = 0;
    for (; j < len; j++) {
      const x = b[ks + j]!;
      const y = b[s + j]!;
      if (x === y) continue;
      const lx = x | 0x20;
      if (lx !== (y | 0x20) || lx < 0x61 || lx > 0x7a) break;
    }
    if (j === len) return true;
  }
  return false;
}

/** Whether the (ASCII) name b[s, e) has a capital letter. */
function hasCapital(b: Uint8Array, s: number, e: number): boolean {
  for (let k = s; k < e; k++) {
    const c = b[k]!;
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** hasDistinctKeysRawSafe: not proven (not JSON, a name twice, escaped, too deep...). */
export const NAMES_DECLINED = -2;
/** Proven, but a name looked for is written in the line (or an escape that could spell one): not raw-safe. */
export const NAMES_FOUND = -1;
/** Proven, none found, but the line is not ASCII: Recorder.rawSafeBytes decides (it decodes the line). */
export const NAMES_UNDECIDED = -3;

/**
 * hasDistinctKeys and Recorder.rawSafeBytes (its names: Recorder.rawNames) of the line b[start, end)
 * in one pass: its length (a character per byte) when it is proven and raw-safe, else NAMES_DECLINED,
 * NAMES_FOUND or NAMES_UNDECIDED. Every byte a name is looked for at occurs, in valid JSON, only
 * inside strings (RawNames), so looking at the strings' bytes sees every occurrence rawSafeBytes would.
 */
export function hasDistinctKeysRawSafe(b: Uint8Array, start: number, end: number, n: RawNames): number {
  lookFor(n, start, end);
  const proven = hasDistinctKeys(b, start, end);
  stopLooking();
  if (!proven) return NAMES_DECLINED;
  return lexed.namesFound ? NAMES_FOUND : lexed.nonAscii ? NAMES_UNDECIDED : end - start;
}

/**
 * distinctKeysToolCall and Recorder.rawSafeBytes (its names: Recorder.rawNames) of a tools/call
 * line b[start, end) in one pass, as hasDistinctKeysRawSafe for an answer: the line's length when
 * it is proven and raw-safe, else NAMES_DECLINED, NAMES_FOUND or NAMES_UNDECIDED. The head before
 * `from` (compactToolCallIdAt's, ASCII with no escape) is not read by the proof: every byte of it is
 * looked at for names here (a name may also run on from it into the rest of the line); after it,
 * names are looked for in the strings, where valid JSON holds every byte a name is looked for at.
 * The scan is strict (names differing only in case declined): a Go backend could read another
 * tool or other arguments than the row made from a parse of the line shows.
 */
export function distinctKeysToolCallRawSafe(b: Uint8Array, start: number, end: number, from: number, seen: number, n: RawNames): number {
  const anchors = n.anchors;
  for (let i = start; i < from; i++) {
    const c = b[i]!;
    // Never in a compact head: declined rather than judged here.
    if (c >= 0x80 || c === 0x5c) return NAMES_DECLINED;
    if (anchors[c] !== 0 && n.matchesAround(b, i, start, end)) return NAMES_FOUND;
  }
  lookFor(n, start, end);
  const proven = distinctKeysToolCall(b, start, end, from, seen, false, true);
  stopLooking();
  if (!proven) return NAMES_DECLINED;
  return lexed.namesFound ? NAMES_FOUND : lexed.nonAscii ? NAMES_UNDECIDED : end - start;
}

/** Whether buf[start, end) is one JSON object (whitespace around allowed) in valid UTF-8 with no name written twice in any object, nor escaped. */
export function hasDistinctKeys(b: Uint8Array, start: number, end: number): boolean {
  recording = false;
  let i = start;
  while (i < end && isSpace(b[i]!)) i++;
  if (i >= end || b[i] !== 0x7b) return false;
  return scan(b, start, end, i, 0, 0, VALUE, -1) >= 0;
}

/**
 * hasDistinctKeys of a tools/call line whose bytes before `from` are known to be `{`, the top-level
 * members named by the MEMBER bits in `seen` (each once, valid JSON, plain names) and `"params":{`,
 * written compactly (what compactToolCallIdAt recognized): the scan starts just inside params. On
 * success distinctSpan.paramsEnd is where the params object ends.
 */
export function distinctKeysToolCall(b: Uint8Array, start: number, end: number, from: number, seen: number, record = false, strict = false): boolean {
  strictNames = strict;
  kinds[1] = OBJECT;
  kinds[2] = OBJECT;
  keyBase[1] = 0;
  keyBase[2] = 0;
  recording = record;
  argsOpen = false;
  pCount = 0;
  aCount = 0;
  argsIndex = -1;
  overflow = !record; // nothing recorded: the spans must not be used
  const paramsEnd = scan(b, start, end, from, 2, seen | MEMBER.params, FIRST_KEY, 0);
  recording = false;
  strictNames = false;
  memberSpans.paramsCount = pCount;
  memberSpans.argsCount = aCount;
  memberSpans.arguments = argsIndex;
  memberSpans.overflow = overflow;
  if (paramsEnd < 0) return false;
  distinctSpan.paramsEnd = paramsEnd;
  distinctSpan.ascii = !lexed.nonAscii;
  return true;
}

/**
 * The scanner from index `i` in the state given; `keys` names are open (the top level's names, when
 * the scan starts inside params, are the MEMBER bits in `seen`: keys start at 0 for both levels).
 * Returns -1 if the text is declined, else the index just past the depth-2 object closed first
 * (params, when starting inside it), or 0.
 */
function scan(b: Uint8Array, start: number, end: number, i: number, depth: number, seen: number, expect: number, keys: number): number {
  const n = end;
  let firstClosed = 0;
  lexed.nonAscii = false;
  if (keys < 0) keys = 0;
  for (;;) {
    const tokenEnd = i;
    while (i < n && isSpace(b[i]!)) i++;
    if (i >= n) return -1;
    const c = b[i]!;
    if (expect === VALUE || expect === FIRST_ITEM) {
      if (recording && expect === VALUE) {
        // the value of the member just named (inline: this loop is hot)
        if (depth === 2) {
          pValueStart[pCount - 1] = i;
          // params.arguments written as an object: its members are recorded too
          if (c === 0x7b && pCount - 1 === argsIndex) argsOpen = true;
        } else if (depth === 3 && argsOpen) aValueStart[aCount - 1] = i;
      }
      if (expect === FIRST_ITEM && c === 0x5d) {
        i++;
        if (--depth === 0) break;
        expect = AFTER_VALUE;
        continue;
      }
      if (c === 0x7b || c === 0x5b) {
        if (depth === MAX_DEPTH) return -1;
        depth++;
        kinds[depth] = c === 0x7b ? OBJECT : ARRAY;
        keyBase[depth] = keys;
        i++;
        expect = c === 0x7b ? FIRST_KEY : FIRST_ITEM;
        continue;
      }
      if (c === 0x22) {
        i = skipString(b, i, n);
        if (i < -1) i = -2 - i; // escapes in values are fine
      } else if (c === 0x2d || isDigit(c)) i = skipNumber(b, i, n);
      else if (c === 0x74 && startsWith(b, i, n, 'true')) i += 4;
      else if (c === 0x66 && startsWith(b, i, n, 'false')) i += 5;
      else if (c === 0x6e && startsWith(b, i, n, 'null')) i += 4;
      else return -1;
      if (i < 0) return -1;
      expect = AFTER_VALUE;
    } else if (expect === FIRST_KEY || expect === KEY) {
      if (expect === FIRST_KEY && c === 0x7d) {
        if (recording && depth === 3) argsOpen = false;
        i++;
        if (depth === 2 && firstClosed === 0) {
          firstClosed = i;
          recording = false; // params closed: later objects are not its members
        }
        keys = keyBase[depth]!;
        if (--depth === 0) break;
        expect = AFTER_VALUE;
        continue;
      }
      if (c !== 0x22) return -1;
      const s = i + 1;
      const wasNonAscii: boolean = lexed.nonAscii;
      if (strictNames) lexed.nonAscii = false;
      i = skipString(b, i, n);
      if (i < 0) return -1; // invalid, or an escaped name
      const e = i - 1;
      let wide = false;
      if (strictNames) {
        // the name alone was looked at for bytes over 0x7f
        wide = lexed.nonAscii;
        if (depth <= 2 && (wide || hasCapital(b, s, e))) return -1;
        // a name in the value of a member of arguments: that member's deep-name bits
        if (depth > 3 && argsOpen && recording) {
          const d = aDeep[aCount - 1]!;
          if (d !== 3) aDeep[aCount - 1] = d | (wide || hasCapital(b, s, e) ? 3 : 1);
        }
        lexed.nonAscii = wasNonAscii || wide;
      }
      if (depth === 1) {
        const bit = memberBit(b, s, e);
        if ((seen & bit) !== 0) return -1;
        seen |= bit;
      }
      if ((strictNames ? seenFolded(b, s, e, wide, keyBase[depth]!, keys) : seenName(b, s, e, keyBase[depth]!, keys)) || keys === MAX_KEYS) return -1;
      if (strictNames) keyWide[keys] = wide ? 1 : 0;
      if (recording) {
        if (depth === 2) {
          if (pCount === MAX_SPANS) overflow = true;
          else {
            pNameStart[pCount] = s;
            pNameEnd[pCount] = e;
            if (e - s === 9 && isArguments(b, s)) argsIndex = pCount;
            pCount++;
          }
        } else if (depth === 3 && argsOpen) {
          if (aCount === MAX_SPANS) overflow = true;
          else {
            aNameStart[aCount] = s;
            aNameEnd[aCount] = e;
            aDeep[aCount] = 0;
            aCount++;
          }
        }
      }
      keyStart[keys] = s;
      keyEnd[keys] = e;
      keys++;
      while (i < n && isSpace(b[i]!)) i++;
      if (i >= n || b[i] !== 0x3a) return -1;
      i++;
      expect = VALUE;
    } else {
      const kind = kinds[depth];
      if (recording) {
        // a value ended at tokenEnd
        if (depth === 2) pValueEnd[pCount - 1] = tokenEnd;
        else if (depth === 3 && argsOpen) aValueEnd[aCount - 1] = tokenEnd;
      }
      i++;
      if (c === 0x2c) expect = kind === OBJECT ? KEY : VALUE;
      else if ((c === 0x7d && kind === OBJECT) || (c === 0x5d && kind === ARRAY)) {
        if (c === 0x7d) {
          if (depth === 3) argsOpen = false;
          if (depth === 2 && firstClosed === 0) {
            firstClosed = i;
            recording = false; // params closed: later objects are not its members
          }
          keys = keyBase[depth]!;
        }
        if (--depth === 0) break;
      } else return -1;
    }
  }
  while (i < n && isSpace(b[i]!)) i++;
  if (i !== n) return -1;
  if (lexed.nonAscii && !isUtf8Bytes(b, start, end)) return -1;
  return firstClosed;
}

/** Whether b[s, s + 9) is `arguments`. */
function isArguments(b: Uint8Array, s: number): boolean {
  return b[s] === 0x61 && b[s + 1] === 0x72 && b[s + 2] === 0x67 && b[s + 3] === 0x75 && b[s + 4] === 0x6d && b[s + 5] === 0x65 && b[s + 6] === 0x6e && b[s + 7] === 0x74 && b[s + 8] === 0x73;
}
