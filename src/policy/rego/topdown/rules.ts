/** Rule evaluation: complete rules (with else and default), partial sets and objects, functions. */
import { RObject, RSet, equal, type Value } from '../value/index.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import type { Expr, Loc, Term } from '../ast/types.js';
import type { Evaluator } from './eval.js';
import { RegoEvalError } from './errors.js';
import { UNDEF, type Frame } from './state.js';
import { buildIndex, candidates, type RuleIndex } from './ruleindex.js';
import { keep, keepable, keptValue, NOT_KEPT } from './static.js';
import { evalSingle, isSingle, testPrefix } from './single.js';

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
  return evalClausesFrom(ev, r, 0, 0, f, emit);
}

/** clauses from number c on (0: the body, then the else clauses), the first one from expression i */
function evalClausesFrom(ev: Evaluator, r: CRule, c: number, i: number, f: Frame, emit: (v: Value) => boolean): boolean {
  let found = false;
  const em = (v: Value): boolean => {
    found = true;
    return emit(v);
  };
  for (; c <= r.elses.length; c++) {
    const cl = c === 0 ? r : r.elses[c - 1]!;
    const stop = clause(ev, cl.body, cl.value, f, em, i);
    if (found || stop) return stop;
    i = 0;
  }
  return false;
}

/** one body and its value: leading tests and a single-valued value need no continuation */
function clause(ev: Evaluator, body: Expr[], value: Term, f: Frame, emit: (v: Value) => boolean, from: number): boolean {
  const i = testPrefix(ev, body, from, f);
  if (i < 0) return false;
  if (i === body.length && isSingle(ev, value, f)) {
    const v = evalSingle(ev, value, f);
    return v === undefined ? false : emit(v);
  }
  return ev.evalBody(body, i, f, () => ev.evalTerm(value, f, emit));
}

/** frame of a rule without variables (never written) */
const NO_SLOTS: Frame = [];

function frameFor(r: CRule): Frame {
  return r.nslots === 0 ? NO_SLOTS : new Array(r.nslots);
}

