/** The `with` keyword: replaces input, data paths, functions or builtins for one expression. */
import type { Expr, With } from '../ast/types.js';
import { RObject, isObject, objForEach, type Value } from '../value/index.js';
import type { CallTarget } from '../compile/compiler.js';
import type { Evaluator } from './eval.js';
import { nextGen, type EvalState, type Frame, type K, type Mock } from './state.js';

/** resolved by the compiler onto each With */
export type WithInfo =
  | { kind: 'input'; path: string[] }
  | { kind: 'data'; path: string[] }
  | { kind: 'mock'; key: string; fn?: CallTarget };

export function upsert(doc: Value | undefined, path: readonly string[], v: Value, i = 0): Value {
  if (i === path.length) return v;
  const out = new RObject();
  if (doc !== undefined && isObject(doc)) objForEach(doc, (k, val) => void out.set(k, val));
  const key = path[i]!;
  out.set(key, upsert(out.get(key), path, v, i + 1));
  return out;
}

export function evalWith(ev: Evaluator, e: Expr, f: Frame, k: K, inner?: () => boolean): boolean {
  const saved = ev.st;
  const next: EvalState = { ...saved, gen: nextGen(), carryGen: -1 };
  const ok = applyWiths(ev, e.withs, 0, f, next, () => {
    ev.st = next;
    try {
      if (inner) return inner();
      return ev.evalExprNoWith(e, f, () => {
        const mine = ev.st;
        ev.st = saved;
        try {
          return k();
        } finally {
          ev.st = mine;
        }
      });
    } finally {
      ev.st = saved;
    }
  });
  return ok;
}

function applyWiths(ev: Evaluator, withs: With[], i: number, f: Frame, st: EvalState, run: () => boolean): boolean {
  if (i === withs.length) return run();
  const w = withs[i]!;
  const info = (w as With & { info: WithInfo }).info;
  if (info.kind === 'mock' && info.fn) {
    st.mocks = new Map(st.mocks ?? []);
    st.mocks.set(info.key, { fn: info.fn } as Mock);
    return applyWiths(ev, withs, i + 1, f, st, run);
  }
  // the value is evaluated in the state outside the with
  let value: Value | undefined;
  ev.evalTerm(w.value, f, (v) => ((value = v), true));
  if (value === undefined) return false;
  if (info.kind === 'input') st.input = info.path.length ? upsert(st.input, info.path, value) : value;
  else if (info.kind === 'data') {
    st.data = upsert(st.data, info.path, value);
    st.shadow = [...(st.shadow ?? []), ['data', ...info.path].join('.')];
  } else {
    st.mocks = new Map(st.mocks ?? []);
    st.mocks.set(info.key, { value });
  }
  return applyWiths(ev, withs, i + 1, f, st, run);
}
