/**
 * Top-down evaluator: bodies, expressions, terms and unification in continuation-passing style
 * with backtracking (bindings live in per-rule frames and are undone when a continuation returns).
 */
import type { Expr, Term } from '../ast/types.js';
import { RObject, RSet, equal, formatRaw, isObject, objForEach, objGet, type Value } from '../value/index.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { SLOT_DATA, SLOT_INPUT } from '../compile/scope.js';
import { RegoEvalError } from './errors.js';
import { nextGen, type EvalOptions, type EvalState, type Frame, type K, type VK } from './state.js';
import { evalDataPath, evalPath, iterate, nodeValue } from './refs.js';

import { evalCall } from './calls.js';
import { evalWith } from './with.js';
import { evalSingle, isSingle } from './single.js';
import { clearBinds, runSteps, stepsOf } from './steps.js';
import { bindStep, NOT_FAST } from './bind.js';

export class Evaluator {
  st: EvalState;
  /** the rule being evaluated (rego.metadata.*) */
  rule: CRule | null = null;
  /** stable input roots (EvalOptions.stable), null when none */
  readonly stable: readonly string[] | null;
  /** rule values carried over from the last query (carry.ts), null when none */
  carry: unknown = null;
  constructor(
    readonly root: RuleNode,
    readonly opts: EvalOptions,
    input: Value | undefined,
    data: Value,
  ) {
    this.st = { input, data, shadow: null, gen: nextGen(), carryGen: -1, mocks: null };
    this.stable = opts.stable !== undefined && opts.stable.length > 0 ? opts.stable : null;
  }

  evalBody(body: Expr[], i: number, f: Frame, k: K): boolean {
    // tests and simple bindings run as steps, without a continuation each (steps.ts)
    const steps = stepsOf(body);
    const from = i;
    i = runSteps(this, steps, i, f);
    if (i < 0) return false;
    const r = i === body.length ? k() : this.evalFrom(body, i, f, k);
    if (steps.binds) clearBinds(steps, from, i, f);
    return r;
  }

  /** the body from expression i on, where the steps stopped */
  private evalFrom(body: Expr[], i: number, f: Frame, k: K): boolean {
    const e = body[i]!;
    if (e.withs.length === 0 && !e.negated) {
      const r = bindStep(this, body, i, f, k);
      if (r !== NOT_FAST) return r;
    }
    if (i === body.length - 1) return this.evalExpr(e, f, k);
    return this.evalExpr(e, f, () => this.evalBody(body, i + 1, f, k));
  }

  /** true if the body has at least one solution */
  bodyDefined(body: Expr[], f: Frame): boolean {
    return this.evalBody(body, 0, f, () => true);
  }

  evalExpr(e: Expr, f: Frame, k: K): boolean {
    if (e.withs.length > 0) return evalWith(this, e, f, k);
    return this.evalExprNoWith(e, f, k);
  }

  evalExprNoWith(e: Expr, f: Frame, k: K): boolean {
    if (e.negated) {
      if (this.evalExprInner(e, f, () => true)) return false;
      return k();
    }
    return this.evalExprInner(e, f, k);
  }

  private evalExprInner(e: Expr, f: Frame, k: K): boolean {
    switch (e.kind) {
      case 'term': {
        const t = e.term!;
        if (!e.output && isSingle(this, t, f)) {
          const v = evalSingle(this, t, f);
          return v === undefined || v === false ? false : k();
        }
        if (t.t === 'call') {
          if (e.output) {
            const out = t.args[t.args.length - 1]!;
            return evalCall(this, t, t.args.length - 1, f, (v) => this.unifyValue(out, v, f, k));
          }
          return evalCall(this, t, t.args.length, f, (v) => (v === false ? false : k()));
        }
        return this.evalTerm(t, f, (v) => (v === false ? false : k()));
      }
      case 'unify':
        return this.unify(e.left!, e.right!, f, k);
      case 'assign': {
        const r = e.right!;
        if (isSingle(this, r, f)) {
          const v = evalSingle(this, r, f);
          return v === undefined ? false : this.unifyValue(e.left!, v, f, k);
        }
        return this.evalTerm(r, f, (v) => this.unifyValue(e.left!, v, f, k));
      }
      case 'some':
        return k();
      case 'somein':
        return this.evalTerm(e.domain!, f, (coll) =>
          iterate(coll, (key, val) =>
            e.key ? this.unifyValue(e.key, key, f, () => this.unifyValue(e.value!, val, f, k)) : this.unifyValue(e.value!, val, f, k),
          ),
        );
      case 'every':
        return this.evalTerm(e.domain!, f, (coll) => {
          if (!Array.isArray(coll) && !isObject(coll) && !(coll instanceof RSet)) return false;
          let ok = true;
          const body = e.body!;
          const run = () => this.bodyDefined(body, f);
          iterate(coll, (key, val) => {
            const r = e.key
              ? this.unifyValue(e.key, key, f, () => this.unifyValue(e.value!, val, f, run))
              : this.unifyValue(e.value!, val, f, run);
            if (!r) ok = false;
            return !ok;
          });
          return ok ? k() : false;
        });
    }
  }

