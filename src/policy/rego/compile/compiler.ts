/**
 * The compiler: parses modules, merges them by package into the rule tree, resolves variables,
 * rules, imports and function calls, checks safety and reorders bodies. Produces a Compiled policy.
 */
import { parseModule, parseQuery, RegoSyntaxError } from '../ast/parser.js';
import type { Expr, Module, Rule, Term, With } from '../ast/types.js';
import { refName } from '../ast/parser-terms.js';
import type { WithInfo } from '../topdown/with.js';
import { SLOT_DATA, SLOT_FUNC } from './scope.js';
import { lookupBuiltin, type BuiltinDef } from '../builtins/index.js';
import { RegoCompileError, IssueError, fail, issue, type CompileIssue } from './errors.js';
import { Resolver, Scope, type Globals } from './scope.js';
import { reorderBody, termVars } from './safety.js';
import { RuleNode, type CRule } from './tree.js';
import { moduleGlobals, placeRule } from './place.js';
import { collectAllSlots, declareArgVars, deferComplexArgs, foldConstant } from './helpers.js';
import { checkTree } from './checks.js';
import { checkCallTypes } from './typecheck.js';
import { attachMetadata } from './metadata.js';

export interface SourceFile {
  file: string;
  source: string;
}

export type CallTarget = { kind: 'builtin'; def: BuiltinDef; name: string } | { kind: 'func'; node: RuleNode; name: string };

export interface CompiledQuery {
  body: Expr[];
  nslots: number;
  /** named query variables (result bindings) and their slots */
  vars: { name: string; slot: number }[];
  /** all query variables, including $-named ones */
  allVars: { name: string; slot: number }[];
}

export interface Compiled {
  root: RuleNode;
  modules: Module[];
  rules: CRule[];
}

interface PendingRule {
  rule: Rule;
  mod: Module;
  crule: CRule;
}

export function compileModules(files: (SourceFile | Module)[]): Compiled {
  const issues: CompileIssue[] = [];
  const modules: Module[] = [];
  for (const f of files) {
    if ('pkg' in f) {
      modules.push(f);
      continue;
    }
    try {
      modules.push(parseModule(f.source, f.file));
    } catch (e) {
      if (e instanceof RegoSyntaxError) issues.push({ file: f.file, line: e.line, col: e.col, message: `rego_parse_error: ${e.message}` });
      else throw e;
    }
  }
  if (issues.length) throw new RegoCompileError(issues);
  const root = new RuleNode([]);
  const pending: PendingRule[] = [];
  const ruleNamesByPkg = new Map<string, Set<string>>();
  for (const mod of modules) {
    let pn = root;
    pn.subtreeRules = true;
    for (const seg of mod.pkg) {
      pn = pn.child(seg);
      pn.subtreeRules = true;
    }
    const key = mod.pkg.join('.');
    let names = ruleNamesByPkg.get(key);
    if (!names) ruleNamesByPkg.set(key, (names = new Set()));
    for (const rule of mod.rules) {
      try {
        pending.push({ rule, mod, crule: placeRule(root, mod, rule) });
        names.add(rule.ref[0]!.t === 'const' ? (rule.ref[0]!.v as string) : '');
      } catch (e) {
        if (e instanceof IssueError) issues.push(e.issue);
        else throw e;
      }
    }
  }
  const compiler = new BodyCompiler(root);
  for (const p of pending) {
    try {
      const globals = moduleGlobals(p.mod, ruleNamesByPkg.get(p.mod.pkg.join('.'))!);
      compiler.compileRule(p.crule, globals);
    } catch (e) {
      if (e instanceof IssueError) issues.push(e.issue);
      else throw e;
    }
  }
  if (!issues.length) issues.push(...checkTree(root, pending.map((p) => p.crule)));
  if (issues.length) throw new RegoCompileError(issues);
  attachMetadata(modules, pending.map((p) => p.crule));
  return { root, modules, rules: pending.map((p) => p.crule) };
}

export class BodyCompiler {
  constructor(readonly root: RuleNode) {}

