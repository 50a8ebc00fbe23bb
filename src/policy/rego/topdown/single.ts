/**
 * Single-valued terms, evaluated by plain return instead of continuations. A term that cannot
 * enumerate (constants, bound locals, input, refs whose keys are constants or single-valued terms
 * into input, locals or rule values, builtin and function calls of such terms, composites of
 * them, comprehensions and template strings) has at most one value, so the evaluator computes it
 * directly: no closure per step, same order of evaluation and same errors as the general path.
 * isSingle() only looks (it evaluates nothing), so a term that turns out not to be single-valued
 * is left to the general evaluator untouched. Also the body fast path: a test expression (a
 * single-valued term, maybe negated) passes or fails without a continuation.
 */
import type { Expr, Term } from '../ast/types.js';
import { RObject, RSet, type Value } from '../value/index.js';
import type { RuleNode } from '../compile/tree.js';
import type { CallTarget } from '../compile/compiler.js';
import { SLOT_DATA, SLOT_INPUT } from '../compile/scope.js';
import type { Evaluator } from './eval.js';
import type { Frame } from './state.js';
import { lookup, nodeValue } from './refs.js';
import { callTarget } from './calls.js';

function allSingle(ev: Evaluator, ts: Term[], f: Frame): boolean {
  for (let i = 0; i < ts.length; i++) if (!isSingle(ev, ts[i]!, f)) return false;
  return true;
}

/** true if t has at most one value in the current bindings (and evalSingle can compute it) */
export function isSingle(ev: Evaluator, t: Term, f: Frame): boolean {
  switch (t.t) {
    case 'const':
      return true;
    case 'var':
      return t.slot >= 0 ? f[t.slot] !== undefined : t.slot === SLOT_INPUT;
    case 'ref': {
      const h = t.head;
      let start = 0;
      if (h.t === 'var') {
        if (h.slot >= 0) {
          if (f[h.slot] === undefined) return false;
        } else if (h.slot === SLOT_DATA) {
          if (t.leaf === undefined || ev.st.shadow !== null) return false;
          start = t.leafDepth!;
        } else if (h.slot !== SLOT_INPUT) return false;
      } else if (!isSingle(ev, h, f)) return false;
      const path = t.path;
      for (let i = start; i < path.length; i++) {
        const p = path[i]!;
        if (p.t !== 'const' && !isSingle(ev, p, f)) return false;
      }
      return true;
    }
    case 'array':
    case 'set':
      return allSingle(ev, t.items, f);
    case 'object':
      return allSingle(ev, t.keys, f) && allSingle(ev, t.values, f);
    case 'call': {
      if (ev.st.mocks !== null) return false;
      const target = t.target as CallTarget;
      if (target.kind === 'builtin') {
        const name = target.def.name;
        if (name === 'print') return true; // prints all values of its arguments once
        if (name === 'walk') return false;
      }
      return allSingle(ev, t.args, f);
    }
    default:
      // comprehensions and template strings: exactly one value
      return true;
  }
}

/** the value of a term for which isSingle() holds (undefined when it is undefined) */
export function evalSingle(ev: Evaluator, t: Term, f: Frame): Value | undefined {
  switch (t.t) {
    case 'const':
      return t.v;
    case 'var':
      return t.slot >= 0 ? f[t.slot] : ev.st.input;
    case 'ref': {
      const h = t.head;
      let v: Value | undefined;
      let start = 0;
      if (h.t === 'var') {
        if (h.slot >= 0) v = f[h.slot];
        else if (h.slot === SLOT_INPUT) v = ev.st.input;
        else {
          v = nodeValue(ev, t.leaf as RuleNode, undefined);
          start = t.leafDepth!;
        }
      } else v = evalSingle(ev, h, f);
      const path = t.path;
      for (let i = start; i < path.length && v !== undefined; i++) {
        const p = path[i]!;
        const key = p.t === 'const' ? p.v : evalSingle(ev, p, f);
        if (key === undefined) return undefined;
        v = lookup(v, key);
      }
      return v;
    }
    case 'array': {
      const n = t.items.length;
      const out = new Array<Value>(n);
      for (let i = 0; i < n; i++) {
        const v = evalSingle(ev, t.items[i]!, f);
        if (v === undefined) return undefined;
        out[i] = v;
      }
      return out;
    }
    case 'set': {
      const vals = singles(ev, t.items, f);
      if (vals === undefined) return undefined;
      const out = new RSet();
      for (let i = 0; i < vals.length; i++) out.add(vals[i]!);
      return out;
    }
    case 'object': {
      const keys = singles(ev, t.keys, f);
      if (keys === undefined) return undefined;
      const vals = singles(ev, t.values, f);
      if (vals === undefined) return undefined;
      const out = new RObject();
      for (let i = 0; i < keys.length; i++) out.set(keys[i]!, vals[i]!);
      return out;
    }
    case 'call': {
      const target = t.target as CallTarget;
      if (target.kind === 'builtin' && target.def.name === 'print') return captured(ev, t, f);
      const vals = singles(ev, t.args, f);
      return vals === undefined ? undefined : callTarget(ev, target, vals, t);
    }
    default:
      return captured(ev, t, f);
  }
}

function singles(ev: Evaluator, ts: Term[], f: Frame): Value[] | undefined {
  const out = new Array<Value>(ts.length);
  for (let i = 0; i < ts.length; i++) {
    const v = evalSingle(ev, ts[i]!, f);
    if (v === undefined) return undefined;
    out[i] = v;
  }
  return out;
}

/** the one value of a term through the general evaluator */
function captured(ev: Evaluator, t: Term, f: Frame): Value | undefined {
  let out: Value | undefined;
  ev.evalTerm(t, f, (v) => {
    out = v;
    return true;
  });
  return out;
}

export const TEST_FAIL = 0;
export const TEST_PASS = 1;
export const TEST_GENERAL = 2;

/**
 * A body expression that only tests (no bindings, no `with`, at most one solution): TEST_PASS or
 * TEST_FAIL; TEST_GENERAL when it needs the general evaluator.
 */
export function quickTest(ev: Evaluator, e: Expr, f: Frame): number {
  if (e.withs.length > 0 || e.kind !== 'term' || e.output) return TEST_GENERAL;
  const t = e.term!;
  if (!isSingle(ev, t, f)) return TEST_GENERAL;
  const v = evalSingle(ev, t, f);
  const ok = v !== undefined && v !== false;
  return ok !== (e.negated === true) ? TEST_PASS : TEST_FAIL;
}

/** index of the first expression from i on that needs the general evaluator (body.length when
 * every one passed), or -1 when a test failed */
export function testPrefix(ev: Evaluator, body: Expr[], i: number, f: Frame): number {
  for (; i < body.length; i++) {
    const r = quickTest(ev, body[i]!, f);
    if (r === TEST_FAIL) return -1;
    if (r !== TEST_PASS) return i;
  }
  return i;
}
