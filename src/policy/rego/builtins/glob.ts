/**
 * glob.match(pattern, delimiters, value) and glob.quote_meta with gobwas/glob semantics as OPA uses it:
 * `*` any run of non-delimiters, `**` any run, `?` one non-delimiter, `[abc]` `[a-z]` `[!a-z]`,
 * `{a,b}` alternatives, `\` escapes. Delimiters: `null` none, `[]` the default ["."].
 * Patterns are translated once to RE2 (linear-time matching) and cached (bounded LRU); literal
 * patterns and simple prefix/suffix stars take fast paths without a regex.
 */
import { RE2JS } from 're2js';
import type { Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str, elementError, Lru, operandTypeError } from './operands.js';
import { nativeAffordable, toNativeRegex } from './regex-native.js';

interface Matcher {
  (s: string): boolean;
}

const cache = new Lru<string, Matcher | BuiltinError>(512);

function reEscapeRune(c: string): string {
  return /[\\.+*?()|[\]{}^$-]/.test(c) ? '\\' + c : c;
}

function classOf(delims: readonly string[]): string {
  return delims.map(reEscapeRune).join('');
}

/** translates a gobwas glob to an anchored RE2 pattern */
export function globToRegex(pattern: string, delims: readonly string[]): string {
  const runes = Array.from(pattern);
  const notDelim = delims.length === 0 ? '.' : '[^' + classOf(delims) + ']';
  let i = 0;
  let depth = 0;
  const err = (msg: string): never => {
    throw new BuiltinError(msg);
  };
  let out = '';
  while (i < runes.length) {
    const c = runes[i]!;
    switch (c) {
      case '\\':
        if (i + 1 >= runes.length) err('unexpected end of input');
        out += reEscapeRune(runes[i + 1]!);
        i += 2;
        continue;
      case '*':
        if (runes[i + 1] === '*') {
          out += '.*';
          i += 2;
        } else {
          out += notDelim + '*';
          i++;
        }
        continue;
      case '?':
        out += notDelim;
        i++;
        continue;
      case '[': {
        let j = i + 1;
        let neg = false;
        if (runes[j] === '!') {
          neg = true;
          j++;
        }
        let cls = '';
        let closed = false;
        while (j < runes.length) {
          const d = runes[j]!;
          if (d === ']') {
            closed = true;
            break;
          }
          if (d === '\\' && j + 1 < runes.length) {
            cls += reEscapeRune(runes[j + 1]!);
            j += 2;
            continue;
          }
          if (runes[j + 1] === '-' && j + 2 < runes.length && runes[j + 2] !== ']') {
            const lo = d;
            const hi = runes[j + 2]!;
            if (hi.codePointAt(0)! < lo.codePointAt(0)!) err('hi character should be greater than lo character');
            cls += reEscapeRune(lo) + '-' + reEscapeRune(hi);
            j += 3;
            continue;
          }
          cls += reEscapeRune(d);
          j++;
        }
        if (!closed) err('unexpected end of input');
        if (cls === '') err('unexpected length of lo character');
        out += (neg ? '[^' : '[') + cls + ']';
        i = j + 1;
        continue;
      }
      case '{':
        depth++;
        out += '(?:';
        i++;
        continue;
      case '}':
        if (depth === 0) {
          out += '\\}';
        } else {
          depth--;
          out += ')';
        }
        i++;
        continue;
      case ',':
        out += depth > 0 ? '|' : ',';
        i++;
        continue;
      default:
        out += reEscapeRune(c);
        i++;
    }
  }
  if (depth > 0) err('unexpected end of input');
  return '(?s)^' + out + '$';
}

const META = /[*?\\[\]{}]/;

function compileGlob(pattern: string, delims: readonly string[]): Matcher {
  if (!META.test(pattern)) return (s) => s === pattern;
  // "prefix*" / "*suffix" without other meta: a plain string test
  const star = pattern.indexOf('*');
  if (star === pattern.length - 1 && !META.test(pattern.slice(0, star)) && pattern[star - 1] !== '*') {
    const prefix = pattern.slice(0, star);
    if (delims.length === 0) return (s) => s.startsWith(prefix);
    return (s) => {
      if (!s.startsWith(prefix)) return false;
      for (const d of delims) if (s.indexOf(d, prefix.length) >= 0) return false;
      return true;
    };
  }
  const src = globToRegex(pattern, delims);
  let re: { matches(s: string): boolean };
  try {
    re = RE2JS.compile(src);
  } catch (e) {
    throw new BuiltinError((e as Error).message);
  }
  const native = toNativeRegex(src);
  if (native === null) return (s) => re.matches(s);
  return (s) => (nativeAffordable(native, s.length) ? native.re.test(s) : re.matches(s));
}

const NO_DELIMS: readonly string[] = [];
const DOT_DELIMS: readonly string[] = ['.'];

function delimitersOf(v: Value): readonly string[] {
  if (v === null) return NO_DELIMS;
  if (!Array.isArray(v)) throw operandTypeError(2, v, 'array', 'null');
  if (v.length === 0) return DOT_DELIMS;
  if (v.length === 1 && v[0] === '.') return DOT_DELIMS;
  const out: string[] = [];
  for (const d of v) {
    if (typeof d !== 'string') throw elementError(2, v, d, 'string');
    if (!(d.length === 1 || (d.length === 2 && d.codePointAt(0)! > 0xffff))) throw elementError(2, v, d, 'rune');
    out.push(d);
  }
  return out;
}

export function globMatch(pattern: string, delims: readonly string[], value: string): boolean {
  const key = (delims.length === 1 ? delims[0]! : delims.join('')) + '\u0000' + pattern;
  let m = cache.get(key);
  if (m === undefined) {
    try {
      m = compileGlob(pattern, delims);
    } catch (e) {
      m = e instanceof BuiltinError ? e : new BuiltinError(String(e));
    }
    cache.set(key, m);
  }
  if (m instanceof BuiltinError) throw new BuiltinError(m.message);
  return m(value);
}

function quoteMeta(s: string): string {
  return s.replace(/[*?\\[\]{}]/g, '\\$&');
}

export const builtins: BuiltinDef[] = [
  {
    name: 'glob.match',
    arity: 3,
    fn: (args) => {
      const pattern = str(args[0]!, 1);
      const delims = delimitersOf(args[1]!);
      return globMatch(pattern, delims, str(args[2]!, 3));
    },
  },
  { name: 'glob.quote_meta', arity: 1, fn: (args) => quoteMeta(str(args[0]!, 1)) },
];