  compileRule(cr: CRule, g: Globals): void {
    const res = new Resolver(g);
    const counter = { n: 0 };
    const ruleScope = new Scope(null, counter);
    const bound = new Set<number>();
    let args: Term[] | undefined;
    if (cr.args) deferComplexArgs(cr);
    if (cr.args) {
      for (const a of cr.args) declareArgVars(a, ruleScope);
      args = cr.args.map((a) => res.resolveTerm(a, ruleScope));
      for (const s of ruleScope.vars.values()) bound.add(s);
    }
    const mainScope = ruleScope.child();
    const body = this.compileBody(res.resolveBody(cr.body, mainScope), bound, g);
    for (const t of [...cr.keyPath, cr.value]) res.collectTerm(t, mainScope);
    if (cr.setElem) res.collectTerm(cr.setElem, mainScope);
    const keyPath = cr.keyPath.map((t) => res.resolveTerm(t, mainScope));
    const value = res.resolveTerm(cr.value, mainScope);
    if (cr.setElem) {
      cr.setElem = this.resolveCalls(res.resolveTerm(cr.setElem, mainScope), g);
      this.checkHeadSafe(cr.setElem, bound);
    }
    for (const t of [...keyPath, value]) this.checkHeadSafe(t, bound);
    const elses = cr.elses.map((e) => {
      const sc = ruleScope.child();
      const eb = new Set(cr.args ? [...ruleScope.vars.values()] : []);
      const b = this.compileBody(res.resolveBody(e.body, sc), eb, g);
      res.collectTerm(e.value, sc);
      const v = res.resolveTerm(e.value, sc);
      this.checkHeadSafe(v, eb);
      return { value: v, body: b, loc: e.loc };
    });
    cr.args = args;
    cr.body = body;
    cr.keyPath = keyPath;
    cr.value = this.resolveCalls(value, g);
    cr.keyPath = keyPath.map((k) => this.resolveCalls(k, g));
    for (const t of [cr.value, ...cr.keyPath]) this.nestedTerm(t, bound, g);
    cr.elses = elses.map((e) => ({ ...e, value: this.resolveCalls(e.value, g) }));
    for (const e of cr.elses) this.nestedTerm(e.value, bound, g);
    cr.nslots = counter.n;
    cr.constValue = value.t === 'const' && elses.length === 0 ? value.v : undefined;
  }

  compileQuery(src: string | Expr[], g?: Globals): CompiledQuery {
    const globals = g ?? { imports: new Map(), ruleNames: new Set(), pkg: [] };
    let parsed: Expr[];
    try {
      parsed = typeof src === 'string' ? parseQuery(src) : src;
    } catch (e) {
      if (e instanceof RegoSyntaxError) throw new RegoCompileError([{ file: 'query', line: e.line, col: e.col, message: `rego_parse_error: ${e.message}` }]);
      throw e;
    }
    const res = new Resolver(globals);
    const scope = new Scope(null, { n: 0 });
    try {
      const body = this.compileBody(res.resolveBody(parsed, scope), new Set(), globals);
      const allVars = [...scope.vars.entries()].map(([name, slot]) => ({ name, slot }));
      const vars = allVars.filter(({ name }) => !name.startsWith('__') && !name.startsWith('$'));
      return { body, nslots: scope.counter.n, vars, allVars };
    } catch (e) {
      if (e instanceof IssueError) throw new RegoCompileError([e.issue]);
      throw e;
    }
  }

  private checkHeadSafe(t: Term, bound: Set<number>): void {
    const visit = (x: Term): void => {
      if (x.t === 'var' && x.slot >= 0 && !bound.has(x.slot)) fail(x.loc, `rego_unsafe_var_error: var ${x.name} is unsafe`);
      if (x.t === 'ref') {
        visit(x.head);
        // vars in ref paths are bound by iterating the ref
        x.path.forEach((p) => p.t !== 'var' && visit(p));
      } else if (x.t === 'array' || x.t === 'set') x.items.forEach(visit);
      else if (x.t === 'object') {
        x.keys.forEach(visit);
        x.values.forEach(visit);
      } else if (x.t === 'call') x.args.forEach(visit);
    };
    visit(t);
  }

