/**
 * Variable resolution: assigns frame slots to local variables (scoped: rule, comprehension, every
 * bodies), and rewrites names of rules, imports, input and data into refs.
 */
import type { Expr, Loc, Term, VarTerm } from '../ast/types.js';
import { fail } from './errors.js';
import { lookupBuiltin } from '../builtins/registry.js';

export const SLOT_INPUT = -2;
export const SLOT_DATA = -3;
/** a builtin function named as a `with` value */
export const SLOT_FUNC = -4;

function dotted(t: Term): string | undefined {
  if (t.t !== 'ref' || t.head.t !== 'var') return undefined;
  let s = t.head.name;
  for (const p of t.path) {
    if (p.t !== 'const' || typeof p.v !== 'string') return undefined;
    s += '.' + p.v;
  }
  return s;
}

export interface Globals {
  /** import alias -> absolute path (e.g. ["data","x","y"] or ["input","a"]) */
  imports: Map<string, string[]>;
  /** first segments of rule names in the package -> package path */
  ruleNames: Set<string>;
  pkg: string[];
}

export class Scope {
  readonly vars = new Map<string, number>();
  /** names declared with := in this scope */
  readonly assigned = new Set<string>();
  constructor(
    readonly parent: Scope | null,
    readonly counter: { n: number },
  ) {}
  lookup(name: string): number | undefined {
    for (let s: Scope | null = this; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  declare(name: string): number {
    const slot = this.counter.n++;
    if (name !== '_') this.vars.set(name, slot);
    return slot;
  }
  child(): Scope {
    return new Scope(this, this.counter);
  }
}

function constStr(v: string, loc: Loc): Term {
  return { t: 'const', v, loc };
}

/** a global path as a ref term (input/data head) */
export function globalRef(path: string[], loc: Loc): Term {
  const head: VarTerm = { t: 'var', name: path[0]!, loc, slot: path[0] === 'input' ? SLOT_INPUT : SLOT_DATA };
  if (path.length === 1) return head;
  return { t: 'ref', head, path: path.slice(1).map((p) => constStr(p, loc)), loc };
}

export class Resolver {
  constructor(readonly g: Globals) {}

  /** global path for a name not bound locally, or undefined */
  globalPath(name: string): string[] | undefined {
    if (name === 'input' || name === 'data') return [name];
    const imp = this.g.imports.get(name);
    if (imp) return imp;
    if (this.g.ruleNames.has(name)) return ['data', ...this.g.pkg, name];
    return undefined;
  }

  /**
   * declares `some` names and the free names used at this level of a body. Names declared by `:=`
   * and `some .. in` are declared in source order by resolveBody (visible from their expression on).
   */
  declareBody(body: Expr[], scope: Scope): void {
    const later = new Set<string>();
    for (const e of body) {
      if (e.kind === 'some') {
        for (const v of e.vars!) {
          if (v.name !== '_' && scope.vars.has(v.name)) fail(v.loc, `rego_compile_error: var ${v.name} declared above`);
          scope.declare(v.name);
        }
      } else if (e.kind === 'assign') patternNames(e.left!, later);
      else if (e.kind === 'somein') {
        if (e.key) patternNames(e.key, later);
        patternNames(e.value!, later);
      }
    }
    for (const e of body) this.collectExpr(e, scope, later);
  }

  private declarePattern(t: Term, scope: Scope, assign: boolean): void {
    switch (t.t) {
      case 'var':
        if (t.name === '_') return;
        if (assign && scope.vars.has(t.name)) {
          fail(t.loc, `rego_compile_error: var ${t.name} ${scope.assigned.has(t.name) ? 'assigned' : 'referenced'} above`);
        }
        if (!scope.vars.has(t.name)) scope.declare(t.name);
        if (assign) scope.assigned.add(t.name);
        return;
      case 'array':
        for (const i of t.items) this.declarePattern(i, scope, assign);
        return;
      case 'object':
        for (const v of t.values) this.declarePattern(v, scope, assign);
        return;
      default:
        return;
    }
  }

  private collectExpr(e: Expr, scope: Scope, skip?: Set<string>): void {
    const c = (t: Term | undefined) => t && this.collectTerm(t, scope, skip);
    c(e.term);
    c(e.left);
    c(e.right);
    if (e.kind !== 'every') {
      c(e.key);
      c(e.value);
    }
    c(e.domain);
    for (const w of e.withs) if (!this.namesBuiltin(w.value, scope)) c(w.value);
  }

  /** a with value naming a builtin function (with f as count) */
  private namesBuiltin(t: Term, scope: Scope): boolean {
    const name = t.t === 'var' ? t.name : t.t === 'ref' ? dotted(t) : undefined;
    if (name === undefined) return false;
    const first = name.split('.')[0]!;
    return scope.lookup(first) === undefined && !this.globalPath(first) && lookupBuiltin(name) !== undefined;
  }

  /** declares free var names (not nested bodies) in this scope */
  collectTerm(t: Term, scope: Scope, skip?: Set<string>): void {
    switch (t.t) {
      case 'var':
        if (t.name !== '_' && !skip?.has(t.name) && scope.lookup(t.name) === undefined && !this.globalPath(t.name)) {
          scope.declare(t.name);
        }
        return;
      case 'ref':
        this.collectTerm(t.head, scope, skip);
        for (const p of t.path) this.collectTerm(p, scope, skip);
        return;
      case 'array':
      case 'set':
        for (const i of t.items) this.collectTerm(i, scope, skip);
        return;
      case 'object':
        for (const k of t.keys) this.collectTerm(k, scope, skip);
        for (const v of t.values) this.collectTerm(v, scope, skip);
        return;
      case 'call':
        for (const a of t.args) this.collectTerm(a, scope, skip);
        return;
      case 'template':
        return; // template parts have their own scope (like comprehensions)
      default:
        return;
    }
  }

  resolveBody(body: Expr[], scope: Scope): Expr[] {
    this.declareBody(body, scope);
    return body.map((e) => {
      if (e.kind === 'assign') {
        const right = this.resolveTerm(e.right!, scope);
        this.declarePattern(e.left!, scope, true);
        const out = this.resolveExpr({ ...e, right: { t: 'const', v: null, loc: e.loc } }, scope);
        out.right = right;
        return out;
      }
      if (e.kind === 'somein') {
        const domain = this.resolveTerm(e.domain!, scope);
        if (e.key) this.declarePattern(e.key, scope, false);
        this.declarePattern(e.value!, scope, false);
        const out = this.resolveExpr({ ...e, domain: { t: 'const', v: null, loc: e.loc } }, scope);
        out.domain = domain;
        return out;
      }
      return this.resolveExpr(e, scope);
    });
  }

  resolveExpr(e: Expr, scope: Scope): Expr {
    const r = (t: Term | undefined) => (t ? this.resolveTerm(t, scope) : undefined);
    const out: Expr = { ...e, withs: e.withs.map((w) => ({ target: w.target, value: this.resolveWithValue(w.value, scope), loc: w.loc })) };
    if (e.kind === 'some') {
      out.vars = e.vars!.map((v) => ({ ...v, slot: scope.lookup(v.name) ?? -1 }));
      return out;
    }
    if (e.kind === 'every') {
      out.domain = r(e.domain);
      const inner = scope.child();
      out.lo = scope.counter.n;
      if (e.key) this.declarePattern(e.key, inner, false);
      this.declarePattern(e.value!, inner, false);
      out.key = e.key ? this.resolveTerm(e.key, inner) : undefined;
      out.value = this.resolveTerm(e.value!, inner);
      out.body = this.resolveBody(e.body!, inner);
      out.hi = scope.counter.n;
      return out;
    }
    out.term = r(e.term);
    out.left = r(e.left);
    out.right = r(e.right);
    out.key = r(e.key);
    out.value = r(e.value);
    out.domain = r(e.domain);
    return out;
  }

  /** with values may name a builtin (with f as count): kept as a var with slot SLOT_FUNC */
  private resolveWithValue(t: Term, scope: Scope): Term {
    const name = t.t === 'var' ? t.name : t.t === 'ref' ? dotted(t) : undefined;
    if (name !== undefined) {
      const first = name.split('.')[0]!;
      if (scope.lookup(first) === undefined && !this.globalPath(first) && lookupBuiltin(name)) {
        return { t: 'var', name, loc: t.loc, slot: SLOT_FUNC };
      }
    }
    return this.resolveTerm(t, scope);
  }

  resolveTerm(t: Term, scope: Scope): Term {
    switch (t.t) {
      case 'const':
        return t;
      case 'var': {
        if (t.name === '_') return { ...t, slot: scope.declare('_') };
        const slot = scope.lookup(t.name);
        if (slot !== undefined) return { ...t, slot };
        const g = this.globalPath(t.name);
        if (g) return globalRef(g, t.loc);
        return { ...t, slot: scope.declare(t.name) };
      }
      case 'ref': {
        const head = this.resolveTerm(t.head, scope);
        const path = t.path.map((p) => this.resolveTerm(p, scope));
        if (head.t === 'ref') return { t: 'ref', head: head.head, path: [...head.path, ...path], loc: t.loc };
        return { t: 'ref', head, path, loc: t.loc };
      }
      case 'array':
        return { ...t, items: t.items.map((i) => this.resolveTerm(i, scope)) };
      case 'set':
        return { ...t, items: t.items.map((i) => this.resolveTerm(i, scope)) };
      case 'object':
        return { ...t, keys: t.keys.map((k) => this.resolveTerm(k, scope)), values: t.values.map((v) => this.resolveTerm(v, scope)) };
      case 'call':
        return { ...t, args: t.args.map((a) => this.resolveTerm(a, scope)) };
      case 'arraycompr':
      case 'setcompr': {
        const inner = scope.child();
        const lo = scope.counter.n;
        const body = this.resolveBody(t.body, inner);
        this.collectTerm(t.head, inner);
        const head = this.resolveTerm(t.head, inner);
        return { ...t, body, head, lo, hi: scope.counter.n };
      }
      case 'objectcompr': {
        const inner = scope.child();
        const lo = scope.counter.n;
        const body = this.resolveBody(t.body, inner);
        this.collectTerm(t.key, inner);
        this.collectTerm(t.value, inner);
        const key = this.resolveTerm(t.key, inner);
        const value = this.resolveTerm(t.value, inner);
        return { ...t, body, key, value, lo, hi: scope.counter.n };
      }
      case 'template': {
        const inner = scope.child();
        const lo = scope.counter.n;
        const parts = t.parts.map((p) => (typeof p === 'string' ? p : this.resolveExpr(p, inner)));
        return { ...t, parts, lo, hi: scope.counter.n };
      }
    }
  }
}

function patternNames(t: Term, out: Set<string>): void {
  if (t.t === 'var') {
    if (t.name !== '_') out.add(t.name);
  } else if (t.t === 'array') t.items.forEach((i) => patternNames(i, out));
  else if (t.t === 'object') t.values.forEach((v) => patternNames(v, out));
}