  /** enumerates the values of a term (refs with unbound vars and calls may yield several) */
  evalTerm(t: Term, f: Frame, k: VK): boolean {
    switch (t.t) {
      case 'const':
        return k(t.v);
      case 'var': {
        if (t.slot >= 0) {
          const v = f[t.slot];
          return v === undefined ? false : k(v);
        }
        if (t.slot === SLOT_INPUT) return this.st.input === undefined ? false : k(this.st.input);
        if (t.slot === SLOT_DATA) return evalDataPath(this, this.root, this.st.data, [], 0, f, k);
        throw new RegoEvalError('eval_internal_error', `unbound name ${t.name}`, t.loc);
      }
      case 'ref': {
        const h = t.head;
        if (h.t === 'var') {
          if (h.slot >= 0) {
            const v = f[h.slot];
            return v === undefined ? false : evalPath(this, v, t.path, 0, f, k);
          }
          if (h.slot === SLOT_INPUT) return this.st.input === undefined ? false : evalPath(this, this.st.input, t.path, 0, f, k);
          if (h.slot === SLOT_DATA) {
            if (t.leaf !== undefined && this.st.shadow === null) {
              const v = nodeValue(this, t.leaf as RuleNode, undefined);
              return v === undefined ? false : evalPath(this, v, t.path, t.leafDepth!, f, k);
            }
            return evalDataPath(this, this.root, this.st.data, t.path, 0, f, k);
          }
        }
        return this.evalTerm(h, f, (v) => evalPath(this, v, t.path, 0, f, k));
      }
      case 'array':
        return this.evalItems(t.items, f, (vals) => k(vals));
      case 'set':
        return this.evalItems(t.items, f, (vals) => k(RSet.of(...vals)));
      case 'object':
        return this.evalItems(t.keys, f, (keys) =>
          this.evalItems(t.values, f, (vals) => {
            const o = new RObject();
            for (let i = 0; i < keys.length; i++) o.set(keys[i]!, vals[i]!);
            return k(o);
          }),
        );
      case 'call':
        return evalCall(this, t, t.args.length, f, k);
      case 'arraycompr': {
        const out: Value[] = [];
        this.evalBody(t.body, 0, f, () => this.evalTerm(t.head, f, (v) => (out.push(v), false)));
        return k(out);
      }
      case 'setcompr': {
        const out = new RSet();
        this.evalBody(t.body, 0, f, () => this.evalTerm(t.head, f, (v) => (out.add(v), false)));
        return k(out);
      }
      case 'objectcompr': {
        const out = new RObject();
        this.evalBody(t.body, 0, f, () =>
          this.evalTerm(t.key, f, (key) =>
            this.evalTerm(t.value, f, (v) => {
              const old = out.get(key);
              if (old !== undefined && !equal(old, v)) throw new RegoEvalError('eval_conflict_error', 'object keys must be unique', t.loc);
              out.set(key, v);
              return false;
            }),
          ),
        );
        return k(out);
      }
      case 'template': {
        let s = '';
        for (const p of t.parts) {
          if (typeof p === 'string') {
            s += p;
            continue;
          }
          // every value of the part: none prints <undefined>, several distinct ones are an error
          const vals = new RSet();
          const term = p.term!;
          const get = (): boolean => this.evalTerm(term, f, (v) => (vals.add(v), false));
          if (p.withs.length > 0) evalWith(this, p, f, () => true, get);
          else get();
          if (vals.size > 1) throw new RegoEvalError('eval_conflict_error', 'template-strings must not produce multiple outputs', p.loc);
          const val = vals.size === 0 ? undefined : vals.values()[0];
          s += val === undefined ? '<undefined>' : formatRaw(val);
        }
        return k(s);
      }
    }
  }

  /** evaluates a list of terms (each possibly several times), calling k with each combination */
  evalItems(items: Term[], f: Frame, k: (vals: Value[]) => boolean): boolean {
    const n = items.length;
    const vals = new Array<Value>(n);
    // fast path: every item has at most one value
    let simple = true;
    for (let i = 0; i < n; i++) {
      if (!isSingle(this, items[i]!, f)) {
        simple = false;
        break;
      }
    }
    if (simple) {
      for (let i = 0; i < n; i++) {
        const v = evalSingle(this, items[i]!, f);
        if (v === undefined) return false;
        vals[i] = v;
      }
      return k(vals);
    }
    // unbound plain vars are evaluated last: refs among the items may bind them (x == a[x])
    let order: number[] | null = null;
    for (let i = 0; i < n; i++) {
      const it = items[i]!;
      if (it.t === 'var' && it.slot >= 0 && f[it.slot] === undefined) {
        order = [];
        for (let j = 0; j < n; j++) if (!(items[j]!.t === 'var' && f[(items[j] as { slot: number }).slot] === undefined)) order.push(j);
        for (let j = 0; j < n; j++) if (items[j]!.t === 'var' && f[(items[j] as { slot: number }).slot] === undefined) order.push(j);
        break;
      }
    }
    const step = (s: number): boolean => {
      if (s === n) return k(vals.slice());
      const i = order === null ? s : order[s]!;
      return this.evalTerm(items[i]!, f, (v) => {
        vals[i] = v;
        return step(s + 1);
      });
    };
    return step(0);
  }

