/**
 * Bodies evaluated step by step without continuations while their expressions allow it: a test
 * (a single-valued term, maybe negated) passes or fails; `x := t` / `x = t` with x an unbound local
 * and t single-valued binds x; `some x` declares. The first expression that needs the general
 * evaluator (enumeration, `with`, unification of patterns, ...) ends the run and the evaluator
 * goes on from there with the bindings made so far; whoever ran the steps undoes those bindings
 * when it is done with them (clearBinds), exactly as the general path undoes its own on return.
 * Also the clauses of a rule (body or else, and its value) compiled the same way (clausesOf).
 */
import type { Expr, Term } from '../ast/types.js';
import type { CRule } from '../compile/tree.js';
import type { Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { fastOf, ready, type Fast } from './single.js';
import type { Frame } from './state.js';

const TEST = 0;
const BIND = 1;
const DECLARE = 2;
const GENERAL_STEP = 3;

interface Step {
  kind: number;
  /** TEST: the tested term; BIND: the bound value */
  x: Fast | null;
  negated: boolean;
  /** BIND: the slot bound */
  slot: number;
}

/** the steps of one body; binds: some step may bind (clearBinds has work to do) */
export interface Steps {
  list: Step[];
  binds: boolean;
}

type StepBody = Expr[] & { steps?: Steps };

function stepOf(e: Expr): Step {
  if (e.withs.length > 0) return { kind: GENERAL_STEP, x: null, negated: false, slot: -1 };
  if (e.kind === 'term' && !e.output) return { kind: TEST, x: fastOf(e.term!), negated: e.negated === true, slot: -1 };
  if (!e.negated && (e.kind === 'assign' || e.kind === 'unify') && e.left!.t === 'var' && e.left!.slot >= 0) {
    return { kind: BIND, x: fastOf(e.right!), negated: false, slot: e.left!.slot };
  }
  if (!e.negated && e.kind === 'some') return { kind: DECLARE, x: null, negated: false, slot: -1 };
  return { kind: GENERAL_STEP, x: null, negated: false, slot: -1 };
}

/**
 * The steps of a body, kept on the body array (one property on the array, not one on each
 * expression: expressions come in many shapes, and reading a property they do not all have is slow).
 */
export function stepsOf(body: Expr[]): Steps {
  let steps = (body as StepBody).steps;
  if (steps === undefined) {
    const list = body.map(stepOf);
    steps = { list, binds: list.some((s) => s.kind === BIND) };
    Object.defineProperty(body, 'steps', { value: steps, enumerable: false, writable: false });
  }
  return steps;
}

/**
 * runs steps from i on: the index of the first one that needs the general evaluator (list length
 * when all passed), bindings made in [i, that index) left in place; -1 when one failed (its
 * bindings already undone)
 */
export function runSteps(ev: Evaluator, steps: Steps, i: number, f: Frame): number {
  const list = steps.list;
  const start = i;
  for (; i < list.length; i++) {
    const step = list[i]!;
    const kind = step.kind;
    if (kind === TEST) {
      const x = step.x!;
      if (!ready(ev, x, f)) return i;
      const v = x.val(ev, f);
      if ((v !== undefined && v !== false) === step.negated) break;
    } else if (kind === BIND) {
      const x = step.x!;
      if (f[step.slot] !== undefined || !ready(ev, x, f)) return i;
      const v = x.val(ev, f);
      if (v === undefined) break;
      f[step.slot] = v;
    } else if (kind !== DECLARE) return i;
  }
  if (i === list.length) return i;
  if (steps.binds) clearBinds(steps, start, i, f);
  return -1;
}

/** undoes the bindings that runSteps made in steps [from, to) */
export function clearBinds(steps: Steps, from: number, to: number, f: Frame): void {
  const list = steps.list;
  for (let j = from; j < to; j++) {
    const step = list[j]!;
    if (step.kind === BIND) f[step.slot] = undefined;
  }
}

/** one clause of a rule (its body, or an else) with its value (set rules: the element) */
export interface QuickClause {
  steps: Steps;
  body: Expr[];
  value: Term;
  fast: Fast;
  /** what the clause reads (topdown/effective.ts), made on first use */
  deps: unknown;
  /** the clause compiled from its first or second expression, for complete or set rules (topdown/clauses.ts), made on first use */
  runs: unknown;
}

/** the clauses of a rule compiled for direct evaluation (made once per rule) */
export function clausesOf(r: CRule): QuickClause[] {
  let q = r.quick as QuickClause[] | undefined;
  if (q === undefined) {
    q = [r, ...r.elses].map((cl) => {
      const value = r.kind === 'set' ? r.keyPath[0]! : cl.value;
      return { steps: stepsOf(cl.body), body: cl.body, value, fast: fastOf(value), deps: undefined, runs: undefined };
    });
    r.quick = q;
  }
  return q;
}

export const GENERAL: unique symbol = Symbol('general');

/** the clause's value once all its steps passed, when it is single-valued here (else GENERAL) */
export function quickClauseValue(ev: Evaluator, cl: QuickClause, f: Frame): Value | undefined | typeof GENERAL {
  return ready(ev, cl.fast, f) ? cl.fast.val(ev, f) : GENERAL;
}
