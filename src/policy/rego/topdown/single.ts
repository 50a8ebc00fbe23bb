/**
 * Single-valued terms, evaluated by plain return instead of continuations. A term that cannot
 * enumerate (constants, bound locals, input, refs whose keys are constants or single-valued terms
 * into input, locals or rule values, builtin and function calls of such terms, composites of
 * them, comprehensions and template strings) has at most one value, so the evaluator computes it
 * directly: no closure per step, same order of evaluation and same errors as the general path.
 * Each term is compiled once into closures (its value, and the bindings and `with`-free state it
 * needs); isSingle() only checks those needs (it evaluates nothing), so a term that is not
 * single-valued in the current bindings is left to the general evaluator untouched. Bodies built
 * on them (tests and bindings without continuations): steps.ts.
 */
import type { RefTerm, Term } from '../ast/types.js';
import { RObject, RSet, type Value } from '../value/index.js';
import { directCall, member } from './direct.js';
import type { RuleNode } from '../compile/tree.js';
import type { CallTarget } from '../compile/compiler.js';
import { SLOT_DATA, SLOT_INPUT } from '../compile/scope.js';
import type { Evaluator } from './eval.js';
import { UNDEF, type Frame } from './state.js';
import { lookup, nodeValue } from './refs.js';
import { callTarget } from './calls.js';
import { nodeRuleValue } from './rules.js';

type ValFn = (ev: Evaluator, f: Frame) => Value | undefined;

/** a term compiled for direct evaluation: what it needs to be single-valued, and its value */
export interface Fast {
  /** never single-valued here (walk, data paths without a rule leaf, unresolved names) */
  never: boolean;
  /** local slots that must be bound */
  slots: number[];
  /** refers to rule values: not while `with data` is in force */
  rules: boolean;
  /** calls functions: not while a `with` mock is in force */
  calls: boolean;
  val: ValFn;
}

type Compiled<T> = T & { fast?: Fast };

/** the compiled form of t (made once per term: terms are immutable after compilation) */
export function fastOf(t: Term): Fast {
  const c = t as Compiled<Term>;
  let x = c.fast;
  if (x === undefined) {
    x = { never: false, slots: [], rules: false, calls: false, val: NONE };
    x.val = compile(t, x);
    c.fast = x;
  }
  return x;
}

const NONE: ValFn = () => undefined;

export function ready(ev: Evaluator, x: Fast, f: Frame): boolean {
  if (x.never) return false;
  if (x.rules || x.calls) {
    const st = ev.st;
    if ((x.rules && st.shadow !== null) || (x.calls && st.mocks !== null)) return false;
  }
  const s = x.slots;
  for (let i = 0; i < s.length; i++) if (f[s[i]!] === undefined) return false;
  return true;
}

/** true if t has at most one value in the current bindings (and evalSingle can compute it) */
export function isSingle(ev: Evaluator, t: Term, f: Frame): boolean {
  return ready(ev, fastOf(t), f);
}

/** the value of a term for which isSingle() holds (undefined when it is undefined) */
export function evalSingle(ev: Evaluator, t: Term, f: Frame): Value | undefined {
  return fastOf(t).val(ev, f);
}

function compileAll(ts: Term[], x: Fast): ValFn[] {
  return ts.map((t) => compile(t, x));
}

/** values of fns in order; undefined as soon as one is undefined */
function all(fns: ValFn[], ev: Evaluator, f: Frame): Value[] | undefined {
  const out = new Array<Value>(fns.length);
  for (let i = 0; i < fns.length; i++) {
    const v = fns[i]!(ev, f);
    if (v === undefined) return undefined;
    out[i] = v;
  }
  return out;
}

/** builtins that return a value computed from their operands and never keep the operand array */
const SCRATCH_ARGS = new Set([
  'equal', 'neq', 'lt', 'lte', 'gt', 'gte', 'internal.member_2', 'internal.member_3', 'count',
  'is_number', 'is_string', 'is_boolean', 'is_array', 'is_set', 'is_object', 'is_null',
  'startswith', 'endswith', 'contains', 'lower', 'upper', 'object.get',
]);

