/**
 * A rule's guard: its first expression when that is a plain test of a rule value or of an input
 * path (`verb_kind == "write"`, `tool != "x"`, `server_request`, `not input.tool`,
 * `args.all == true`, `is_string(args.x)`, `startswith(input.resource.uri, "k8s://")`), kept on the
 * rule itself in a compact form. Most rules of a policy fail at such a first test for most
 * requests; checking the guard reads the rule value (computed once per query) and compares it,
 * without touching the rule's compiled clauses, steps and closures, so that a clause that is ruled
 * out costs a few memory reads; a clause whose guard passes runs from its second expression. Only
 * without `with` (no data shadowed, no builtin mocked).
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
const IS_STRING = 3;
const STARTS_WITH = 4;

export interface Guard {
  /** the rule whose value is tested (then path below it), or null for an input path */
  node: RuleNode | null;
  /** the names looked up in the rule value, or in the input (node null) */
  path: string[];
  op: number;
  /** EQUAL / NOT_EQUAL: the string or boolean compared with; STARTS_WITH: the prefix */
  text: string | boolean;
  negated: boolean;
}

/** the value a guard tests: a rule value or an input document, then constant names below it */
function subject(t: Term): { node: RuleNode | null; path: string[] } | null {
  if (t.t !== 'ref' || t.head.t !== 'var') return null;
  const names: string[] = [];
  for (const p of t.path) {
    if (p.t !== 'const' || typeof p.v !== 'string' || p.v === '__proto__') return null;
    names.push(p.v);
  }
  if (t.head.slot === SLOT_INPUT) return { node: null, path: names };
  if (t.head.slot !== SLOT_DATA || t.leaf === undefined) return null;
  const leaf = t.leaf as RuleNode;
  return leaf.hasRules && leaf.children.size === 0 ? { node: leaf, path: names.slice(t.leafDepth!) } : null;
}

/** is_string(x) and startswith(x, "prefix") */
function callGuard(name: string, args: Term[], negated: boolean): Guard | null {
  if (name === 'is_string' && args.length === 1) {
    const s = subject(args[0]!);
    return s === null ? null : { node: s.node, path: s.path, op: IS_STRING, text: '', negated };
  }
  if (name === 'startswith' && args.length === 2) {
    const b = args[1]!;
    const s = b.t === 'const' && typeof b.v === 'string' ? subject(args[0]!) : null;
    return s === null ? null : { node: s.node, path: s.path, op: STARTS_WITH, text: (b as { v: string }).v, negated };
  }
  return null;
}

function guardOfExpr(e: Expr | undefined): Guard | null {
  if (e === undefined || e.withs.length > 0 || e.kind !== 'term' || e.output) return null;
  const t = e.term!;
  const negated = e.negated === true;
  if (t.t === 'ref') {
    const s = subject(t);
    return s === null ? null : { node: s.node, path: s.path, op: TRUTHY, text: '', negated };
  }
  if (t.t !== 'call') return null;
  const target = t.target as CallTarget | undefined;
  if (target?.kind !== 'builtin') return null;
  if (target.def.name !== 'equal' && target.def.name !== 'neq') return callGuard(target.def.name, t.args, negated);
  if (t.args.length !== 2) return null;
  const op = target.def.name === 'equal' ? EQUAL : NOT_EQUAL;
  const [a, b] = t.args as [Term, Term];
  // a string or a boolean equals only itself (===)
  const plain = (x: Term) => x.t === 'const' && (typeof x.v === 'string' || typeof x.v === 'boolean');
  const constSide = plain(b) ? b : plain(a) ? a : null;
  if (constSide === null) return null;
  const s = subject(constSide === b ? a : b);
  return s === null ? null : { node: s.node, path: s.path, op, text: (constSide as { v: string | boolean }).v, negated };
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

export const GUARD_FAILS = 0;
export const GUARD_PASSES = 1;
export const GUARD_UNKNOWN = 2;

/**
 * GUARD_FAILS when the rule's body certainly fails at its first expression in this state,
 * GUARD_PASSES when that expression certainly passes (the body can go on from its second),
 * GUARD_UNKNOWN when the guard cannot tell (`with` in force, a builtin error to raise)
 */
export function guardCheck(ev: Evaluator, g: Guard): number {
  const st = ev.st;
  if (st.shadow !== null || st.mocks !== null) return GUARD_UNKNOWN;
  let v: Value | undefined;
  const node = g.node;
  if (node === null) v = st.input;
  else if (node.cacheGen === st.gen || node.cacheGen === st.carryGen) {
    const c = node.cacheVal;
    v = c === UNDEF ? undefined : (c as Value);
  } else v = nodeRuleValue(ev, node);
  const path = g.path;
  for (let i = 0; i < path.length && v !== undefined; i++) v = member(v, path[i]!);
  let passes: boolean;
  switch (g.op) {
    case TRUTHY:
      passes = v !== undefined && v !== false;
      break;
    case IS_STRING:
      passes = typeof v === 'string';
      break;
    case STARTS_WITH:
      // a value that is not a string is a builtin error (an error in strict mode): not decided here
      if (v !== undefined && typeof v !== 'string') return GUARD_UNKNOWN;
      passes = v !== undefined && v.startsWith(g.text as string);
      break;
    default:
      passes = v !== undefined && (v === g.text) === (g.op === EQUAL);
  }
  return passes === g.negated ? GUARD_FAILS : GUARD_PASSES;
}
