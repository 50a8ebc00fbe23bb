/** Compiler rewrites: constant folding, deferred function arguments, argument and slot helpers. */
import type { Expr, Term } from '../ast/types.js';
import { RObject, RSet, type Value } from '../value/index.js';
import type { Scope } from './scope.js';
import type { CRule } from './tree.js';

/** a collection literal of constants becomes one constant value (built once, shared: never mutated) */
export function foldConstant(t: Term): Term {
  if (t.t === 'array') {
    if (!t.items.every((i) => i.t === 'const')) return t;
    return { t: 'const', v: t.items.map((i) => (i as { v: Value }).v), loc: t.loc };
  }
  if (t.t === 'set') {
    if (!t.items.every((i) => i.t === 'const')) return t;
    return { t: 'const', v: RSet.of(...t.items.map((i) => (i as { v: Value }).v)), loc: t.loc };
  }
  if (t.t === 'object') {
    if (!t.keys.every((k) => k.t === 'const') || !t.values.every((v) => v.t === 'const')) return t;
    const o = new RObject();
    t.keys.forEach((k, i) => o.set((k as { v: Value }).v, (t.values[i] as { v: Value }).v));
    return { t: 'const', v: o, loc: t.loc };
  }
  return t;
}

/** function parameters that are not patterns (templates, calls, refs) are matched after the body */
export function deferComplexArgs(cr: CRule): void {
  cr.args = cr.args!.map((a, i) => {
    if (isPatternTerm(a)) return a;
    const v: Term = { t: 'var', name: `__arg${i}__`, loc: a.loc, slot: -1 };
    const eq: Expr = { kind: 'unify', negated: false, withs: [], loc: a.loc, left: v, right: a };
    cr.body = [...cr.body, eq];
    cr.elses = cr.elses.map((e) => ({ ...e, body: [...e.body, eq] }));
    return v;
  });
}

function isPatternTerm(t: Term): boolean {
  if (t.t === 'var' || t.t === 'const') return true;
  if (t.t === 'array') return t.items.every(isPatternTerm);
  if (t.t === 'object') return t.keys.every((k) => k.t === 'const') && t.values.every(isPatternTerm);
  return false;
}

/** function parameters are local variables even when a rule has the same name */
export function declareArgVars(t: Term, scope: Scope): void {
  if (t.t === 'var') {
    if (t.name !== '_' && !scope.vars.has(t.name)) scope.declare(t.name);
  } else if (t.t === 'array' || t.t === 'set') t.items.forEach((i) => declareArgVars(i, scope));
  else if (t.t === 'object') t.values.forEach((v) => declareArgVars(v, scope));
}

export function collectAllSlots(e: Expr, out: Set<number>): void {
  const v = (t: Term | undefined): void => {
    if (!t) return;
    if (t.t === 'var') {
      if (t.slot >= 0) out.add(t.slot);
    } else if (t.t === 'ref') {
      v(t.head);
      t.path.forEach(v);
    } else if (t.t === 'array' || t.t === 'set') t.items.forEach(v);
    else if (t.t === 'object') {
      t.keys.forEach(v);
      t.values.forEach(v);
    } else if (t.t === 'call') t.args.forEach(v);
  };
  if (e.negated) return;
  [e.term, e.left, e.right, e.key, e.value].forEach(v);
}

