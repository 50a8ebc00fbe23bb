/**
 * String builtins (concat, contains, startswith, endswith, indexof, indexof_n, lower, upper, replace,
 * strings.replace_n, split, strings.split_n, substring, trim*, strings.reverse, strings.count,
 * strings.any_prefix_match, strings.any_suffix_match, format_int) with Go's semantics: positions
 * and lengths count runes (code points), cutsets are rune sets, case mapping is per rune.
 */
import { BigNum, RSet, objKeys, objGet, type Value } from '../value/index.js';
import { type BuiltinDef } from './registry.js';
import { str, int, num, elementError, fail, obj, stringList, typeError, operandTypeError } from './operands.js';

const SURROGATE = /[\uD800-\uDFFF]/;

/** true when every code point is one UTF-16 unit (so unit indexes are rune indexes) */
function isSimple(s: string): boolean {
  return !SURROGATE.test(s);
}

function runeCount(s: string): number {
  if (isSimple(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function concat(args: Value[]): Value {
  const sep = str(args[0]!, 1);
  const coll = args[1]!;
  let items: readonly Value[];
  if (Array.isArray(coll)) items = coll;
  else if (coll instanceof RSet) items = coll.values();
  else throw operandTypeError(2, coll, 'set', 'array');
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const s = items[i]!;
    if (typeof s !== 'string') throw elementError(2, coll, s, 'string');
    out = i === 0 ? s : out + sep + s;
  }
  return out;
}

function indexOf(args: Value[]): Value {
  const base = str(args[0]!, 1);
  const search = str(args[1]!, 2);
  if (search === '') fail('empty search character');
  const i = base.indexOf(search);
  if (i <= 0 || isSimple(base)) return i;
  return runeCount(base.slice(0, i));
}

function indexOfN(args: Value[]): Value {
  const base = str(args[0]!, 1);
  const search = str(args[1]!, 2);
  if (search === '') fail('empty search character');
  const simple = isSimple(base);
  const out: Value[] = [];
  let from = 0;
  for (;;) {
    const i = base.indexOf(search, from);
    if (i < 0) break;
    out.push(simple ? i : runeCount(base.slice(0, i)));
    from = i + (base.charCodeAt(i) >= 0xd800 && base.charCodeAt(i) <= 0xdbff ? 2 : 1);
  }
  return out;
}

function substring(args: Value[]): Value {
  const base = str(args[0]!, 1);
  const start = int(args[1]!, 2);
  const length = int(args[2]!, 3);
  if (start < 0) fail('negative offset');
  if (base === '') return '';
  if (isSimple(base)) {
    if (start >= base.length) return '';
    if (length < 0) return base.slice(start);
    return base.slice(start, Math.min(base.length, start + length));
  }
  const runes = Array.from(base);
  if (start >= runes.length) return '';
  return (length < 0 ? runes.slice(start) : runes.slice(start, Math.min(runes.length, start + length))).join('');
}

/** whether every UTF-16 unit of s is ASCII (no regular expression: called on every lower/upper) */
function allAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Go's unicode.ToUpper / ToLower per rune (no multi-rune expansions such as ß -> SS) */
export function mapCase(s: string, upper: boolean): string {
  const mapped = upper ? s.toUpperCase() : s.toLowerCase();
  if (mapped.length === s.length && allAscii(s)) return mapped;
  let out = '';
  for (const ch of s) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += m.length === ch.length || [...m].length === 1 ? m : ch;
  }
  return out;
}

/** Go's strings.Split */
export function goSplit(s: string, sep: string): string[] {
  if (sep === '') return Array.from(s);
  return s.split(sep);
}

function split(args: Value[]): Value {
  const s = str(args[0]!, 1);
  const d = str(args[1]!, 2);
  if (!s.includes(d)) return [s];
  return goSplit(s, d);
}

function splitN(args: Value[]): Value {
  const s = str(args[0]!, 1);
  const d = str(args[1]!, 2);
  const n = int(args[2]!, 3);
  const parts = s.includes(d) ? goSplit(s, d) : [s];
  if (n >= 0) return parts.slice(0, n);
  return parts.slice(Math.max(0, parts.length + n));
}

/** Go's strings.Replacer semantics for (old, new) pairs in priority order */
export function replaceAll(s: string, pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 1) {
    const [o, n] = pairs[0]!;
    if (o !== '') return s.split(o).join(n);
    // empty old: new before every rune and at the end
    let out = n;
    for (const ch of s) out += ch + n;
    return out;
  }
  // Go's generic Replacer: at each position the highest-priority (first sorted) key that matches
  // wins; an empty key matches once per position, after which the other keys are tried there.
  let out = '';
  let i = 0;
  let prevEmpty = false;
  const n = s.length;
  while (i <= n) {
    let hit: readonly [string, string] | undefined;
    for (const p of pairs) {
      if (p[0] === '') {
        if (prevEmpty) continue;
        hit = p;
        break;
      }
      if (s.startsWith(p[0], i)) {
        hit = p;
        break;
      }
    }
    if (hit !== undefined) {
      out += hit[1];
      if (hit[0] === '') {
        prevEmpty = true;
        continue;
      }
      i += hit[0].length;
      prevEmpty = false;
      continue;
    }
    prevEmpty = false;
    if (i >= n) break;
    const c = s.charCodeAt(i);
    const w = c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    out += s.slice(i, i + w);
    i += w;
  }
  return out;
}

function replace(args: Value[]): Value {
  const s = str(args[0]!, 1);
  const o = str(args[1]!, 2);
  const n = str(args[2]!, 3);
  return replaceAll(s, [[o, n]]);
}

