/**
 * regex.globs_match(a, b): whether two "globs" (the regex subset of OPA's glob-intersection: literal
 * runes, `.`, `[...]` sets with ranges, `\` escapes, each optionally followed by `*` or `+`) can match a
 * common string. Decided by a search over the product of the two automata (linear in |a|*|b|).
 */
import type { Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str } from './operands.js';

type CharSet = { any: true } | { any: false; runes: Set<number> };
interface Tok {
  set: CharSet;
  flag: '' | '*' | '+';
}

function invalid(input: string, pos: number, msg: string): never {
  throw new BuiltinError(`input:${input}, pos:${pos}, ${msg}: the input provided is invalid`);
}

function tokenize(input: string): Tok[] {
  const r = Array.from(input, (c) => c.codePointAt(0)!);
  const toks: Tok[] = [];
  let i = 0;
  const next = (): { c: number; esc: boolean } => {
    if (r[i] === 92) {
      if (i === r.length - 1) invalid(input, i, 'input ends with a \\ (escape) character');
      const c = r[i + 1]!;
      i += 2;
      return { c, esc: true };
    }
    return { c: r[i++]!, esc: false };
  };
  while (i < r.length) {
    const { c, esc } = next();
    let set: CharSet;
    if (!esc && c === 46) set = { any: true };
    else if (!esc && c === 93) invalid(input, i, "set-close ']' with no preceding '['");
    else if (!esc && (c === 43 || c === 42)) invalid(input, i, `flag '${String.fromCodePoint(c)}' must be preceded by a non-flag`);
    else if (!esc && c === 91) {
      const runes = new Set<number>();
      let complete = false;
      let prev = -1;
      while (i < r.length) {
        const n = next();
        if (!n.esc && n.c === 93) {
          complete = true;
          break;
        }
        if (!n.esc && n.c === 45) {
          if (prev < 0) invalid(input, i, "range character '-' must be preceded by a Unicode character");
          if (i >= r.length) invalid(input, i, "range character '-' must be followed by a Unicode character");
          const e = next();
          if (!e.esc && (e.c === 93 || e.c === 45)) invalid(input, i, "range character '-' cannot be followed by a special symbol");
          if (e.c < prev) {
            invalid(input, i, `range is out of order: '${String.fromCodePoint(e.c)}' comes before '${String.fromCodePoint(prev)}' in Unicode`);
          }
          for (let x = prev; x <= e.c; x++) runes.add(x);
          prev = -1;
          continue;
        }
        runes.add(n.c);
        prev = n.c;
      }
      if (!complete) invalid(input, i, 'found [ without matching ]');
      set = { any: false, runes };
    } else set = { any: false, runes: new Set([c]) };
    let flag: Tok['flag'] = '';
    if (i < r.length && (r[i] === 42 || r[i] === 43)) {
      flag = r[i] === 42 ? '*' : '+';
      i++;
    }
    toks.push({ set, flag });
  }
  // "x+" is "x x*"
  const out: Tok[] = [];
  for (const t of toks) {
    if (t.flag === '+') out.push({ set: t.set, flag: '' }, { set: t.set, flag: '*' });
    else out.push(t);
  }
  return out;
}

function intersects(a: CharSet, b: CharSet): boolean {
  if (a.any) return b.any || b.runes.size > 0;
  if (b.any) return a.runes.size > 0;
  const [small, big] = a.runes.size <= b.runes.size ? [a.runes, b.runes] : [b.runes, a.runes];
  for (const x of small) if (big.has(x)) return true;
  return false;
}

export function globsIntersect(x: string, y: string): boolean {
  const a = tokenize(x);
  const b = tokenize(y);
  const w = b.length + 1;
  const seen = new Uint8Array((a.length + 1) * w);
  const stack: number[] = [0];
  seen[0] = 1;
  const push = (i: number, j: number): void => {
    const k = i * w + j;
    if (seen[k] === 0) {
      seen[k] = 1;
      stack.push(k);
    }
  };
  while (stack.length > 0) {
    const k = stack.pop()!;
    const i = Math.floor(k / w);
    const j = k - i * w;
    if (i === a.length && j === b.length) return true;
    // epsilon moves past starred tokens
    if (i < a.length && a[i]!.flag === '*') push(i + 1, j);
    if (j < b.length && b[j]!.flag === '*') push(i, j + 1);
    if (i < a.length && j < b.length && intersects(a[i]!.set, b[j]!.set)) {
      push(a[i]!.flag === '*' ? i : i + 1, b[j]!.flag === '*' ? j : j + 1);
    }
  }
  return false;
}

export const builtins: BuiltinDef[] = [
  {
    name: 'regex.globs_match',
    arity: 2,
    fn: (args: Value[]) => globsIntersect(str(args[0]!, 1), str(args[1]!, 2)),
  },
];
