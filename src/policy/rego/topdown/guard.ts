/**
 * A rule's guard: its first expression when that is a plain test of a rule value or of an input
 * path (`verb_kind == "write"`, `tool != "x"`, `server_request`, `not input.tool`), kept on the
 * rule itself in a compact form. Most rules of a policy fail at such a first test for most
 * requests; checking the guard reads the rule value (computed once per query) and compares it,
 * without touching the rule's compiled clauses, steps and closures, so that a clause that is ruled
 * out costs a few memory reads. A guard that passes says nothing more: the clause then runs from
 * its first expression as usual. Only without `with` (no data shadowed, no builtin mocked).
 */
import type { Expr, Term } from '../ast/types.js';
import type { CallTarget } from '../compile/compiler.js';
import type { CRule, RuleNode } from '../compile/tree.js';
import { SLOT_DATA, SLOT_INPUT } from '../compile/scope.js';
import type { Value } from '../value/index.js';
import { member } from './direct.js';
import type { Evaluator } from './eval.js';
import { nodeRuleValue } from './rules.js';
import { UNDEF } from './state.js';

const TRUTHY = 0;
const EQUAL = 1;
const NOT_EQUAL = 2;

export interface Guard {
  /** the rule whose value is tested, or null for an input path */
  node: RuleNode | null;
  /** the input path tested (node null) */
  path: string[];
  op: number;
  /** EQUAL / NOT_EQUAL: the string compared with */
  text: string;
  negated: boolean;
}

/** the value a guard tests: a rule value exactly (no path below it), or an input path of names */
function subject(t: Term): { node: RuleNode | null; path: string[] } | null {
  if (t.t !== 'ref' || t.head.t !== 'var') return null;
  const names: string[] = [];
  for (const p of t.path) {
    if (p.t !== 'const' || typeof p.v !== 'string' || p.v === '__proto__') return null;
    names.push(p.v);
  }
  if (t.head.slot === SLOT_INPUT) return { node: null, path: names };
  if (t.head.slot !== SLOT_DATA || t.leaf === undefined || t.leafDepth !== t.path.length) return null;
  const leaf = t.leaf as RuleNode;
  return leaf.hasRules && leaf.children.size === 0 ? { node: leaf, path: [] } : null;
}

function guardOfExpr(e: Expr | undefined): Guard | null {
  if (e === undefined || e.withs.length > 0 || e.kind !== 'term' || e.output) return null;
  const t = e.term!;
  const negated = e.negated === true;
  if (t.t === 'ref') {
    const s = subject(t);
    return s === null ? null : { node: s.node, path: s.path, op: TRUTHY, text: '', negated };
  }
  if (t.t !== 'call' || t.args.length !== 2) return null;
  const target = t.target as CallTarget | undefined;
  if (target?.kind !== 'builtin' || (target.def.name !== 'equal' && target.def.name !== 'neq')) return null;
  const op = target.def.name === 'equal' ? EQUAL : NOT_EQUAL;
  const [a, b] = t.args as [Term, Term];
  const constSide = b.t === 'const' && typeof b.v === 'string' ? b : a.t === 'const' && typeof a.v === 'string' ? a : null;
  if (constSide === null) return null;
  const s = subject(constSide === b ? a : b);
  return s === null ? null : { node: s.node, path: s.path, op, text: constSide.v as string, negated };
}

/** the guard of a rule's body (else clauses are not guarded), made once per rule */
export function guardOf(r: CRule): Guard | null {
  let g = r.guard as Guard | null | undefined;
  if (g === undefined) {
    g = guardOfExpr(r.body[0]);
    r.guard = g;
  }
  return g;
}

/** true when the rule's body certainly fails at its first expression in this state */
export function guardFails(ev: Evaluator, g: Guard): boolean {
  const st = ev.st;
  if (st.shadow !== null || st.mocks !== null) return false;
  let v: Value | undefined;
  const node = g.node;
  if (node !== null) {
    if (node.cacheGen === st.gen) {
      const c = node.cacheVal;
      v = c === UNDEF ? undefined : (c as Value);
    } else v = nodeRuleValue(ev, node);
  } else {
    v = st.input;
    const path = g.path;
    for (let i = 0; i < path.length && v !== undefined; i++) v = member(v, path[i]!);
  }
  let passes: boolean;
  if (g.op === TRUTHY) passes = v !== undefined && v !== false;
  else passes = v !== undefined && (v === g.text) === (g.op === EQUAL);
  return passes === g.negated;
}