function replaceN(args: Value[]): Value {
  const patterns = obj(args[0]!, 1);
  const keys = objKeys(patterns);
  const s = str(args[1]!, 2);
  const pairs: [string, string][] = [];
  for (const k of keys) {
    if (typeof k !== 'string') throw typeError('operand 1 non-string key found in pattern object');
    const v = objGet(patterns, k)!;
    if (typeof v !== 'string') throw typeError('operand 1 non-string value found in pattern object');
    pairs.push([k, v]);
  }
  if (pairs.length === 0) return s;
  return replaceAll(s, pairs);
}

function cutsetOf(c: string): Set<string> | string {
  return c.length === 1 ? c : new Set(Array.from(c));
}

function inCut(cut: Set<string> | string, ch: string): boolean {
  return typeof cut === 'string' ? cut === ch : cut.has(ch);
}

function trimLeftSet(s: string, c: string): string {
  if (c === '' || s === '') return s;
  const cut = cutsetOf(c);
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!inCut(cut, ch)) break;
    i += ch.length;
  }
  return s.slice(i);
}

function trimRightSet(s: string, c: string): string {
  if (c === '' || s === '') return s;
  const cut = cutsetOf(c);
  let j = s.length;
  while (j > 0) {
    let w = 1;
    const lo = s.charCodeAt(j - 1);
    if (lo >= 0xdc00 && lo <= 0xdfff && j >= 2) w = 2;
    const ch = s.slice(j - w, j);
    if (!inCut(cut, ch)) break;
    j -= w;
  }
  return s.slice(0, j);
}

/** unicode.IsSpace */
const GO_SPACE_LEFT = /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/;
const GO_SPACE_RIGHT = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+$/;

function trimSpace(s: string): string {
  return s.replace(GO_SPACE_LEFT, '').replace(GO_SPACE_RIGHT, '');
}

function reverse(s: string): string {
  if (isSimple(s)) {
    let out = '';
    for (let i = s.length - 1; i >= 0; i--) out += s[i];
    return out;
  }
  return Array.from(s).reverse().join('');
}

function countSub(s: string, sub: string): number {
  if (sub === '') return runeCount(s) + 1;
  let n = 0;
  let i = 0;
  for (;;) {
    const j = s.indexOf(sub, i);
    if (j < 0) return n;
    n++;
    i = j + sub.length;
  }
}

function strsOrList(v: Value, pos: number): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) || v instanceof RSet) return stringList(v, pos);
  throw operandTypeError(pos, v, 'string', 'set', 'array');
}

function anyPrefix(strs: string[], prefixes: string[], suffix: boolean): boolean {
  for (const s of strs) {
    for (const p of prefixes) {
      if (suffix ? s.endsWith(p) : s.startsWith(p)) return true;
    }
  }
  return false;
}

function formatInt(args: Value[]): Value {
  const input = num(args[0]!, 1);
  const base = num(args[1]!, 2);
  const b = typeof base === 'number' ? base : base.toNumber();
  if (b !== 2 && b !== 8 && b !== 10 && b !== 16) throw typeError('operand 2 must be one of {2, 8, 10, 16}');
  let i: bigint;
  if (typeof input === 'number') i = BigInt(Math.trunc(input));
  else if (input.int !== null) i = input.int;
  else i = BigInt(Math.trunc(input.toNumber()));
  return i.toString(b);
}

const s1 = (f: (s: string) => Value) => (args: Value[]) => f(str(args[0]!, 1));
const s2 = (f: (a: string, b: string) => Value) => (args: Value[]) => f(str(args[0]!, 1), str(args[1]!, 2));

export const builtins: BuiltinDef[] = [
  { name: 'concat', arity: 2, fn: concat },
  { name: 'contains', arity: 2, fn: s2((a, b) => a.includes(b)) },
  { name: 'startswith', arity: 2, fn: s2((a, b) => a.startsWith(b)) },
  { name: 'endswith', arity: 2, fn: s2((a, b) => a.endsWith(b)) },
  { name: 'indexof', arity: 2, fn: indexOf },
  { name: 'indexof_n', arity: 2, fn: indexOfN },
  { name: 'lower', arity: 1, fn: s1((s) => mapCase(s, false)) },
  { name: 'upper', arity: 1, fn: s1((s) => mapCase(s, true)) },
  { name: 'split', arity: 2, fn: split },
  { name: 'strings.split_n', arity: 3, fn: splitN },
  { name: 'replace', arity: 3, fn: replace },
  { name: 'strings.replace_n', arity: 2, fn: replaceN },
  { name: 'substring', arity: 3, fn: substring },
  { name: 'trim', arity: 2, fn: s2((a, b) => trimRightSet(trimLeftSet(a, b), b)) },
  { name: 'trim_left', arity: 2, fn: s2(trimLeftSet) },
  { name: 'trim_right', arity: 2, fn: s2(trimRightSet) },
  { name: 'trim_prefix', arity: 2, fn: s2((a, b) => (a.startsWith(b) ? a.slice(b.length) : a)) },
  { name: 'trim_suffix', arity: 2, fn: s2((a, b) => (b !== '' && a.endsWith(b) ? a.slice(0, a.length - b.length) : a)) },
  { name: 'trim_space', arity: 1, fn: s1(trimSpace) },
  { name: 'strings.reverse', arity: 1, fn: s1(reverse) },
  { name: 'strings.count', arity: 2, fn: s2(countSub) },
  {
    name: 'strings.any_prefix_match',
    arity: 2,
    fn: (args) => anyPrefix(strsOrList(args[0]!, 1), strsOrList(args[1]!, 2), false),
  },
  {
    name: 'strings.any_suffix_match',
    arity: 2,
    fn: (args) => anyPrefix(strsOrList(args[0]!, 1), strsOrList(args[1]!, 2), true),
  },
  { name: 'format_int', arity: 2, fn: formatInt },
];

export { BigNum };
