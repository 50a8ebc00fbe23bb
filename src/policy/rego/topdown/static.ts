/**
 * Rule values that cannot depend on input, kept across queries. A rule node is input-free when
 * none of its rules (bodies, heads, else clauses, default) reads `input`, uses `with`, calls a
 * builtin whose result can change between calls (time, random, uuid, print, ...), or refers to
 * another rule, function or data path that is not input-free itself. Such a node's value is the
 * same for every query over the same base documents, so the evaluator computes it once per data
 * document (and strictness) instead of once per query. Dependencies are analysed lazily, once per
 * node; anything the analysis does not recognise counts as input-dependent (no caching).
 */
import type { Expr, Term } from '../ast/types.js';
import type { CallTarget } from '../compile/compiler.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { SLOT_DATA } from '../compile/scope.js';
import type { Evaluator } from './eval.js';

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

const free = new WeakMap<RuleNode, boolean>();

/** true if the values of the rules at node (not below it) never depend on input */
export function inputFree(node: RuleNode, root: RuleNode): boolean {
  let r = free.get(node);
  if (r === undefined) {
    free.set(node, false); // recursion (or an error in the analysis) counts as dependent
    r = rulesFree(node, root);
    free.set(node, r);
  }
  return r;
}

/** input-free rules at node and at every node below it */
export function subtreeFree(node: RuleNode, root: RuleNode): boolean {
  if ((node.hasRules || node.isFunc) && !inputFree(node, root)) return false;
  for (const child of node.children.values()) if (child.subtreeRules && !subtreeFree(child, root)) return false;
  return true;
}

function rulesFree(node: RuleNode, root: RuleNode): boolean {
  const lists = [node.complete, node.sets, node.objects, node.funcs];
  for (const list of lists) for (const r of list) if (!ruleFree(r, root)) return false;
  return node.defaultRule === undefined || ruleFree(node.defaultRule, root);
}

function ruleFree(r: CRule, root: RuleNode): boolean {
  if (!bodyFree(r.body, root) || !termFree(r.value, root) || !termsFree(r.keyPath, root)) return false;
  if (r.setElem !== undefined && !termFree(r.setElem, root)) return false;
  if (r.args !== undefined && !termsFree(r.args, root)) return false;
  for (const e of r.elses) if (!bodyFree(e.body, root) || !termFree(e.value, root)) return false;
  return true;
}

function bodyFree(body: Expr[], root: RuleNode): boolean {
  for (const e of body) if (!exprFree(e, root)) return false;
  return true;
}

function exprFree(e: Expr, root: RuleNode): boolean {
  if (e.withs.length > 0) return false;
  for (const t of [e.term, e.left, e.right, e.key, e.value, e.domain]) if (t !== undefined && !termFree(t, root)) return false;
  return e.body === undefined || bodyFree(e.body, root);
}

function termsFree(ts: Term[], root: RuleNode): boolean {
  for (const t of ts) if (!termFree(t, root)) return false;
  return true;
}

function termFree(t: Term, root: RuleNode): boolean {
  switch (t.t) {
    case 'const':
      return true;
    case 'var':
      // locals; input, data as a whole and anything unresolved are dependencies
      return t.slot >= 0 || (t.slot === SLOT_DATA && subtreeFree(root, root));
    case 'ref':
      if (!termsFree(t.path, root)) return false;
      if (t.head.t === 'var' && t.head.slot === SLOT_DATA) return dataRefFree(t, root);
      return termFree(t.head, root);
    case 'array':
    case 'set':
      return termsFree(t.items, root);
    case 'object':
      return termsFree(t.keys, root) && termsFree(t.values, root);
    case 'call': {
      const target = t.target as CallTarget | undefined;
      if (target === undefined || volatileBuiltin(target)) return false;
      if (target.kind === 'func' && !inputFree(target.node, root)) return false;
      return termsFree(t.args, root);
    }
    case 'arraycompr':
    case 'setcompr':
      return termFree(t.head, root) && bodyFree(t.body, root);
    case 'objectcompr':
      return termFree(t.key, root) && termFree(t.value, root) && bodyFree(t.body, root);
    case 'template':
      for (const p of t.parts) if (typeof p !== 'string' && !exprFree(p, root)) return false;
      return true;
  }
}

/** data.<path>: the rules it can reach (if any) must be input-free; base documents always are */
function dataRefFree(t: Term & { t: 'ref' }, root: RuleNode): boolean {
  let node = root;
  for (const p of t.path) {
    if (node.hasRules || node.isFunc) break;
    if (p.t !== 'const' || typeof p.v !== 'string') break;
    const child = node.children.get(p.v);
    if (child === undefined) return true; // only base documents from here on
    node = child;
  }
  return subtreeFree(node, root);
}

interface Kept {
  /** the node's rules are input-free */
  free: boolean;
  data: unknown;
  strict: boolean;
  value: unknown;
}

export const NOT_KEPT: unique symbol = Symbol('not kept');

/** the entry of an input-free node when its value may be kept in this state (no `with` in force) */
export function keepable(ev: Evaluator, node: RuleNode): Kept | null {
  if (ev.st.shadow !== null || ev.st.mocks !== null) return null;
  let k = node.kept as Kept | undefined;
  if (k === undefined) {
    k = { free: inputFree(node, ev.root), data: NOT_KEPT, strict: false, value: undefined };
    node.kept = k;
  }
  return k.free ? k : null;
}

/** the value kept under the current data document (UNDEF: undefined), or NOT_KEPT */
export function keptValue(ev: Evaluator, k: Kept): unknown {
  return k.data === ev.st.data && k.strict === ev.opts.strict ? k.value : NOT_KEPT;
}

export function keep(ev: Evaluator, k: Kept, value: unknown): void {
  k.data = ev.st.data;
  k.strict = ev.opts.strict;
  k.value = value;
}
