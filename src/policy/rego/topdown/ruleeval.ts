/**
 * Evaluation of the rules defined at one node, once the kept-value checks of rules.ts found no value
 * to reuse: complete rules (body, else clauses, default, conflicts between rules), partial set and
 * object rules, and user functions. Each rule list is narrowed by rule indexing (ruleindex.ts) and
 * each clause is run by its compiled steps or chain (steps.ts, clauses.ts) before the general
 * evaluator. Besides a value, each node evaluation leaves the node's effective input roots in
 * lastMask (effective.ts), which the caller reads right after the call; all evaluations share one
 * recursion depth guard.
 */
import { RObject, RSet, equal, type Value } from '../value/index.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import type { Loc } from '../ast/types.js';
import type { Evaluator } from './eval.js';
import { RegoEvalError } from './errors.js';
import type { Frame } from './state.js';
import { buildIndex, candidates, type RuleIndex } from './ruleindex.js';
import { GUARD_FAILS, GUARD_PASSES, GUARD_UNKNOWN, guardCheck, guardOf } from './guard.js';
import { clausesOf, clearBinds, GENERAL, quickClauseValue, runSteps, type QuickClause } from './steps.js';
import { clauseRun } from './clauses.js';
import { insertPath } from './objects.js';
import { keepKeyed, keyedValue, NOT_KEYED, ruleKeyedOf, worthTrying } from './keyed.js';
import { carriedFailure, noteSkips, skipsOf } from './skips.js';
import { clauseMask, defaultDeps, hopeless, rootBit, setsMask, staticMask, triedMask } from './effective.js';

/** the effective roots (effective.ts) of the last node, rule or index evaluated: read right after the call that set it */
export let lastMask = 0;

/** runs the rule's body (then its else clauses while undefined), emitting each value */
function evalClauses(ev: Evaluator, r: CRule, f: Frame, emit: (v: Value) => boolean): boolean {
  const outer = ev.rule;
  ev.rule = r;
  try {
    return evalClausesIn(ev, r, f, emit);
  } finally {
    ev.rule = outer;
  }
}

function evalClausesIn(ev: Evaluator, r: CRule, f: Frame, emit: (v: Value) => boolean): boolean {
  let found = false;
  const em = (v: Value): boolean => {
    found = true;
    return emit(v);
  };
  const clauses = clausesOf(r);
  for (let c = 0; c < clauses.length; c++) {
    const stop = clause(ev, clauses[c]!, f, em);
    if (found || stop) return stop;
  }
  return false;
}

/** one clause: its steps, then the general evaluator from where they stopped */
function clause(ev: Evaluator, cl: QuickClause, f: Frame, emit: (v: Value) => boolean): boolean {
  const i = runSteps(ev, cl.steps, 0, f);
  if (i < 0) return false;
  let r: boolean;
  const v = i === cl.body.length ? quickClauseValue(ev, cl, f) : GENERAL;
  if (v !== GENERAL) r = v === undefined ? false : emit(v);
  else r = ev.evalBody(cl.body, i, f, () => ev.evalTerm(cl.value, f, emit));
  if (cl.steps.binds) clearBinds(cl.steps, 0, i, f);
  return r;
}

/** frame of a rule without variables (never written) */
const NO_SLOTS: Frame = [];

function frameFor(r: CRule): Frame {
  return r.nslots === 0 ? NO_SLOTS : new Array(r.nslots);
}

export function conflict(node: RuleNode, loc: Loc, fn: boolean): RegoEvalError {
  return new RegoEvalError(
    'eval_conflict_error',
    fn ? `function ${node.name} produced conflicting values for the same inputs` : `rule ${node.name} produced conflicting values`,
    loc,
  );
}

function defaultValue(ev: Evaluator, node: RuleNode): Value | undefined {
  const d = node.defaultRule;
  if (!d) return undefined;
  let out: Value | undefined;
  ev.evalTerm(d.value, new Array(d.nslots), (v) => {
    out = v;
    return true;
  });
  return out;
}

