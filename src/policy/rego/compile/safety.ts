/**
 * Safety analysis and body reordering: every variable must be bound before it is used. Each
 * expression gets the slots it needs bound and the slots it can bind; expressions are scheduled in
 * source order except when a later one must bind a variable first (as OPA reorders bodies).
 */
import type { Expr, Term } from '../ast/types.js';
import { fail } from './errors.js';

interface VarInfo {
  needs: Set<number>;
  binds: Set<number>;
}

function add(set: Set<number>, slot: number) {
  if (slot >= 0) set.add(slot);
}

/** vars of t: in pattern position (vars, array items, object values) they bind, otherwise need */
export function termVars(t: Term, pattern: boolean, vi: VarInfo): void {
  switch (t.t) {
    case 'const':
      return;
    case 'var':
      add(pattern ? vi.binds : vi.needs, t.slot);
      return;
    case 'ref':
      if (t.head.t === 'var') add(vi.needs, t.head.slot);
      else termVars(t.head, false, vi);
      for (const p of t.path) termVars(p, true, vi);
      return;
    case 'array':
      for (const i of t.items) termVars(i, pattern, vi);
      return;
    case 'object':
      for (const k of t.keys) termVars(k, false, vi);
      for (const v of t.values) termVars(v, pattern, vi);
      return;
    case 'set':
      for (const i of t.items) termVars(i, false, vi);
      return;
    case 'call': {
      // plain var operands may be bound by ref paths among the operands (x == a[x])
      const inner: VarInfo = { needs: new Set(), binds: new Set() };
      for (const a of t.args) termVars(a, false, inner);
      for (const s of inner.needs) if (!inner.binds.has(s)) vi.needs.add(s);
      for (const s of inner.binds) vi.binds.add(s);
      return;
    }
    case 'arraycompr':
    case 'setcompr':
    case 'objectcompr': {
      const inner: VarInfo = { needs: new Set(), binds: new Set() };
      for (const e of t.body) exprVars(e, inner);
      if (t.t === 'objectcompr') {
        termVars(t.key, false, inner);
        termVars(t.value, false, inner);
      } else termVars(t.head, false, inner);
      for (const s of [...inner.needs, ...inner.binds]) if (s < t.lo! || s >= t.hi!) vi.needs.add(s);
      return;
    }
    case 'template':
      for (const p of t.parts) {
        if (typeof p === 'string') continue;
        const inner: VarInfo = { needs: new Set(), binds: new Set() };
        exprVars(p, inner);
        for (const s of [...inner.needs, ...inner.binds]) if (s < t.lo! || s >= t.hi!) vi.needs.add(s);
      }
      return;
  }
}

export function exprVars(e: Expr, vi: VarInfo): void {
  const local: VarInfo = e.negated ? { needs: new Set(), binds: new Set() } : vi;
  switch (e.kind) {
    case 'term': {
      const t = e.term!;
      if (t.t === 'call' && e.output) {
        for (let i = 0; i < t.args.length - 1; i++) termVars(t.args[i]!, false, local);
        termVars(t.args[t.args.length - 1]!, true, local);
      } else termVars(t, false, local);
      break;
    }
    case 'unify':
      termVars(e.left!, true, local);
      termVars(e.right!, true, local);
      break;
    case 'assign':
      termVars(e.left!, true, local);
      termVars(e.right!, false, local);
      break;
    case 'some':
      break;
    case 'somein':
      if (e.key) termVars(e.key, true, local);
      termVars(e.value!, true, local);
      termVars(e.domain!, false, local);
      break;
    case 'every': {
      termVars(e.domain!, false, local);
      const inner: VarInfo = { needs: new Set(), binds: new Set() };
      for (const b of e.body!) exprVars(b, inner);
      for (const s of [...inner.needs, ...inner.binds]) if (s < e.lo! || s >= e.hi!) local.needs.add(s);
      break;
    }
  }
  for (const w of e.withs) termVars(w.value, false, local);
  if (e.negated) {
    for (const s of local.needs) vi.needs.add(s);
    // vars bound inside a negation are only visible inside it; they need binding only if used elsewhere
    for (const s of local.binds) vi.negBinds?.add(s);
  }
}

interface VarInfo {
  negBinds?: Set<number>;
}

/** a pure pattern side (var / array / object of patterns) whose vars are not all bound */
function unboundPattern(t: Term, bound: Set<number>): boolean {
  switch (t.t) {
    case 'var':
      return t.slot >= 0 && !bound.has(t.slot);
    case 'array':
      return t.items.some((i) => unboundPattern(i, bound));
    case 'object':
      return t.values.some((v) => unboundPattern(v, bound));
    default:
      return false;
  }
}

