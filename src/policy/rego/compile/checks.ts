/** Whole-tree checks after compilation: conflicting rule kinds, recursion. */
import type { Term, Expr } from '../ast/types.js';
import { issue, type CompileIssue } from './errors.js';
import type { CRule, RuleNode } from './tree.js';
import type { CallTarget } from './compiler.js';

export function checkTree(root: RuleNode, rules: CRule[]): CompileIssue[] {
  const issues: CompileIssue[] = [];
  const visit = (n: RuleNode) => {
    const kinds = new Set<string>();
    if (n.complete.length) kinds.add('complete');
    if (n.sets.length) kinds.add('set');
    if (n.objects.length) kinds.add('object');
    if (n.funcs.length) kinds.add('func');
    if (kinds.size > 1) {
      const r = n.complete[0] ?? n.sets[0] ?? n.objects[0] ?? n.funcs[0]!;
      issues.push(issue(r.loc, `rego_type_error: conflicting rules ${n.name} found`));
    }
    if (n.funcs.length) {
      const arity = n.funcs[0]!.args!.length;
      for (const f of n.funcs) {
        if (f.args!.length !== arity) issues.push(issue(f.loc, `rego_type_error: conflicting rules ${n.name} found`));
      }
    }
    for (const c of n.children.values()) visit(c);
  };
  visit(root);
  issues.push(...checkRecursion(root, rules));
  return issues;
}

/** rule-level recursion: a rule that depends on its own node (directly or through others) */
function checkRecursion(root: RuleNode, rules: CRule[]): CompileIssue[] {
  const deps = new Map<RuleNode, Set<RuleNode>>();
  const ruleOf = new Map<RuleNode, CRule>();
  for (const r of rules) {
    ruleOf.set(r.node, ruleOf.get(r.node) ?? r);
    let d = deps.get(r.node);
    if (!d) deps.set(r.node, (d = new Set()));
    const addRef = (path: string[]) => {
      let n: RuleNode | undefined = root;
      for (const p of path) {
        n = n.children.get(p);
        if (!n) return;
        if (n.hasRules || n.isFunc) {
          d!.add(n);
          return;
        }
      }
      // ref to a prefix: depends on every rule below
      const all = (x: RuleNode) => {
        if (x.hasRules || x.isFunc) d!.add(x);
        x.children.forEach(all);
      };
      if (n) all(n);
    };
    const visitT = (t: Term | undefined): void => {
      if (!t) return;
      switch (t.t) {
        case 'var':
          return;
        case 'ref': {
          if (t.head.t === 'var' && t.head.slot === -3) {
            const path: string[] = [];
            let nonString = false;
            for (const p of t.path) {
              if (p.t === 'const' && typeof p.v === 'string') path.push(p.v);
              else {
                nonString = p.t === 'const';
                break;
              }
            }
            // dynamic refs (data[x]) are not followed: recursion through them is caught at run time
            if (!nonString && path.length === t.path.length) addRef(path);
            else if (!nonString && path.length > 0) {
              const n = root.find(path);
              if (n && (n.hasRules || n.isFunc)) d!.add(n);
              else {
                let m: RuleNode | undefined = root;
                for (const seg of path) {
                  m = m?.children.get(seg);
                  if (m && (m.hasRules || m.isFunc)) {
                    d!.add(m);
                    break;
                  }
                }
              }
            }
          } else visitT(t.head);
          t.path.forEach(visitT);
          return;
        }
        case 'array':
        case 'set':
          t.items.forEach(visitT);
          return;
        case 'object':
          t.keys.forEach(visitT);
          t.values.forEach(visitT);
          return;
        case 'call': {
          const tg = t.target as CallTarget | undefined;
          if (tg?.kind === 'func') d!.add(tg.node);
          t.args.forEach(visitT);
          return;
        }
        case 'arraycompr':
        case 'setcompr':
          visitT(t.head);
          t.body.forEach(visitE);
          return;
        case 'objectcompr':
          visitT(t.key);
          visitT(t.value);
          t.body.forEach(visitE);
          return;
        case 'template':
          t.parts.forEach((p) => typeof p !== 'string' && visitE(p));
          return;
      }
    };
    const visitE = (e: Expr): void => {
      [e.term, e.left, e.right, e.key, e.value, e.domain].forEach(visitT);
      e.withs.forEach((w) => visitT(w.value));
      e.body?.forEach(visitE);
    };
    r.body.forEach(visitE);
    [...r.keyPath, r.value].forEach(visitT);
    r.elses.forEach((e) => {
      e.body.forEach(visitE);
      visitT(e.value);
    });
  }
  const issues: CompileIssue[] = [];
  const state = new Map<RuleNode, number>();
  const stack: RuleNode[] = [];
  const reported = new Set<RuleNode>();
  const dfs = (n: RuleNode): void => {
    state.set(n, 1);
    stack.push(n);
    for (const m of deps.get(n) ?? []) {
      const s = state.get(m);
      if (s === 1) {
        if (!reported.has(m)) {
          reported.add(m);
          const cyc = stack.slice(stack.indexOf(m)).map((x) => x.name);
          const r = ruleOf.get(m)!;
          issues.push(issue(r.loc, `rego_recursion_error: rule ${m.name} is recursive: ${[...cyc, m.name].join(' -> ')}`));
        }
      } else if (s === undefined) dfs(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of deps.keys()) if (!state.has(n)) dfs(n);
  return issues;
}
