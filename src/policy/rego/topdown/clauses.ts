/**
 * Clauses of complete and set rules compiled to one chain of closures each, made once per clause
 * (and per starting expression: a body whose guard passed starts at its second). A clause compiles
 * when each of its expressions is a test, a binding `x := t` / `x = t` of a local not bound yet, a
 * `some x` declaration, or (set rules only) `some x in c`, and every term it evaluates is
 * single-valued given the bindings made before it, which the compiler knows from the expressions
 * alone (a rule's frame starts empty). The chain then needs no readiness check, no dispatch on the
 * kind of step and no continuation per binding: each step calls the next directly, and undoes its
 * binding when the rest returns (as the general path does). It runs only without `with` in force
 * (no data shadowed, no function mocked), the state the compiled terms assume; anything else, and
 * every clause that does not compile, takes the steps and the general evaluator (steps.ts, eval.ts)
 * as before. Same order of evaluation, same errors, same values.
 */
import type { Expr, VarTerm } from '../ast/types.js';
import { RSet, objForEach, isObject, type Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { fastOf, type Fast } from './single.js';
import type { QuickClause } from './steps.js';
import type { Frame } from './state.js';

/** a compiled clause: complete rules get the clause's value (undefined: none); set rules add theirs to out */
export type ClauseRun = (ev: Evaluator, f: Frame, out: RSet | null) => Value | undefined;

/**
 * The compiled form of a clause from expression `start` on (0, or 1 after a passed guard), for a
 * complete rule (forSet false: no iteration) or a set rule; null when it does not compile.
 */
export function clauseRun(cl: QuickClause, start: number, forSet: boolean): ClauseRun | null {
  let runs = cl.runs as (ClauseRun | null | undefined)[] | undefined;
  if (runs === undefined) {
    runs = [undefined, undefined, undefined, undefined];
    cl.runs = runs;
  }
  const at = start + (forSet ? 2 : 0);
  let run = runs[at];
  if (run === undefined) {
    run = compileClause(cl.body, start, cl.fast, forSet);
    runs[at] = run;
  }
  return run;
}

/** the slots a compiled term reads are all bound here */
function boundAll(x: Fast, bound: Set<number>): boolean {
  if (x.never) return false;
  for (const s of x.slots) if (!bound.has(s)) return false;
  return true;
}

function compileClause(body: Expr[], start: number, value: Fast, forSet: boolean): ClauseRun | null {
  // first pass: every expression compiles, given the slots bound before it
  const bound = new Set<number>();
  for (let i = start; i < body.length; i++) {
    const e = body[i]!;
    if (e.withs.length > 0) return null;
    if (e.kind === 'term' && !e.output) {
      if (!boundAll(fastOf(e.term!), bound)) return null;
    } else if (!e.negated && (e.kind === 'assign' || e.kind === 'unify') && e.left!.t === 'var' && e.left!.slot >= 0) {
      const slot = e.left!.slot;
      if (bound.has(slot) || !boundAll(fastOf(e.right!), bound)) return null;
      bound.add(slot);
    } else if (!e.negated && e.kind === 'some') {
      // a declaration: nothing to do
    } else if (forSet && !e.negated && e.kind === 'somein' && e.key === undefined && e.value!.t === 'var' && e.value!.slot >= 0) {
      const slot = e.value!.slot;
      if (bound.has(slot) || !boundAll(fastOf(e.domain!), bound)) return null;
      bound.add(slot);
    } else return null;
  }
  if (!boundAll(value, bound)) return null;
  // second pass, from the end: each step calls the next
  const val = value.val;
  let next: ClauseRun = forSet
    ? (ev, f, out) => {
        const v = val(ev, f);
        if (v !== undefined) out!.add(v);
        return undefined;
      }
    : (ev, f) => val(ev, f);
  for (let i = body.length - 1; i >= start; i--) next = stepRun(body[i]!, next);
  return next;
}

function stepRun(e: Expr, next: ClauseRun): ClauseRun {
  if (e.kind === 'term') {
    const test = fastOf(e.term!).val;
    const negated = e.negated === true;
    return (ev, f, out) => {
      const v = test(ev, f);
      if ((v !== undefined && v !== false) === negated) return undefined;
      return next(ev, f, out);
    };
  }
  if (e.kind === 'assign' || e.kind === 'unify') {
    const right = fastOf(e.right!).val;
    const slot = (e.left as VarTerm).slot;
    return (ev, f, out) => {
      const v = right(ev, f);
      if (v === undefined) return undefined;
      f[slot] = v;
      const r = next(ev, f, out);
      f[slot] = undefined;
      return r;
    };
  }
  if (e.kind === 'some') return next;
  // some x in c (set rules): every member of c in turn (no members: nothing)
  const domain = fastOf(e.domain!).val;
  const slot = (e.value as VarTerm).slot;
  return (ev, f, out) => {
    const c = domain(ev, f);
    if (c === undefined) return undefined;
    if (Array.isArray(c) || c instanceof RSet) {
      const items: readonly Value[] = Array.isArray(c) ? c : c.values();
      for (let j = 0; j < items.length; j++) {
        f[slot] = items[j]!;
        next(ev, f, out);
      }
    } else if (isObject(c)) {
      objForEach(c, (_k, v) => {
        f[slot] = v;
        next(ev, f, out);
      });
    }
    f[slot] = undefined;
    return undefined;
  };
}
