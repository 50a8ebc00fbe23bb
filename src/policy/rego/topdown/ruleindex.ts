/**
 * Rule indexing: for a list of rules (the rules of one node), finds the input ref most rules test
 * for equality with a constant (`input.tool.name == "x"`, `input.method = "y"`,
 * `input.tool.name in {"a", "b"}`) and maps each constant to the rules that test it, so evaluation
 * only runs the rules that can match (plus the rules without such a test).
 */
import type { Expr, Term } from '../ast/types.js';
import { SLOT_INPUT } from '../compile/scope.js';
import type { CallTarget } from '../compile/compiler.js';
import type { CRule } from '../compile/tree.js';
import { RSet, canonicalKey, isObject, objGet, type Value } from '../value/index.js';

export interface RuleIndex {
  path: string[];
  /** rules by the string the path equals (no key to build per lookup) */
  byString: Map<string, number[]>;
  /** rules by the canonical key of any other value */
  byValue: Map<string, number[]>;
  rest: number[];
  /** candidates per string, and per canonical key of other values, merged with rest (filled lazily) */
  mergedString: Map<string, number[]>;
  merged: Map<string, number[]>;
}

const MIN_RULES = 4;


function inputPath(t: Term): string | undefined {
  if (t.t !== 'ref' || t.head.t !== 'var' || t.head.slot !== SLOT_INPUT) return undefined;
  let s = '';
  for (const p of t.path) {
    if (p.t !== 'const' || typeof p.v !== 'string' || p.v.includes('\u0000')) return undefined;
    s += (s ? '\u0000' : '') + p.v;
  }
  return s;
}

function constValues(t: Term): Value[] | undefined {
  if (t.t === 'const') return [t.v];
  return undefined;
}

function collectionConsts(t: Term): Value[] | undefined {
  if (t.t === 'const') {
    if (t.v instanceof RSet) return [...t.v.values()];
    if (Array.isArray(t.v)) return t.v;
    return undefined;
  }
  if (t.t !== 'set' && t.t !== 'array') return undefined;
  const out: Value[] = [];
  for (const i of t.items) {
    if (i.t !== 'const') return undefined;
    out.push(i.v);
  }
  return out;
}

/** (path, values) pairs an expression tests; the rule can only succeed if input.path is one of values */
function tests(e: Expr): [string, Value[]][] {
  if (e.negated || e.withs.length > 0) return [];
  let a: Term | undefined;
  let b: Term | undefined;
  if (e.kind === 'unify') {
    a = e.left;
    b = e.right;
  } else if (e.kind === 'term' && e.term!.t === 'call' && !e.output) {
    const c = e.term!;
    const tg = c.target as CallTarget | undefined;
    if (tg?.kind !== 'builtin') return [];
    if (tg.def.name === 'equal' && c.args.length === 2) {
      a = c.args[0];
      b = c.args[1];
    } else if (tg.def.name === 'internal.member_2' && c.args.length === 2) {
      const p = inputPath(c.args[0]!);
      const vals = collectionConsts(c.args[1]!);
      return p !== undefined && vals ? [[p, vals]] : [];
    }
  }
  if (!a || !b) return [];
  const pa = inputPath(a);
  const pb = inputPath(b);
  if (pa !== undefined) {
    const v = constValues(b);
    if (v) return [[pa, v]];
  }
  if (pb !== undefined) {
    const v = constValues(a);
    if (v) return [[pb, v]];
  }
  return [];
}

export function buildIndex(rules: readonly CRule[]): RuleIndex | null {
  if (rules.length < MIN_RULES) return null;
  const perRule: Map<string, Value[]>[] = rules.map((r) => {
    const m = new Map<string, Value[]>();
    if (r.elses.length > 0) return m;
    for (const e of r.body) for (const [p, vals] of tests(e)) if (!m.has(p)) m.set(p, vals);
    return m;
  });
  const counts = new Map<string, number>();
  for (const m of perRule) for (const p of m.keys()) counts.set(p, (counts.get(p) ?? 0) + 1);
  let best: string | undefined;
  let bestCount = 0;
  for (const [p, c] of counts) if (c > bestCount) [best, bestCount] = [p, c];
  if (best === undefined || bestCount < 2) return null;
  const byString = new Map<string, number[]>();
  const byValue = new Map<string, number[]>();
  const rest: number[] = [];
  perRule.forEach((m, i) => {
    const vals = m.get(best!);
    if (!vals) {
      rest.push(i);
      return;
    }
    for (const v of vals) {
      const map = typeof v === 'string' ? byString : byValue;
      const k = typeof v === 'string' ? v : canonicalKey(v);
      const list = map.get(k);
      if (list === undefined) map.set(k, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
  });
  return { path: best.split('\u0000'), byString, byValue, rest, mergedString: new Map(), merged: new Map() };
}

const EMPTY: number[] = [];

/** indexes of the rules that may match this input, in source order */
export function candidates(ix: RuleIndex, input: Value | undefined): number[] {
  let v: Value | undefined = input;
  for (const p of ix.path) {
    if (v === undefined || !isObject(v)) {
      v = undefined;
      break;
    }
    v = objGet(v, p);
  }
  if (v === undefined) return ix.rest;
  const str = typeof v === 'string';
  const key: string = str ? (v as string) : canonicalKey(v);
  const hit = (str ? ix.byString : ix.byValue).get(key) ?? EMPTY;
  if (hit.length === 0) return ix.rest;
  if (ix.rest.length === 0) return hit;
  const merged = str ? ix.mergedString : ix.merged;
  const cached = merged.get(key);
  if (cached !== undefined) return cached;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < hit.length || j < ix.rest.length) {
    if (j >= ix.rest.length || (i < hit.length && hit[i]! < ix.rest[j]!)) out.push(hit[i++]!);
    else out.push(ix.rest[j++]!);
  }
  merged.set(key, out);
  return out;
}