  /** true if t is a pattern with unbound variables (var, or array/object containing one) */
  private hasUnbound(t: Term, f: Frame): boolean {
    switch (t.t) {
      case 'var':
        return t.slot >= 0 && f[t.slot] === undefined;
      case 'array':
        for (const i of t.items) if (this.hasUnbound(i, f)) return true;
        return false;
      case 'object':
        for (const v of t.values) if (this.hasUnbound(v, f)) return true;
        return false;
      default:
        return false;
    }
  }

  unify(a: Term, b: Term, f: Frame, k: K): boolean {
    if (!this.hasUnbound(a, f)) return this.evalTerm(a, f, (va) => this.unifyValue(b, va, f, k));
    if (!this.hasUnbound(b, f)) return this.evalTerm(b, f, (vb) => this.unifyValue(a, vb, f, k));
    if (a.t === 'array' && b.t === 'array') {
      if (a.items.length !== b.items.length) return false;
      return this.unifyPairs(a.items.map((x, i) => [x, b.items[i]!] as [Term, Term]), f, k);
    }
    if (a.t === 'object' && b.t === 'object' && a.keys.length === b.keys.length) {
      return this.evalItems(a.keys, f, (ka) =>
        this.evalItems(b.keys, f, (kb) => {
          const pairs: [Term, Term][] = [];
          for (let i = 0; i < ka.length; i++) {
            const j = kb.findIndex((x) => equal(x, ka[i]!));
            if (j < 0) return false;
            pairs.push([a.values[i]!, b.values[j]!]);
          }
          return this.unifyPairs(pairs, f, k);
        }),
      );
    }
    return false;
  }

  /** unifies pairs of terms, each as soon as one of its sides can be evaluated ([x, y] = [y, 1]) */
  private unifyPairs(pairs: [Term, Term][], f: Frame, k: K): boolean {
    if (pairs.length === 0) return k();
    for (let i = 0; i < pairs.length; i++) {
      const [a, b] = pairs[i]!;
      if (
        !this.hasUnbound(a, f) ||
        !this.hasUnbound(b, f) ||
        (a.t === 'array' && b.t === 'array') ||
        (a.t === 'object' && b.t === 'object')
      ) {
        const rest = pairs.length === 1 ? pairs : pairs.slice(0, i).concat(pairs.slice(i + 1));
        return this.unify(a, b, f, () => (pairs.length === 1 ? k() : this.unifyPairs(rest, f, k)));
      }
    }
    return false;
  }

  /** unifies term t (a pattern or any evaluable term) with value v */
  unifyValue(t: Term, v: Value, f: Frame, k: K): boolean {
    switch (t.t) {
      case 'var': {
        if (t.slot < 0) return this.evalTerm(t, f, (x) => equal(x, v) && k());
        const cur = f[t.slot];
        if (cur !== undefined) return equal(cur, v) ? k() : false;
        f[t.slot] = v;
        const r = k();
        f[t.slot] = undefined;
        return r;
      }
      case 'const':
        return equal(t.v, v) ? k() : false;
      case 'array': {
        if (!Array.isArray(v) || v.length !== t.items.length) return false;
        const step = (i: number): boolean => (i === v.length ? k() : this.unifyValue(t.items[i]!, v[i]!, f, () => step(i + 1)));
        return step(0);
      }
      case 'object': {
        if (!isObject(v)) return false;
        if (!this.hasUnbound(t, f)) return this.evalTerm(t, f, (x) => equal(x, v) && k());
        let size = 0;
        objForEach(v, () => void size++);
        if (size !== t.keys.length) return false;
        return this.evalItems(t.keys, f, (keys) => {
          const step = (i: number): boolean => {
            if (i === keys.length) return k();
            const child = objGet(v, keys[i]!);
            return child === undefined ? false : this.unifyValue(t.values[i]!, child, f, () => step(i + 1));
          };
          return step(0);
        });
      }
      default:
        return this.evalTerm(t, f, (x) => equal(x, v) && k());
    }
  }

  /** starts a new query: nothing cached before applies */
  fresh(): void {
    this.st.gen = nextGen();
  }
}
