/**
 * regex.* builtins on RE2 (re2js: Go's syntax and linear-time matching, so attacker-supplied input
 * cannot make a policy regex hang): regex.match, regex.is_valid, regex.find_n,
 * regex.find_all_string_submatch_n, regex.split, regex.replace (Go's $1/${name} expansion),
 * regex.template_match. Compiled patterns are kept in a bounded LRU.
 */
import { RE2JS } from 're2js';
import type { Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str, int, Lru } from './operands.js';
import { builtins as globsMatch } from './regex-globs.js';
import { nativeAffordable, toNativeRegex, type NativeRegex } from './regex-native.js';

/** the Go-flavoured RE2 object of re2js (findAll*, Go empty-match rules) */
interface GoRE2 {
  match(s: string): boolean;
  findAll(s: string, n: number): string[] | null;
  findAllSubmatch(s: string, n: number): (string | null)[][] | null;
  findAllIndex(s: string, n: number): number[][] | null;
  findAllSubmatchIndex(s: string, n: number): number[][] | null;
}

interface Compiled {
  re: GoRE2;
  names: Map<string, number>;
  /** the RE2 source */
  src: string;
  /** JS RegExp equivalent for boolean matches (null: none, undefined: not yet translated) */
  native?: NativeRegex | null;
}

const cache = new Lru<string, Compiled | Error>(256);

function compileRE(pattern: string): Compiled {
  let c = cache.get(pattern);
  if (c === undefined) {
    try {
      const p = RE2JS.compile(pattern);
      const names = new Map<string, number>();
      const re = p.re2() as unknown as GoRE2 & { namedGroups?: Record<string, number> | Map<string, number> };
      const ng = re.namedGroups;
      if (ng instanceof Map) for (const [k, v] of ng) names.set(k, v);
      else if (ng) for (const k of Object.keys(ng)) names.set(k, ng[k]!);
      c = { re, names, src: pattern };
    } catch (e) {
      c = new BuiltinError((e as Error).message);
    }
    cache.set(pattern, c);
  }
  if (c instanceof Error) throw new BuiltinError(c.message);
  return c;
}

export function regexMatches(pattern: string, value: string): boolean {
  const c = compileRE(pattern);
  let n = c.native;
  if (n === undefined) n = c.native = toNativeRegex(pattern);
  if (n !== null && nativeAffordable(n, value.length)) return n.re.test(value);
  return c.re.match(value);
}

function isValid(args: Value[]): Value {
  const p = args[0];
  if (typeof p !== 'string') return false;
  try {
    compileRE(p);
    return true;
  } catch {
    return false;
  }
}

function findN(args: Value[]): Value {
  const re = compileRE(str(args[0]!, 1)).re;
  const s = str(args[1]!, 2);
  const n = int(args[2]!, 3);
  return re.findAll(s, n) ?? [];
}

function findAllSubmatch(args: Value[]): Value {
  const re = compileRE(str(args[0]!, 1)).re;
  const s = str(args[1]!, 2);
  const n = int(args[2]!, 3);
  const ms = re.findAllSubmatch(s, n);
  if (ms === null) return [];
  return ms.map((m) => m.map((g) => g ?? ''));
}

