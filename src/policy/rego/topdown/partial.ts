/**
 * Rule values that depend on long-lived parts of the input only, kept across queries while those
 * parts are the same. A caller that passes the same (immutable) objects as some top-level members
 * of every input (mcp-warden: input.client, input.tool, input.session, input.backend) names them
 * as its stable roots (EvalOptions.stable). A rule node whose rules (and every rule, function and
 * data path they reach) read input only under stable roots, use no `with` and call no volatile
 * builtin has the same value for every query whose stable roots are the same values (=== : the
 * same objects) over the same data; its last value is kept with those roots and reused. The
 * analysis is static, done once per node; anything it cannot follow (input as a whole, a dynamic
 * first key, recursion, a volatile builtin, `with`) makes the node not kept.
 */
import type { Expr, Term } from '../ast/types.js';
import type { CallTarget } from '../compile/compiler.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { SLOT_DATA, SLOT_INPUT } from '../compile/scope.js';
import { isObject, objGet, type Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { volatileBuiltin } from './dependence.js';

type Roots = Set<string>;

const rootsMemo = new WeakMap<RuleNode, Roots | null>();

/** the input roots (input.<root>) the values of the rules at node can read; null: unknown */
export function inputRoots(node: RuleNode, root: RuleNode): Roots | null {
  let r = rootsMemo.get(node);
  if (r === undefined) {
    rootsMemo.set(node, null); // recursion (or an error in the analysis) counts as unknown
    const acc: Roots = new Set();
    r = nodeRoots(node, root, acc) ? acc : null;
    rootsMemo.set(node, r);
  }
  return r;
}

function merge(acc: Roots, roots: Roots | null): boolean {
  if (roots === null) return false;
  for (const x of roots) acc.add(x);
  return true;
}

function nodeRoots(node: RuleNode, root: RuleNode, acc: Roots): boolean {
  for (const list of [node.complete, node.sets, node.objects, node.funcs]) for (const r of list) if (!ruleRoots(r, root, acc)) return false;
  return node.defaultRule === undefined || ruleRoots(node.defaultRule, root, acc);
}

/** roots of the rules at node and at every node below it */
export function subtreeRoots(node: RuleNode, root: RuleNode, acc: Roots): boolean {
  if ((node.hasRules || node.isFunc) && !merge(acc, inputRoots(node, root))) return false;
  for (const child of node.children.values()) if (child.subtreeRules && !subtreeRoots(child, root, acc)) return false;
  return true;
}

export function ruleRoots(r: CRule, root: RuleNode, acc: Roots): boolean {
  if (!bodyRoots(r.body, root, acc) || !termRoots(r.value, root, acc) || !termsRoots(r.keyPath, root, acc)) return false;
  if (r.setElem !== undefined && !termRoots(r.setElem, root, acc)) return false;
  if (r.args !== undefined && !termsRoots(r.args, root, acc)) return false;
  for (const e of r.elses) if (!bodyRoots(e.body, root, acc) || !termRoots(e.value, root, acc)) return false;
  return true;
}

export function bodyRoots(body: Expr[], root: RuleNode, acc: Roots, nodes?: Set<RuleNode>): boolean {
  for (const e of body) {
    if (e.withs.length > 0) return false;
    for (const t of [e.term, e.left, e.right, e.key, e.value, e.domain]) if (t !== undefined && !termRoots(t, root, acc, nodes)) return false;
    if (e.body !== undefined && !bodyRoots(e.body, root, acc, nodes)) return false;
  }
  return true;
}

function termsRoots(ts: Term[], root: RuleNode, acc: Roots, nodes?: Set<RuleNode>): boolean {
  for (const t of ts) if (!termRoots(t, root, acc, nodes)) return false;
  return true;
}

export function termRoots(t: Term, root: RuleNode, acc: Roots, nodes?: Set<RuleNode>): boolean {
  switch (t.t) {
    case 'const':
      return true;
    case 'var':
      // locals; the whole input is unknown; data as a whole: everything under it
      if (t.slot >= 0) return true;
      return t.slot === SLOT_DATA && subtreeRoots(root, root, acc);
    case 'ref': {
      if (!termsRoots(t.path, root, acc, nodes)) return false;
      const h = t.head;
      if (h.t === 'var' && h.slot === SLOT_INPUT) {
        const first = t.path[0];
        if (first === undefined || first.t !== 'const' || typeof first.v !== 'string') return false;
        acc.add(first.v);
        return true;
      }
      if (h.t === 'var' && h.slot === SLOT_DATA) {
        // With `nodes`: a plain rule value (no rules below it) is collected as a node (effective.ts
        // counts it by the roots that decided its value) instead of by every root its rules can read.
        const leaf = t.leaf as RuleNode | undefined;
        if (nodes !== undefined && leaf !== undefined && leaf.hasRules && !leaf.isFunc && leaf.children.size === 0) {
          nodes.add(leaf);
          return true;
        }
        return dataRefRoots(t, root, acc);
      }
      return termRoots(h, root, acc, nodes);
    }
    case 'array':
    case 'set':
      return termsRoots(t.items, root, acc, nodes);
    case 'object':
      return termsRoots(t.keys, root, acc, nodes) && termsRoots(t.values, root, acc, nodes);
    case 'call': {
      const target = t.target as CallTarget | undefined;
      if (target === undefined || volatileBuiltin(target)) return false;
      if (target.kind === 'func' && !merge(acc, inputRoots(target.node, root))) return false;
      return termsRoots(t.args, root, acc, nodes);
    }
    case 'arraycompr':
    case 'setcompr':
      return termRoots(t.head, root, acc, nodes) && bodyRoots(t.body, root, acc, nodes);
    case 'objectcompr':
      return termRoots(t.key, root, acc, nodes) && termRoots(t.value, root, acc, nodes) && bodyRoots(t.body, root, acc, nodes);
    case 'template':
      for (const p of t.parts) if (typeof p !== 'string' && !bodyRoots([p], root, acc, nodes)) return false;
      return true;
  }
}

/** data.<path>: the roots of the rules it can reach (base documents read no input) */
export function dataRefRoots(t: Term & { t: 'ref' }, root: RuleNode, acc: Roots): boolean {
  let node = root;
  for (const p of t.path) {
    if (node.hasRules || node.isFunc) break;
    if (p.t !== 'const' || typeof p.v !== 'string') break;
    const child = node.children.get(p.v);
    if (child === undefined) return true;
    node = child;
  }
  return subtreeRoots(node, root, acc);
}

/** a node's kept value: the roots it reads, and the last value with what it was computed from */
export interface Partial {
  /** null: the node cannot be kept (under these stable roots) */
  roots: string[] | null;
  keys: unknown[];
  data: unknown;
  strict: boolean;
  /** UNDEF-encoded as in the query cache; NOT_SET until computed */
  value: unknown;
}

export const NOT_SET: unique symbol = Symbol('not set');

/** the node's kept-value entry when it can be kept in this state, else null */
export function partialEntry(ev: Evaluator, node: RuleNode): Partial | null {
  const stable = ev.stable;
  if (stable === null || ev.st.shadow !== null || ev.st.mocks !== null) return null;
  let p = node.partial as Partial | undefined;
  if (p === undefined) {
    const roots = inputRoots(node, ev.root);
    const keep = roots !== null && roots.size > 0 && [...roots].every((r) => stable.includes(r));
    p = { roots: keep ? [...roots!] : null, keys: [], data: undefined, strict: false, value: NOT_SET };
    node.partial = p;
  }
  return p.roots === null ? null : p;
}

function rootValue(input: Value | undefined, name: string): unknown {
  return input !== undefined && isObject(input) ? objGet(input, name) : undefined;
}

/** the kept value when the stable roots, data and strictness are the ones it was computed with */
export function partialValue(ev: Evaluator, p: Partial): unknown {
  if (p.value === NOT_SET || p.data !== ev.st.data || p.strict !== ev.opts.strict) return NOT_SET;
  const roots = p.roots!;
  const input = ev.st.input;
  for (let i = 0; i < roots.length; i++) if (rootValue(input, roots[i]!) !== p.keys[i]) return NOT_SET;
  return p.value;
}

export function keepPartial(ev: Evaluator, p: Partial, value: unknown): void {
  const roots = p.roots!;
  const input = ev.st.input;
  for (let i = 0; i < roots.length; i++) p.keys[i] = rootValue(input, roots[i]!);
  p.data = ev.st.data;
  p.strict = ev.opts.strict;
  p.value = value;
}