  /** resolves calls, marks output args, reorders (recursively for nested bodies) */
  compileBody(body: Expr[], bound: Set<number>, g: Globals): Expr[] {
    for (const e of body) this.resolveExprCalls(e, g);
    const ordered = reorderBody(body, bound);
    // nested bodies see the variables bound before the body (nested() copies what it extends)
    for (const e of ordered) this.nested(e, bound, g);
    return ordered;
  }

  /** compiles comprehension bodies inside t, seeing the variables in bound */
  nestedTerm(t: Term | undefined, bound: Set<number>, g: Globals): void {
    if (!t) return;
    switch (t.t) {
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr':
        t.body = this.compileBody(t.body, new Set(bound), g);
        if (t.t === 'objectcompr') {
          this.nestedTerm(t.key, bound, g);
          this.nestedTerm(t.value, bound, g);
        } else this.nestedTerm(t.head, bound, g);
        return;
      case 'ref':
        this.nestedTerm(t.head, bound, g);
        for (const p of t.path) this.nestedTerm(p, bound, g);
        return;
      case 'array':
      case 'set':
        for (const i of t.items) this.nestedTerm(i, bound, g);
        return;
      case 'object':
        for (const k of t.keys) this.nestedTerm(k, bound, g);
        for (const v of t.values) this.nestedTerm(v, bound, g);
        return;
      case 'call':
        for (const a of t.args) this.nestedTerm(a, bound, g);
        return;
      case 'template':
        for (const p of t.parts) if (typeof p !== 'string') this.nested(p, bound, g);
        return;
    }
  }

  private nested(e: Expr, bound: Set<number>, g: Globals): void {
    for (const t of [e.term, e.left, e.right, e.key, e.value, e.domain]) this.nestedTerm(t, bound, g);
    for (const w of e.withs) this.nestedTerm(w.value, bound, g);
    if (e.kind === 'every') {
      const inner = new Set(bound);
      const vi = { needs: new Set<number>(), binds: new Set<number>() };
      if (e.key) termVars(e.key, true, vi);
      termVars(e.value!, true, vi);
      for (const s of vi.binds) inner.add(s);
      e.body = this.compileBody(e.body!, inner, g);
    }
    // mark what this expression binds as bound for following siblings' nested bodies
    collectAllSlots(e, bound);
  }

  private resolveExprCalls(e: Expr, g: Globals): void {
    const r = (t: Term | undefined) => (t ? this.resolveCalls(t, g, e) : undefined);
    e.term = r(e.term);
    e.left = r(e.left);
    e.right = r(e.right);
    if (e.kind !== 'every') {
      e.key = r(e.key);
      e.value = r(e.value);
    }
    e.domain = r(e.domain);
    for (const w of e.withs) {
      w.value = r(w.value)!;
      (w as With & { info: WithInfo }).info = this.withInfo(w, g);
    }
  }

  private withInfo(w: With, g: Globals): WithInfo {
    const name = w.target.t === 'var' ? w.target.name : w.target.t === 'ref' ? refName(w.target) : undefined;
    if (name === undefined) return fail(w.loc, 'rego_type_error: with keyword target must reference existing input, data, or a function');
    const segs = name.split('.');
    if (segs[0] === 'input') return { kind: 'input', path: segs.slice(1) };
    let path: string[] | undefined;
    const imp = g.imports.get(segs[0]!);
    if (imp) path = [...imp, ...segs.slice(1)];
    else if (segs[0] === 'data') path = segs;
    else if (g.ruleNames.has(segs[0]!)) path = ['data', ...g.pkg, ...segs];
    let fn: CallTarget | undefined;
    const v = w.value;
    if (v.t === 'var' && v.slot === SLOT_FUNC) fn = this.callTarget(v.name, g, v.loc);
    else if (v.t === 'ref' && v.head.t === 'var' && v.head.slot === SLOT_DATA) {
      const vp = refName(v);
      const node = vp ? this.root.find(vp.split('.').slice(1)) : undefined;
      if (node && node.isFunc) fn = { kind: 'func', node, name: node.name };
    }
    if (path && path[0] === 'input') return { kind: 'input', path: path.slice(1) };
    if (path) {
      const node = this.root.find(path.slice(1));
      if (node && (node.isFunc || node.defaultRule?.kind === 'func')) return { kind: 'mock', key: node.name, fn };
      return { kind: 'data', path: path.slice(1) };
    }
    const def = lookupBuiltin(name);
    if (!def) return fail(w.loc, `rego_compile_error: with keyword target must reference existing input, data, or a function (${name})`);
    return { kind: 'mock', key: def.name, fn };
  }