/** nesting of rule and function evaluations: past 2000 the query fails (OPA's stack overflow error) */
let depth = 0;

function enter(what: string, node: RuleNode): void {
  if (++depth > 2000) {
    depth = 0;
    throw new RegoEvalError('eval_internal_error', `stack overflow ${what} ${node.name}`);
  }
}

/** the value of the rules defined at node (sets, objects or complete rules); sets lastMask */
export function evalNode(ev: Evaluator, node: RuleNode): Value | undefined {
  enter('evaluating', node);
  try {
    if (node.sets.length) return evalSets(ev, node);
    if (node.objects.length) return evalObjects(ev, node);
    return evalComplete(ev, node);
  } finally {
    depth--;
  }
}

/** the value of a node of complete rules, all its roots counted as effective (no finer lastMask) */
export function evalCompleteNode(ev: Evaluator, node: RuleNode): Value | undefined {
  enter('evaluating', node);
  try {
    return evalComplete(ev, node, false);
  } finally {
    depth--;
  }
}

/** a rule list's index, kept on the list itself (no lookup in a side table per evaluation) */
type Indexed = readonly CRule[] & { index?: RuleIndex | null };
/** candidate index lists of an index, each with its rules (filled on first use) */
type Candidates = number[] & { rules?: CRule[] };

/** the rules of a list that may match the current input (rule indexing) */
function select(ev: Evaluator, rules: readonly CRule[]): readonly CRule[] {
  // the index assumes the equal/member builtins: not when some builtin is mocked by `with`
  lastMask = 0;
  if (rules.length < 4 || ev.st.mocks !== null) return rules;
  let ix = (rules as Indexed).index;
  if (ix === undefined) {
    ix = buildIndex(rules);
    Object.defineProperty(rules, 'index', { value: ix, enumerable: false, writable: false });
  }
  if (ix === null) return rules;
  const c = candidates(ix, ev.st.input) as Candidates;
  lastMask = ix.path.length > 0 && ix.path[0] !== '' ? rootBit(ix.path[0]) : rootBit(undefined);
  let out = c.rules;
  if (out === undefined) {
    out = c.map((i) => rules[i]!);
    Object.defineProperty(c, 'rules', { value: out, enumerable: false, writable: false });
  }
  return out;
}

// evalComplete and evalSets create no closure: the continuations of the general evaluator live
// in completeGeneral and setGeneral, so that their own locals stay on the stack

function evalComplete(ev: Evaluator, node: RuleNode, masks = true): Value | undefined {
  let result: Value | undefined;
  const outer = ev.rule;
  const rules = select(ev, node.complete);
  // effective roots (effective.ts): all the node's roots when none rules out keeping, else the tried clauses'
  const stop = masks ? hopeless(ev) : 0;
  const all = staticMask(ev, node);
  const exact = (all & stop) !== 0;
  let mask = exact ? lastMask : all;
  try {
    for (let j = 0; j < rules.length; j++) {
      const r = rules[j]!;
      // a rule skipped here could only give the same value: what it reads does not count
      if (result !== undefined && r.constValue !== undefined && equal(result, r.constValue)) continue;
      ev.rule = r;
      result = completeRule(ev, node, r, result);
      if (exact && (mask & stop) === 0) mask |= triedMask(ev, r, lastTried, stop);
    }
  } finally {
    ev.rule = outer;
  }
  if (result === undefined && node.defaultRule !== undefined) {
    result = defaultValue(ev, node);
    if (exact) mask |= clauseMask(ev, defaultDeps(node.defaultRule, ev.root), stop);
  }
  lastMask = mask;
  return result;
}

/** the last clause completeRule tried (set right before it returns) */
let lastTried = 0;