function compile(t: Term, x: Fast): ValFn {
  switch (t.t) {
    case 'const': {
      const v = t.v;
      return () => v;
    }
    case 'var': {
      const slot = t.slot;
      if (slot >= 0) {
        x.slots.push(slot);
        return (_ev, f) => f[slot];
      }
      if (slot === SLOT_INPUT) return (ev) => ev.st.input;
      x.never = true;
      return NONE;
    }
    case 'ref':
      return compileRef(t, x);
    case 'array': {
      const items = compileAll(t.items, x);
      return (ev, f) => all(items, ev, f);
    }
    case 'set': {
      const items = compileAll(t.items, x);
      return (ev, f) => {
        const vals = all(items, ev, f);
        if (vals === undefined) return undefined;
        const out = new RSet();
        for (let i = 0; i < vals.length; i++) out.add(vals[i]!);
        return out;
      };
    }
    case 'object': {
      const keys = compileAll(t.keys, x);
      const values = compileAll(t.values, x);
      return (ev, f) => {
        const ks = all(keys, ev, f);
        if (ks === undefined) return undefined;
        const vs = all(values, ev, f);
        if (vs === undefined) return undefined;
        const out = new RObject();
        for (let i = 0; i < ks.length; i++) out.set(ks[i]!, vs[i]!);
        return out;
      };
    }
    case 'call': {
      x.calls = true;
      const target = t.target as CallTarget;
      if (target.kind === 'builtin') {
        const name = target.def.name;
        if (name === 'print') return (ev, f) => captured(ev, t, f); // prints all values of its arguments once
        if (name === 'walk') {
          x.never = true;
          return NONE;
        }
      }
      const args = compileAll(t.args, x);
      if (target.kind === 'builtin') {
        const direct = directCall(target.def.name, t.args, args);
        if (direct !== undefined) return direct;
      }
      if (target.kind === 'builtin' && SCRATCH_ARGS.has(target.def.name)) {
        // operands in one array per call site: these builtins keep no reference to it, and a call
        // site is never re-entered while its operands are evaluated (Rego has no recursion)
        const vals = new Array<Value>(args.length);
        return (ev, f) => {
          for (let i = 0; i < args.length; i++) {
            const v = args[i]!(ev, f);
            if (v === undefined) return undefined;
            vals[i] = v;
          }
          return callTarget(ev, target, vals, t);
        };
      }
      return (ev, f) => {
        const vals = all(args, ev, f);
        return vals === undefined ? undefined : callTarget(ev, target, vals, t);
      };
    }
    default:
      // comprehensions and template strings: exactly one value
      return (ev, f) => captured(ev, t, f);
  }
}

function compileRef(t: RefTerm, x: Fast): ValFn {
  const h = t.head;
  let head: ValFn;
  let start = 0;
  if (h.t === 'var') {
    const slot = h.slot;
    if (slot >= 0) {
      x.slots.push(slot);
      head = (_ev, f) => f[slot];
    } else if (slot === SLOT_INPUT) head = (ev) => ev.st.input;
    else if (slot === SLOT_DATA && t.leaf !== undefined) {
      x.rules = true;
      const leaf = t.leaf as RuleNode;
      const plain = leaf.hasRules && leaf.children.size === 0;
      head = (ev) => {
        // a rule value this query already computed (ready() ensured no `with data` is in force)
        if (plain) {
          if (leaf.cacheGen !== ev.st.gen && leaf.cacheGen !== ev.st.carryGen) return nodeRuleValue(ev, leaf);
          const c = leaf.cacheVal;
          return c === UNDEF ? undefined : (c as Value);
        }
        return nodeValue(ev, leaf, undefined);
      };
      start = t.leafDepth!;
    } else {
      x.never = true;
      return NONE;
    }
  } else head = compile(h, x);
  const path = t.path.slice(start);
  if (path.every((p) => p.t === 'const')) {
    const keys = path.map((p) => (p as { v: Value }).v);
    if (keys.length === 0) return head;
    if (keys.every((k) => typeof k === 'string' && k !== '__proto__')) {
      const names = keys as string[];
      if (names.length === 1) {
        const k0 = names[0]!;
        return (ev, f) => member(head(ev, f), k0);
      }
      return (ev, f) => {
        let v = head(ev, f);
        for (let i = 0; i < names.length && v !== undefined; i++) v = member(v, names[i]!);
        return v;
      };
    }
    if (keys.length === 1) {
      const k0 = keys[0]!;
      return (ev, f) => {
        const v = head(ev, f);
        return v === undefined ? undefined : lookup(v, k0);
      };
    }
    return (ev, f) => {
      let v = head(ev, f);
      for (let i = 0; i < keys.length && v !== undefined; i++) v = lookup(v, keys[i]!);
      return v;
    };
  }
  const segs = compileAll(path, x);
  return (ev, f) => {
    let v = head(ev, f);
    for (let i = 0; i < segs.length && v !== undefined; i++) {
      const key = segs[i]!(ev, f);
      if (key === undefined) return undefined;
      v = lookup(v, key);
    }
    return v;
  };
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