  /** resolves call targets in t (in place); `top` is the expression when t is its top-level term */
  resolveCalls(t: Term, g: Globals, top?: Expr): Term {
    switch (t.t) {
      case 'call': {
        t.args = t.args.map((a) => this.resolveCalls(a, g));
        const target = this.callTarget(t.name, g, t.loc);
        t.target = target;
        const arity = target.kind === 'builtin' ? target.def.arity : target.node.funcs[0]?.args?.length ?? target.node.defaultRule?.args?.length ?? 0;
        const variadic = target.kind === 'builtin' && target.def.variadic;
        if (!variadic && t.args.length !== arity) {
          if (t.args.length === arity + 1 && top && top.term === t && top.kind === 'term') top.output = true;
          else fail(t.loc, `rego_type_error: ${t.name}: arity mismatch\n\thave: ${t.args.length} operand(s)\n\twant: ${arity} operand(s)`);
        }
        if (target.kind === 'builtin') checkCallTypes(t, target.def.name);
        return t;
      }
      case 'ref':
        t.head = this.resolveCalls(t.head, g);
        t.path = t.path.map((p) => this.resolveCalls(p, g));
        if (t.head.t === 'var' && t.head.slot === SLOT_DATA) this.markLeaf(t);
        return t;
      case 'array':
      case 'set':
        t.items = t.items.map((i) => this.resolveCalls(i, g));
        return foldConstant(t);
      case 'object':
        t.keys = t.keys.map((k) => this.resolveCalls(k, g));
        t.values = t.values.map((v) => this.resolveCalls(v, g));
        return foldConstant(t);
      case 'arraycompr':
      case 'setcompr':
        t.head = this.resolveCalls(t.head, g);
        return t;
      case 'objectcompr':
        t.key = this.resolveCalls(t.key, g);
        t.value = this.resolveCalls(t.value, g);
        return t;
      case 'template':
        for (const p of t.parts) if (typeof p !== 'string') this.resolveExprCalls(p, g);
        return t;
      default:
        return t;
    }
  }

  /** data refs whose constant prefix names a rule node without nodes below: evaluated directly */
  private markLeaf(t: Term & { t: 'ref' }): void {
    let n: RuleNode | undefined = this.root;
    for (let i = 0; i < t.path.length; i++) {
      const p = t.path[i]!;
      if (p.t !== 'const' || typeof p.v !== 'string') return;
      n = n.children.get(p.v);
      if (!n) return;
      if (n.hasRules || n.isFunc) {
        if (n.children.size === 0 && n.hasRules) {
          t.leaf = n;
          t.leafDepth = i + 1;
        }
        return;
      }
    }
  }

  callTarget(name: string, g: Globals, loc: Term['loc']): CallTarget {
    const segs = name.split('.');
    let path: string[] | undefined;
    const imp = g.imports.get(segs[0]!);
    if (imp) path = [...imp, ...segs.slice(1)];
    else if (g.ruleNames.has(segs[0]!)) path = ['data', ...g.pkg, ...segs];
    else if (segs[0] === 'data') path = segs;
    if (path && path[0] === 'data') {
      const node = this.root.find(path.slice(1));
      if (node && (node.isFunc || node.defaultRule?.kind === 'func')) return { kind: 'func', node, name: node.name };
    }
    const def = lookupBuiltin(name);
    if (def) return { kind: 'builtin', def, name };
    return fail(loc, `rego_type_error: undefined function ${name}`);
  }
}

export { issue };