function conflict(node: RuleNode, loc: Loc, fn: boolean): RegoEvalError {
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

let depth = 0;

/** value of the rules defined at node (cached per query; input-free nodes across queries) */
export function nodeRuleValue(ev: Evaluator, node: RuleNode): Value | undefined {
  if (node.cacheGen === ev.st.gen) {
    const c = node.cacheVal;
    return c === UNDEF ? undefined : (c as Value);
  }
  const keeps = keepable(ev, node);
  const old = keeps !== null ? keptValue(ev, keeps) : NOT_KEPT;
  if (old !== NOT_KEPT) {
    node.cacheGen = ev.st.gen;
    node.cacheVal = old;
    return old === UNDEF ? undefined : (old as Value);
  }
  if (++depth > 2000) {
    depth = 0;
    throw new RegoEvalError('eval_internal_error', `stack overflow evaluating ${node.name}`);
  }
  let v: Value | undefined;
  try {
    if (node.sets.length) v = evalSets(ev, node);
    else if (node.objects.length) v = evalObjects(ev, node);
    else v = evalComplete(ev, node);
  } finally {
    depth--;
  }
  node.cacheGen = ev.st.gen;
  node.cacheVal = v === undefined ? UNDEF : v;
  if (keeps !== null) keep(ev, keeps, node.cacheVal);
  return v;
}

interface Selector {
  ix: RuleIndex | null;
  /** rule lists per candidate index list (shared, never mutated) */
  lists: WeakMap<number[], CRule[]>;
}

const indexes = new WeakMap<readonly CRule[], Selector>();

/** the rules of a list that may match the current input (rule indexing) */
function select(ev: Evaluator, rules: readonly CRule[]): readonly CRule[] {
  // the index assumes the equal/member builtins: not when some builtin is mocked by `with`
  if (rules.length < 4 || ev.st.mocks !== null) return rules;
  let sel = indexes.get(rules);
  if (sel === undefined) {
    sel = { ix: buildIndex(rules), lists: new WeakMap() };
    indexes.set(rules, sel);
  }
  if (sel.ix === null) return rules;
  const c = candidates(sel.ix, ev.st.input);
  let out = sel.lists.get(c);
  if (out === undefined) {
    out = c.map((i) => rules[i]!);
    sel.lists.set(c, out);
  }
  return out;
}

/** where quickValue stopped: the clause and expression the general evaluator continues from */
let pendingClause = 0;
let pendingExpr = 0;
const PENDING: unique symbol = Symbol('pending');

/**
 * the value of a rule's clauses in order while each one is tests and a single-valued value (no
 * continuations); PENDING when a clause needs the general evaluator (see pendingClause/Expr)
 */
function quickValue(ev: Evaluator, r: CRule, f: Frame): Value | undefined | typeof PENDING {
  for (let c = 0; c <= r.elses.length; c++) {
    const cl = c === 0 ? r : r.elses[c - 1]!;
    const body = cl.body;
    const i = testPrefix(ev, body, 0, f);
    if (i < 0) continue;
    if (i === body.length && isSingle(ev, cl.value, f)) {
      const v = evalSingle(ev, cl.value, f);
      if (v !== undefined) return v;
      continue;
    }
    pendingClause = c;
    pendingExpr = i;
    return PENDING;
  }
  return undefined;
}

function evalComplete(ev: Evaluator, node: RuleNode): Value | undefined {
  let result: Value | undefined;
  const outer = ev.rule;
  try {
    for (const r of select(ev, node.complete)) {
      if (result !== undefined && r.constValue !== undefined && equal(result, r.constValue)) continue;
      const f = frameFor(r);
      ev.rule = r;
      const v = quickValue(ev, r, f);
      if (v === PENDING) {
        evalClausesFrom(ev, r, pendingClause, pendingExpr, f, (v) => {
          if (result === undefined) result = v;
          else if (!equal(result, v)) throw conflict(node, r.loc, false);
          return r.constValue !== undefined;
        });
      } else if (v !== undefined) {
        if (result === undefined) result = v;
        else if (!equal(result, v)) throw conflict(node, r.loc, false);
      }
    }
  } finally {
    ev.rule = outer;
  }
  return result === undefined ? defaultValue(ev, node) : result;
}

function evalSets(ev: Evaluator, node: RuleNode): Value {
  const out = new RSet();
  const outer = ev.rule;
  try {
    for (const r of select(ev, node.sets)) {
      ev.rule = r;
      const f = frameFor(r);
      const body = r.body;
      const i = testPrefix(ev, body, 0, f);
      if (i < 0) continue;
      const elem = r.keyPath[0]!;
      if (i === body.length && isSingle(ev, elem, f)) {
        const v = evalSingle(ev, elem, f);
        if (v !== undefined) out.add(v);
        continue;
      }
      ev.evalBody(body, i, f, () => ev.evalTerm(elem, f, (v) => (out.add(v), false)));
    }
  } finally {
    ev.rule = outer;
  }
  return out;
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
  for (const r of node.complete) void r;
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

function insertPath(out: RObject, keys: Value[], v: Value, node: RuleNode, r: CRule, multi: boolean, owned: WeakSet<object>): void {
  let o = out;
  for (let j = 0; j < keys.length - 1; j++) {
    let c = o.get(keys[j]!);
    if (c === undefined) {
      c = new RObject();
      owned.add(c);
      o.set(keys[j]!, c);
    } else if (!(c instanceof RObject)) throw conflict(node, r.loc, false);
    else if (!owned.has(c)) {
      // a value produced by a rule (maybe a shared constant): copy before adding to it
      const copy = new RObject();
      for (const k of c.keys()) copy.set(k, c.get(k)!);
      owned.add(copy);
      o.set(keys[j]!, copy);
      c = copy;
    }
    o = c;
  }
  const last = keys[keys.length - 1]!;
  const old = o.get(last);
  if (multi) {
    if (old === undefined) {
      const s = RSet.of(v);
      owned.add(s);
      o.set(last, s);
    } else if (old instanceof RSet) {
      if (owned.has(old)) old.add(v);
      else {
        const s = RSet.of(...old.values(), v);
        owned.add(s);
        o.set(last, s);
      }
    }
    else throw conflict(node, r.loc, false);
    return;
  }
  if (old !== undefined && !equal(old, v)) {
    if (keys.length === 1) throw new RegoEvalError('eval_conflict_error', 'object keys must be unique', r.loc);
    throw conflict(node, r.loc, false);
  }
  o.set(last, v);
}

/** calls a user function with argument values */
export function evalFunc(ev: Evaluator, node: RuleNode, args: Value[]): Value | undefined {
  let result: Value | undefined;
  if (++depth > 2000) {
    depth = 0;
    throw new RegoEvalError('eval_internal_error', `stack overflow calling ${node.name}`);
  }
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
