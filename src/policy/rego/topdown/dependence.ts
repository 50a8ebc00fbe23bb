/**
 * What a rule's value can depend on, found statically by one walk over the compiled rules in one of
 * two modes. `input-free`: no rule reachable from the node (bodies, heads, else clauses, default,
 * functions it calls, data paths it reads) reads `input`, uses `with`, or calls a volatile builtin,
 * so its value is the same for every query over the same data (static.ts keeps such values).
 * `pure`: reading `input` is fine, and so is `with` when what it substitutes is pure too; only
 * volatile builtins (time, random, uuid, http.send, net lookups, print, opa.runtime, clock-based
 * verification) make a rule impure, so two evaluations over equal input and data give equal values
 * (decisions may be reused). Conservative: what the walk cannot follow (an unresolved call, a
 * recursion) counts as dependent / impure. Each node is analysed once per mode, lazily.
 */
import type { Expr, Term, With } from '../ast/types.js';
import type { CallTarget } from '../compile/compiler.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { SLOT_DATA, SLOT_FUNC, SLOT_INPUT } from '../compile/scope.js';
import type { WithInfo } from './with.js';

/** builtins whose value may change between queries with equal operands, or that have effects */
const VOLATILE = new Set([
  'print',
  'internal.print',
  'trace',
  'http.send',
  'opa.runtime',
  'net.lookup_ip_addr',
  // verify against the current time unless the constraints name one
  'io.jwt.decode_verify',
  'crypto.x509.parse_and_verify_certificates',
  'crypto.x509.parse_and_verify_certificates_with_options',
]);
const VOLATILE_PREFIXES = ['time.', 'rand.', 'uuid.'];

export function volatileBuiltin(target: CallTarget): boolean {
  if (target.kind !== 'builtin') return false;
  const def = target.def;
  if (def.nondeterministic === true || VOLATILE.has(def.name)) return true;
  for (const p of VOLATILE_PREFIXES) if (def.name.startsWith(p)) return true;
  return false;
}

class DependenceWalk {
  private readonly verdicts = new WeakMap<RuleNode, boolean>();

  /** `readsInput`: whether reading input (and a pure `with`) is allowed (pure) or not (input-free). */
  constructor(private readonly readsInput: boolean) {}

  /** true if the rules at node (not below it) pass */
  node(node: RuleNode, root: RuleNode): boolean {
    let r = this.verdicts.get(node);
    if (r === undefined) {
      this.verdicts.set(node, false); // recursion (or an error in the analysis) fails
      r = this.rules(node, root);
      this.verdicts.set(node, r);
    }
    return r;
  }

  /** the rules at node and at every node below it pass */
  subtree(node: RuleNode, root: RuleNode): boolean {
    if ((node.hasRules || node.isFunc) && !this.node(node, root)) return false;
    for (const child of node.children.values()) if (child.subtreeRules && !this.subtree(child, root)) return false;
    return true;
  }

  private rules(node: RuleNode, root: RuleNode): boolean {
    for (const list of [node.complete, node.sets, node.objects, node.funcs]) for (const r of list) if (!this.rule(r, root)) return false;
    return node.defaultRule === undefined || this.rule(node.defaultRule, root);
  }

  private rule(r: CRule, root: RuleNode): boolean {
    if (!this.body(r.body, root) || !this.term(r.value, root) || !this.terms(r.keyPath, root)) return false;
    if (r.setElem !== undefined && !this.term(r.setElem, root)) return false;
    if (r.args !== undefined && !this.terms(r.args, root)) return false;
    for (const e of r.elses) if (!this.body(e.body, root) || !this.term(e.value, root)) return false;
    return true;
  }

  private body(body: Expr[], root: RuleNode): boolean {
    for (const e of body) if (!this.expr(e, root)) return false;
    return true;
  }

  private expr(e: Expr, root: RuleNode): boolean {
    for (const w of e.withs) if (!this.readsInput || !this.with(w, root)) return false;
    for (const t of [e.term, e.left, e.right, e.key, e.value, e.domain]) if (t !== undefined && !this.term(t, root)) return false;
    return e.body === undefined || this.body(e.body, root);
  }

  /** `with target as value`: the value passes, and a function or builtin it puts in place of another passes */
  private with(w: With, root: RuleNode): boolean {
    const info = (w as With & { info?: WithInfo }).info;
    if (info === undefined) return false;
    if (info.kind === 'mock' && info.fn !== undefined) return this.target(info.fn, root);
    const v = w.value;
    if (v.t === 'var' && v.slot === SLOT_FUNC) return false; // a function name the compiler did not resolve
    return this.term(v, root);
  }

  private target(target: CallTarget, root: RuleNode): boolean {
    if (target.kind === 'builtin') return !volatileBuiltin(target);
    return this.node(target.node, root);
  }

  private terms(ts: Term[], root: RuleNode): boolean {
    for (const t of ts) if (!this.term(t, root)) return false;
    return true;
  }

  private term(t: Term, root: RuleNode): boolean {
    switch (t.t) {
      case 'const':
        return true;
      case 'var':
        // locals are values; input only when allowed; data as a whole reaches every rule; anything unresolved fails
        return t.slot >= 0 || (this.readsInput && t.slot === SLOT_INPUT) || (t.slot === SLOT_DATA && this.subtree(root, root));
      case 'ref':
        if (!this.terms(t.path, root)) return false;
        if (t.head.t === 'var' && t.head.slot === SLOT_DATA) return this.dataRef(t, root);
        return this.term(t.head, root);
      case 'array':
      case 'set':
        return this.terms(t.items, root);
      case 'object':
        return this.terms(t.keys, root) && this.terms(t.values, root);
      case 'call': {
        const target = t.target as CallTarget | undefined;
        return target !== undefined && this.target(target, root) && this.terms(t.args, root);
      }
      case 'arraycompr':
      case 'setcompr':
        return this.term(t.head, root) && this.body(t.body, root);
      case 'objectcompr':
        return this.term(t.key, root) && this.term(t.value, root) && this.body(t.body, root);
      case 'template':
        for (const p of t.parts) if (typeof p !== 'string' && !this.expr(p, root)) return false;
        return true;
    }
  }

  /** data.<path>: the rules it can reach (if any) must pass; base documents always do */
  private dataRef(t: Term & { t: 'ref' }, root: RuleNode): boolean {
    let node = root;
    for (const p of t.path) {
      if (node.hasRules || node.isFunc) break;
      if (p.t !== 'const' || typeof p.v !== 'string') break;
      const child = node.children.get(p.v);
      if (child === undefined) return true; // only base documents from here on
      node = child;
    }
    return this.subtree(node, root);
  }
}

const inputFreeWalk = new DependenceWalk(false);
const pureWalk = new DependenceWalk(true);

/** true if the values of the rules at node (not below it) never depend on input */
export function inputFree(node: RuleNode, root: RuleNode): boolean {
  return inputFreeWalk.node(node, root);
}

/** input-free rules at node and at every node below it */
export function subtreeFree(node: RuleNode, root: RuleNode): boolean {
  return inputFreeWalk.subtree(node, root);
}

/** true if the values of the rules at node (not below it) are a function of input and data */
export function nodePure(node: RuleNode, root: RuleNode): boolean {
  return pureWalk.node(node, root);
}

/** pure rules at node and at every node below it */
export function subtreePure(node: RuleNode, root: RuleNode): boolean {
  return pureWalk.subtree(node, root);
}