/** Go's Regexp.Split(s, -1) */
function split(args: Value[]): Value {
  const pattern = str(args[0]!, 1);
  const s = str(args[1]!, 2);
  const re = compileRE(pattern).re;
  if (pattern.length > 0 && s.length === 0) return [''];
  const matches = re.findAllIndex(s, -1) ?? [];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    end = m[0]!;
    if (m[1] !== 0) out.push(s.slice(beg, end));
    beg = m[1]!;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Go's Regexp.Expand of a template for one match */
function expand(tpl: string, src: string, m: readonly number[], names: Map<string, number>): string {
  let out = '';
  let i = 0;
  while (i < tpl.length) {
    const d = tpl.indexOf('$', i);
    if (d < 0) {
      out += tpl.slice(i);
      break;
    }
    out += tpl.slice(i, d);
    i = d + 1;
    if (tpl[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (tpl[i] === '{') {
      const close = tpl.indexOf('}', i + 1);
      const inner = close < 0 ? '' : tpl.slice(i + 1, close);
      if (close > 0 && inner.length > 0 && [...inner].every((ch) => isNameChar(ch.charCodeAt(0)))) {
        name = inner;
        i = close + 1;
      }
    } else {
      let j = i;
      while (j < tpl.length && isNameChar(tpl.charCodeAt(j))) j++;
      if (j > i) {
        name = tpl.slice(i, j);
        i = j;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    let g = -1;
    if (/^[0-9]+$/.test(name)) g = Number(name);
    else g = names.get(name) ?? -1;
    if (g >= 0 && 2 * g + 1 < m.length && m[2 * g]! >= 0) out += src.slice(m[2 * g]!, m[2 * g + 1]!);
  }
  return out;
}

function replace(args: Value[]): Value {
  const base = str(args[0]!, 1);
  const pattern = str(args[1]!, 2);
  const repl = str(args[2]!, 3);
  const { re, names } = compileRE(pattern);
  const ms = re.findAllSubmatchIndex(base, -1);
  if (ms === null || ms.length === 0) return base;
  const literal = !repl.includes('$');
  let out = '';
  let last = 0;
  for (const m of ms) {
    out += base.slice(last, m[0]!);
    out += literal ? repl : expand(repl, base, m, names);
    last = m[1]!;
  }
  return out + base.slice(last);
}

/** regexp.QuoteMeta */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function templateMatch(args: Value[]): Value {
  const tpl = str(args[0]!, 1);
  const value = str(args[1]!, 2);
  const start = str(args[2]!, 3);
  const end = str(args[3]!, 4);
  if (Buffer.byteLength(start) !== 1) {
    throw new BuiltinError(`start delimiter has to be exactly one character long but is ${Buffer.byteLength(start)} long`);
  }
  if (Buffer.byteLength(end) !== 1) {
    throw new BuiltinError(`end delimiter has to be exactly one character long but is ${Buffer.byteLength(start)} long`);
  }
  const key = '\u0000tpl' + start + end + tpl;
  let c = cache.get(key);
  if (c === undefined) {
    let level = 0;
    let idx = 0;
    const idxs: number[] = [];
    for (let i = 0; i < tpl.length; i++) {
      if (tpl[i] === start) {
        if (++level === 1) idx = i;
      } else if (tpl[i] === end) {
        if (--level === 0) idxs.push(idx, i + 1);
        else if (level < 0) throw new BuiltinError(`unbalanced braces in ${JSON.stringify(tpl)}`);
      }
    }
    if (level !== 0) throw new BuiltinError(`unbalanced braces in ${JSON.stringify(tpl)}`);
    let pattern = '^';
    let last = 0;
    for (let i = 0; i < idxs.length; i += 2) {
      const raw = tpl.slice(last, idxs[i]);
      last = idxs[i + 1]!;
      const patt = tpl.slice(idxs[i]! + 1, last - 1);
      compileRE('^' + patt + '$');
      pattern += quoteMeta(raw) + '(' + patt + ')';
    }
    pattern += quoteMeta(tpl.slice(last)) + '$';
    c = { ...compileRE(pattern), src: pattern };
    cache.set(key, c);
  }
  if (c instanceof Error) throw new BuiltinError(c.message);
  let n = c.native;
  if (n === undefined) n = c.native = toNativeRegex(c.src);
  if (n !== null && nativeAffordable(n, value.length)) return n.re.test(value);
  return c.re.match(value);
}

export const builtins: BuiltinDef[] = [
  { name: 'regex.match', arity: 2, fn: (a) => regexMatches(str(a[0]!, 1), str(a[1]!, 2)) },
  { name: 're_match', arity: 2, fn: (a) => regexMatches(str(a[0]!, 1), str(a[1]!, 2)) },
  { name: 'regex.is_valid', arity: 1, fn: isValid },
  { name: 'regex.find_n', arity: 3, fn: findN },
  { name: 'regex.find_all_string_submatch_n', arity: 3, fn: findAllSubmatch },
  { name: 'regex.split', arity: 2, fn: split },
  { name: 'regex.replace', arity: 3, fn: replace },
  { name: 'regex.template_match', arity: 4, fn: templateMatch },
  ...globsMatch,
];
