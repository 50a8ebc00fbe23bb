/** Function calls: builtins (with error handling and `with` mocks), user functions, print, walk. */
import type { CallTerm } from '../ast/types.js';
import { formatRaw, RObject, RSet, isObject, objForEach, type Value } from '../value/index.js';
import { BuiltinError } from '../builtins/registry.js';
import type { CallTarget } from '../compile/compiler.js';
import type { Evaluator } from './eval.js';
import { RegoEvalError } from './errors.js';
import { evalFunc } from './ruleeval.js';
import { nextGen, type Frame, type VK } from './state.js';

export function evalCall(ev: Evaluator, t: CallTerm, nIn: number, f: Frame, k: VK): boolean {
  const target = t.target as CallTarget;
  if (target.kind === 'builtin' && target.def.name === 'print' && ev.st.mocks === null) return doPrint(ev, t, f, k);
  const inputs = nIn === t.args.length ? t.args : t.args.slice(0, nIn);
  return ev.evalItems(inputs, f, (vals) => invoke(ev, target, vals, t, k));
}

export function invoke(ev: Evaluator, target: CallTarget, vals: Value[], t: CallTerm, k: VK): boolean {
  const mocks = ev.st.mocks;
  if (mocks !== null) {
    const m = mocks.get(target.name);
    if (m !== undefined) {
      if ('value' in m) return k(m.value);
      // inside a replacement no replacement applies: it calls the originals (as OPA does)
      const saved = ev.st;
      ev.st = { ...saved, mocks: null, gen: nextGen(), carryGen: -1 };
      let r: Value | undefined;
      try {
        r = callTarget(ev, m.fn, vals, t);
      } finally {
        ev.st = saved;
      }
      return r === undefined ? false : k(r);
    }
  }
  if (target.kind === 'builtin' && target.def.name === 'walk') return walk(vals[0]!, [], k);
  const r = callTarget(ev, target, vals, t);
  return r === undefined ? false : k(r);
}

/** calls a function or builtin once; undefined when undefined (or a non-strict builtin error) */
export function callTarget(ev: Evaluator, target: CallTarget, vals: Value[], t: CallTerm): Value | undefined {
  if (target.kind === 'func') return evalFunc(ev, target.node, vals);
  const def = target.def;
  if (def.name === 'print') {
    ev.opts.ctx.print(vals.map(formatRaw).join(' '));
    return true;
  }
  if (def.name === 'rego.metadata.rule' || def.name === 'rego.metadata.chain') {
    const meta = ev.rule?.meta;
    if (def.name === 'rego.metadata.rule') return meta?.rule ?? new RObject();
    return meta?.chain ?? (ev.rule ? [RObject.fromEntries([['path', ev.rule.node.path]])] : []);
  }
  let r: Value | undefined;
  try {
    r = def.fn(vals, ev.opts.ctx);
  } catch (e) {
    if (e instanceof BuiltinError) {
      if (ev.opts.strict || e.halt) throw new RegoEvalError(e.code, `${def.name}: ${e.message}`, t.loc, e.quotesNoValue ? undefined : def.name);
      return undefined;
    }
    if (e instanceof RegoEvalError) throw e;
    if (e instanceof RangeError) throw e;
    if (ev.opts.strict) throw new RegoEvalError('eval_builtin_error', `${def.name}: ${(e as Error).message}`, t.loc, def.name);
    return undefined;
  }
  return r;
}

function doPrint(ev: Evaluator, t: CallTerm, f: Frame, k: VK): boolean {
  const parts: string[] = [];
  for (const a of t.args) {
    const vals: Value[] = [];
    ev.evalTerm(a, f, (v) => (vals.push(v), false));
    parts.push(vals.length === 0 ? '<undefined>' : vals.map(formatRaw).join(' '));
  }
  ev.opts.ctx.print(parts.join(' '));
  return k(true);
}

function walk(v: Value, path: Value[], k: VK): boolean {
  if (k([path.slice(), v])) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      const stop = walk(v[i]!, path, k);
      path.pop();
      if (stop) return true;
    }
  } else if (v instanceof RSet) {
    for (const m of v.values()) {
      path.push(m);
      const stop = walk(m, path, k);
      path.pop();
      if (stop) return true;
    }
  } else if (isObject(v)) {
    let stop = false;
    objForEach(v, (key, val) => {
      path.push(key);
      stop = walk(val, path, k);
      path.pop();
      return stop;
    });
    return stop;
  }
  return false;
}