/** prior combined with the value of r's first clause (body, then else clauses) that has one */
function completeRule(ev: Evaluator, node: RuleNode, r: CRule, prior: Value | undefined): Value | undefined {
  const g = guardOf(r);
  const check = g === null ? GUARD_UNKNOWN : guardCheck(ev, g);
  const from = check === GUARD_FAILS ? 1 : 0;
  lastTried = r.elses.length;
  if (from > r.elses.length) return prior;
  const f = frameFor(r);
  const clauses = clausesOf(r);
  const noWith = ev.st.shadow === null && ev.st.mocks === null;
  for (let c = from; c < clauses.length; c++) {
    const cl = clauses[c]!;
    // a body whose guard passed goes on from its second expression (the first is the guard's test)
    const start = c === 0 && check === GUARD_PASSES ? 1 : 0;
    const run = noWith ? clauseRun(cl, start, false) : null;
    let out: Value | undefined | typeof NOT_FOUND;
    if (run !== null) out = run(ev, f, null);
    else {
      const i = runSteps(ev, cl.steps, start, f);
      if (i < 0) continue;
      const v = i === cl.body.length ? quickClauseValue(ev, cl, f) : GENERAL;
      out = v !== GENERAL ? v : completeGeneral(ev, node, r, cl, i, f, prior);
      if (cl.steps.binds) clearBinds(cl.steps, 0, i, f);
    }
    if (out === undefined || out === NOT_FOUND) continue;
    if (prior !== undefined && out !== prior && !equal(prior, out)) throw conflict(node, r.loc, false);
    lastTried = c;
    return out;
  }
  lastTried = r.elses.length;
  return prior;
}

const NOT_FOUND: unique symbol = Symbol('not found');

/** the clause from expression i on through the general evaluator: its value(s) combined with prior */
function completeGeneral(ev: Evaluator, node: RuleNode, r: CRule, cl: QuickClause, i: number, f: Frame, prior: Value | undefined): Value | typeof NOT_FOUND {
  let result = prior;
  let found = false;
  ev.evalBody(cl.body, i, f, () =>
    ev.evalTerm(cl.value, f, (v) => {
      found = true;
      if (result === undefined) result = v;
      else if (!equal(result, v)) throw conflict(node, r.loc, false);
      return r.constValue !== undefined;
    }),
  );
  return found ? result! : NOT_FOUND;
}

function evalSets(ev: Evaluator, node: RuleNode): Value {
  const out = new RSet();
  const outer = ev.rule;
  const all = select(ev, node.sets);
  const mask = lastMask;
  const noWith = ev.st.shadow === null && ev.st.mocks === null;
  // rules ruled out by carried values earlier in this carry epoch are left out (skips.ts)
  const skips = noWith ? skipsOf(ev, all) : null;
  const rules = skips === null ? all : skips.rules;
  const noted: number[] | null = skips === null && noWith && ev.st.carryGen !== -1 ? [] : null;
  const keyedRules = noWith && ev.stable !== null && ev.st.carryGen !== -1;
  let notedMask = 0;
  try {
    for (let j = 0; j < rules.length; j++) {
      const r = rules[j]!;
      const g = guardOf(r);
      const check = g === null ? GUARD_UNKNOWN : guardCheck(ev, g);
      if (check === GUARD_FAILS) {
        if (noted !== null) {
          const m = carriedFailure(ev, g!);
          if (m >= 0) {
            noted.push(j);
            notedMask |= m;
          }
        }
        continue;
      }
      ev.rule = r;
      // the members the rule added for the same input members it can observe (keyed.ts)
      const rk = keyedRules ? ruleKeyedOf(ev, r) : null;
      if (rk !== null && worthTrying(rk)) {
        const kv = keyedValue(ev, rk);
        if (kv !== NOT_KEYED) {
          const added = kv as readonly Value[];
          for (let m = 0; m < added.length; m++) out.add(added[m]!);
          continue;
        }
        const own = new RSet();
        setRule(ev, r, check, noWith, own);
        const added = own.values();
        keepKeyed(ev, rk, added, 0);
        for (let m = 0; m < added.length; m++) out.add(added[m]!);
        continue;
      }
      setRule(ev, r, check, noWith, out);
    }
  } finally {
    ev.rule = outer;
  }
  if (noted !== null) noteSkips(ev, all, noted, notedMask);
  lastMask = mask | setsMask(ev, node, rules) | (skips === null ? 0 : skips.mask);
  return out;
}

