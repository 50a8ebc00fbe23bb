/**
 * Rules that name a member of the input when it is an object: `args := input.arguments if
 * is_object(input.arguments)` (with or without `default args := {}`), the commonest first line of a
 * policy pack. Such a node's value is the member itself when it is an object, else the default's
 * constant (or undefined): read directly (nodeRuleValue), without evaluating its rule. Recognized
 * statically, once per node: one complete rule of no else and no function, whose body is the one
 * expression `is_object(input.M)` (the builtin, not negated, no `with`) and whose value is
 * `input.M` for the same constant member name M, and a default (if any) that is a constant. The
 * evaluator reads input.M as it would (st.input, that is also what `with input...` replaced), and
 * only without `with` mocks in force (a mocked is_object takes the rule's own path).
 */
import type { Term } from '../ast/types.js';
import type { RuleNode } from '../compile/tree.js';
import { SLOT_INPUT } from '../compile/scope.js';
import { isObject, type Value } from '../value/index.js';
import type { Evaluator } from './eval.js';
import { lookup } from './refs.js';

export interface InputAlias {
  /** the member of input named */
  member: string;
  /** the default's constant, or undefined (no default) */
  fallback: Value | undefined;
}

const aliases = new WeakMap<RuleNode, InputAlias | null>();

/** the member M of `input.M` (a constant string), else null */
function inputMember(t: Term | undefined): string | null {
  if (t === undefined || t.t !== 'ref' || t.head.t !== 'var' || t.head.slot !== SLOT_INPUT || t.path.length !== 1) return null;
  const p = t.path[0]!;
  return p.t === 'const' && typeof p.v === 'string' ? p.v : null;
}

function recognize(node: RuleNode): InputAlias | null {
  if (!node.hasRules || node.isFunc || node.complete.length !== 1 || node.sets.length !== 0 || node.objects.length !== 0 || node.children.size !== 0) return null;
  const r = node.complete[0]!;
  if (r.kind !== 'complete' || r.elses.length !== 0 || r.args !== undefined || r.body.length !== 1) return null;
  const e = r.body[0]!;
  if (e.kind !== 'term' || e.negated || e.withs.length !== 0) return null;
  const call = e.term;
  if (call === undefined || call.t !== 'call' || call.name !== 'is_object' || call.args.length !== 1) return null;
  const target = call.target as { kind?: string } | undefined;
  if (target === undefined || target.kind !== 'builtin') return null;
  const member = inputMember(call.args[0]);
  if (member === null || inputMember(r.value) !== member) return null;
  const d = node.defaultRule;
  if (d !== undefined && (d.kind !== 'complete' || d.value.t !== 'const' || d.body.length !== 0)) return null;
  return { member, fallback: d === undefined ? undefined : (d.value as { v: Value }).v };
}

/** the node's alias, or null when it is not one */
export function inputAliasOf(node: RuleNode): InputAlias | null {
  let a = aliases.get(node);
  if (a === undefined) {
    a = recognize(node);
    aliases.set(node, a);
  }
  return a;
}

/** the value of an alias node in this query (no `with` mocks in force): input.M when an object, else the fallback */
export function aliasValue(ev: Evaluator, a: InputAlias): Value | undefined {
  const input = ev.st.input;
  const v = input === undefined ? undefined : lookup(input, a.member);
  return v !== undefined && isObject(v) ? v : a.fallback;
}
