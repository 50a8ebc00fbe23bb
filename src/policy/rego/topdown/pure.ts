/**
 * Rules whose values are a function of input and data alone: none of their rules (bodies, heads,
 * else clauses, default), nor any rule, function or data path they reach, calls a builtin whose
 * result can change between calls with equal operands or that has effects (time, random, uuid,
 * http.send, net lookups, print, opa.runtime: volatileBuiltin). Unlike input-freedom (static.ts),
 * reading `input` is fine, and so is `with` as long as what it substitutes (a value, or a function
 * or builtin put in place of another) is pure too. Two evaluations of such rules over the same input
 * document and the same data give the same value, so a decision may be reused for an equal input.
 * Static and conservative: what the analysis cannot follow (an unresolved call, a recursion) counts
 * as impure. Analysed lazily, once per node.
 */
import type { Expr, Term, With } from '../ast/types.js';
import type { CallTarget } from '../compile/compiler.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { SLOT_DATA, SLOT_FUNC, SLOT_INPUT } from '../compile/scope.js';
import { volatileBuiltin } from './static.js';
import type { WithInfo } from './with.js';

const pureNodes = new WeakMap<RuleNode, boolean>();

/** true if the values of the rules at node (not below it) are a function of input and data */
export function nodePure(node: RuleNode, root: RuleNode): boolean {
  let r = pureNodes.get(node);
  if (r === undefined) {
    pureNodes.set(node, false); // recursion (or an error in the analysis) counts as impure
    r = rulesPure(node, root);
    pureNodes.set(node, r);
  }
  return r;
}

/** pure rules at node and at every node below it */
export function subtreePure(node: RuleNode, root: RuleNode): boolean {
  if ((node.hasRules || node.isFunc) && !nodePure(node, root)) return false;
  for (const child of node.children.values()) if (child.subtreeRules && !subtreePure(child, root)) return false;
  return true;
}

function rulesPure(node: RuleNode, root: RuleNode): boolean {
  for (const list of [node.complete, node.sets, node.objects, node.funcs]) for (const r of list) if (!rulePure(r, root)) return false;
  return node.defaultRule === undefined || rulePure(node.defaultRule, root);
}

function rulePure(r: CRule, root: RuleNode): boolean {
  if (!bodyPure(r.body, root) || !termPure(r.value, root) || !termsPure(r.keyPath, root)) return false;
  if (r.setElem !== undefined && !termPure(r.setElem, root)) return false;
  if (r.args !== undefined && !termsPure(r.args, root)) return false;
  for (const e of r.elses) if (!bodyPure(e.body, root) || !termPure(e.value, root)) return false;
  return true;
}

function bodyPure(body: Expr[], root: RuleNode): boolean {
  for (const e of body) if (!exprPure(e, root)) return false;
  return true;
}

function exprPure(e: Expr, root: RuleNode): boolean {
  for (const w of e.withs) if (!withPure(w, root)) return false;
  for (const t of [e.term, e.left, e.right, e.key, e.value, e.domain]) if (t !== undefined && !termPure(t, root)) return false;
  return e.body === undefined || bodyPure(e.body, root);
}

/** `with target as value`: the value is pure, and a function or builtin it puts in place of another is pure */
function withPure(w: With, root: RuleNode): boolean {
  const info = (w as With & { info?: WithInfo }).info;
  if (info === undefined) return false;
  if (info.kind === 'mock') {
    if (info.fn !== undefined) return targetPure(info.fn, root);
    // a value in place of a function or builtin
  }
  const v = w.value;
  if (v.t === 'var' && v.slot === SLOT_FUNC) return false; // a function name the compiler did not resolve
  return termPure(v, root);
}

function targetPure(target: CallTarget, root: RuleNode): boolean {
  if (target.kind === 'builtin') return !volatileBuiltin(target);
  return nodePure(target.node, root);
}

function termsPure(ts: Term[], root: RuleNode): boolean {
  for (const t of ts) if (!termPure(t, root)) return false;
  return true;
}

function termPure(t: Term, root: RuleNode): boolean {
  switch (t.t) {
    case 'const':
      return true;
    case 'var':
      // locals and input are values; data as a whole reaches every rule; anything unresolved is impure
      return t.slot >= 0 || t.slot === SLOT_INPUT || (t.slot === SLOT_DATA && subtreePure(root, root));
    case 'ref':
      if (!termsPure(t.path, root)) return false;
      if (t.head.t === 'var' && t.head.slot === SLOT_DATA) return dataRefPure(t, root);
      return termPure(t.head, root);
    case 'array':
    case 'set':
      return termsPure(t.items, root);
    case 'object':
      return termsPure(t.keys, root) && termsPure(t.values, root);
    case 'call': {
      const target = t.target as CallTarget | undefined;
      if (target === undefined || !targetPure(target, root)) return false;
      return termsPure(t.args, root);
    }
    case 'arraycompr':
    case 'setcompr':
      return termPure(t.head, root) && bodyPure(t.body, root);
    case 'objectcompr':
      return termPure(t.key, root) && termPure(t.value, root) && bodyPure(t.body, root);
    case 'template':
      for (const p of t.parts) if (typeof p !== 'string' && !exprPure(p, root)) return false;
      return true;
  }
}

/** data.<path>: the rules it can reach (if any) must be pure; base documents always are */
function dataRefPure(t: Term & { t: 'ref' }, root: RuleNode): boolean {
  let node = root;
  for (const p of t.path) {
    if (node.hasRules || node.isFunc) break;
    if (p.t !== 'const' || typeof p.v !== 'string') break;
    const child = node.children.get(p.v);
    if (child === undefined) return true; // only base documents from here on
    node = child;
  }
  return subtreePure(node, root);
}