/** the members one set rule adds to out (its guard checked: GUARD_PASSES or GUARD_UNKNOWN) */
function setRule(ev: Evaluator, r: CRule, check: number, noWith: boolean, out: RSet): void {
  const f = frameFor(r);
  const cl = clausesOf(r)[0]!;
  const start = check === GUARD_PASSES ? 1 : 0;
  const run = noWith ? clauseRun(cl, start, true) : null;
  if (run !== null) {
    run(ev, f, out);
    return;
  }
  const i = runSteps(ev, cl.steps, start, f);
  if (i < 0) return;
  const v = i === cl.body.length ? quickClauseValue(ev, cl, f) : GENERAL;
  if (v === GENERAL) setGeneral(ev, cl, i, f, out);
  else if (v !== undefined) out.add(v);
  if (cl.steps.binds) clearBinds(cl.steps, 0, i, f);
}

function setGeneral(ev: Evaluator, cl: QuickClause, i: number, f: Frame, out: RSet): void {
  ev.evalBody(cl.body, i, f, () => ev.evalTerm(cl.value, f, (v) => (out.add(v), false)));
}

function evalObjects(ev: Evaluator, node: RuleNode): Value {
  const out = new RObject();
  const owned = new WeakSet<object>();
  for (const r of select(ev, node.objects)) {
    const f: Frame = new Array(r.nslots);
    evalClausesKeyed(ev, r, f, (keys, v) => {
      insertPath(out, keys, v, node, r, r.setElem !== undefined, owned);
      return false;
    });
  }
  lastMask = staticMask(ev, node);
  return out;
}

function evalClausesKeyed(ev: Evaluator, r: CRule, f: Frame, emit: (keys: Value[], v: Value) => boolean): boolean {
  const outer = ev.rule;
  ev.rule = r;
  try {
    return evalClausesKeyedIn(ev, r, f, emit);
  } finally {
    ev.rule = outer;
  }
}

function evalClausesKeyedIn(ev: Evaluator, r: CRule, f: Frame, emit: (keys: Value[], v: Value) => boolean): boolean {
  let found = false;
  const run = (body: CRule['body'], value: CRule['value']) =>
    ev.evalBody(body, 0, f, () =>
      ev.evalItems(r.keyPath, f, (keys) =>
        ev.evalTerm(r.setElem ?? value, f, (v) => {
          found = true;
          return emit(keys, v);
        }),
      ),
    );
  let stop = run(r.body, r.value);
  if (found || stop) return stop;
  for (const e of r.elses) {
    stop = run(e.body, e.value);
    if (found || stop) return stop;
  }
  return false;
}

/** calls a user function with argument values */
export function evalFunc(ev: Evaluator, node: RuleNode, args: Value[]): Value | undefined {
  let result: Value | undefined;
  enter('calling', node);
  try {
    for (const r of node.funcs) {
      if (result !== undefined && r.constValue !== undefined && equal(result, r.constValue)) continue;
      const f: Frame = new Array(r.nslots);
      const params = r.args!;
      const bind = (i: number): boolean => {
        if (i === params.length) {
          return evalClauses(ev, r, f, (v) => {
            if (result === undefined) result = v;
            else if (!equal(result, v)) throw conflict(node, r.loc, true);
            return r.constValue !== undefined;
          });
        }
        return ev.unifyValue(params[i]!, args[i]!, f, () => bind(i + 1));
      };
      bind(0);
    }
  } finally {
    depth--;
  }
  if (result === undefined && node.defaultRule) {
    const d = node.defaultRule;
    const f: Frame = new Array(d.nslots);
    ev.evalTerm(d.value, f, (v) => ((result = v), true));
  }
  return result;
}