function patternSlots(t: Term, out: Set<number>): void {
  if (t.t === 'var') {
    if (t.slot >= 0) out.add(t.slot);
  } else if (t.t === 'array') t.items.forEach((i) => patternSlots(i, out));
  else if (t.t === 'object') t.values.forEach((v) => patternSlots(v, out));
}

/** can a = b be solved with the vars in bound (as the evaluator does: pair by pair, in any order) */
function unifiable(a: Term, b: Term, bound: Set<number>): boolean {
  if (!unboundPattern(a, bound) || !unboundPattern(b, bound)) return true;
  let pairs: [Term, Term][];
  if (a.t === 'array' && b.t === 'array' && a.items.length === b.items.length) {
    pairs = a.items.map((x, i) => [x, b.items[i]!]);
  } else if (a.t === 'object' && b.t === 'object' && a.keys.length === b.keys.length) {
    return true;
  } else return false;
  const local = new Set(bound);
  while (pairs.length > 0) {
    const i = pairs.findIndex(([x, y]) => unifiable(x, y, local));
    if (i < 0) return false;
    const [x, y] = pairs[i]!;
    patternSlots(x, local);
    patternSlots(y, local);
    pairs = pairs.filter((_, j) => j !== i);
  }
  return true;
}

function varName(body: Expr[], slot: number): string {
  let name = '';
  const visit = (t: Term | undefined): void => {
    if (!t || name) return;
    if (t.t === 'var' && t.slot === slot) name = t.name;
    else if (t.t === 'ref') {
      visit(t.head);
      t.path.forEach(visit);
    } else if (t.t === 'array' || t.t === 'set') t.items.forEach(visit);
    else if (t.t === 'object') {
      t.keys.forEach(visit);
      t.values.forEach(visit);
    } else if (t.t === 'call') t.args.forEach(visit);
    else if (t.t === 'arraycompr' || t.t === 'setcompr') {
      visit(t.head);
      t.body.forEach(ve);
    } else if (t.t === 'objectcompr') {
      visit(t.key);
      visit(t.value);
      t.body.forEach(ve);
    } else if (t.t === 'template') t.parts.forEach((p) => typeof p !== 'string' && ve(p));
  };
  const ve = (e: Expr): void => {
    [e.term, e.left, e.right, e.key, e.value, e.domain].forEach(visit);
    e.withs.forEach((w) => visit(w.value));
    e.body?.forEach(ve);
  };
  body.forEach(ve);
  return name || `$${slot}`;
}

/**
 * Reorders body so that every expression's needed vars are bound first. `bound` holds the slots
 * bound on entry and is updated with what the body binds. Throws "var x is unsafe" otherwise.
 */
export function reorderBody(body: Expr[], bound: Set<number>): Expr[] {
  const infos = body.map((e) => {
    const vi: VarInfo = { needs: new Set(), binds: new Set(), negBinds: new Set() };
    exprVars(e, vi);
    return vi;
  });
  // a negated expression binds nothing: its variables must be bound before it (wildcards excepted)
  infos.forEach((vi, i) => {
    for (const s of vi.negBinds!) if (varName([body[i]!], s) !== '_') vi.needs.add(s);
  });
  const out: Expr[] = [];
  const done = new Array<boolean>(body.length).fill(false);
  for (let n = 0; n < body.length; n++) {
    let picked = -1;
    for (let i = 0; i < body.length; i++) {
      if (done[i]) continue;
      const vi = infos[i]!;
      let ok = true;
      for (const s of vi.needs) if (!bound.has(s)) ok = false;
      const e = body[i]!;
      if (ok && e.kind === 'unify' && !e.negated) ok = unifiable(e.left!, e.right!, bound);
      if (ok) {
        picked = i;
        break;
      }
    }
    if (picked < 0) {
      for (let i = 0; i < body.length; i++) {
        if (done[i]) continue;
        for (const s of infos[i]!.needs) if (!bound.has(s)) fail(body[i]!.loc, `rego_unsafe_var_error: var ${varName(body, s)} is unsafe`);
        const e = body[i]!;
        for (const s of infos[i]!.binds) if (!bound.has(s)) fail(e.loc, `rego_unsafe_var_error: var ${varName(body, s)} is unsafe`);
      }
      fail(body[0]!.loc, 'unsafe expression');
    }
    done[picked] = true;
    out.push(body[picked]!);
    for (const s of infos[picked]!.binds) bound.add(s);
  }
  return out;
}
