/**
 * The input footprint of a set of rules: which top-level members of `input.arguments` (and of
 * `input.params`, other than `name` and `arguments`) their values can observe, found statically
 * over the compiled rules and everything they reach (rules, else clauses, defaults, functions, data
 * paths). Two inputs that agree on those members (present or absent, equal values), on whether
 * `input.arguments` is an object, and on every other input root give equal values. A caller keys
 * reused decisions on that projection instead of on the whole arguments.
 *
 * Values that may BE the arguments object, the params object or the whole input are tracked
 * through local variables, complete rule values, function parameters and results, and
 * object.get. Such a value may only be: looked into with a constant string key (that key is
 * observed), given to object.get with a constant key, to a type check (is_object, type_name...),
 * tested for being defined and not false, assigned (:=) to a local or returned as a rule's or a
 * function's whole value (where the rule or function has one complete rule or clause: the values
 * of two are compared, a conflict being an error). Anything else (iteration, a variable key, any
 * other builtin such as count, json.marshal or walk, a comparison or `=` unification (a call's
 * output argument too: `f(x, out)` unifies out with the result), being put in a
 * collection, a string template, `with`, a dynamic data path that reaches a rule returning one, recursion) makes
 * the footprint unbounded (null): the caller then keys on the whole input. Conservative by design.
 */
import type { CRule, RuleNode } from '../compile/tree.js';
import { FootprintWalk, unbounded, type InputFootprint } from './footprint-walk.js';

export type { InputFootprint } from './footprint-walk.js';

/**
 * The footprint of these rules of one package (and of rule values at its ancestors, which hold the
 * rules too when defined there), or null when unbounded. A rule that is not defined observes nothing.
 */
export function inputFootprint(root: RuleNode, packagePath: readonly string[], ruleNames: readonly string[]): InputFootprint | null {
  const walk = new FootprintWalk(root);
  try {
    walkRules(walk, root, packagePath, ruleNames);
  } catch {
    // unbounded, or a shape the walk does not know: either way the whole input is the key
    return null;
  }
  return { arguments: [...walk.args].sort(), params: [...walk.params].sort() };
}

/** walks these rules of one package, and rule values at its ancestors (inputFootprint); throws when unbounded */
export function walkRules(walk: FootprintWalk, root: RuleNode, packagePath: readonly string[], ruleNames: readonly string[]): void {
  for (const name of ruleNames) {
    let node: RuleNode | undefined = root;
    for (const seg of [...packagePath, name]) {
      if ((node.hasRules || node.isFunc) && walk.node(node) !== 0) unbounded();
      node = node.children.get(seg);
      if (node === undefined) break;
    }
    if (node !== undefined) walk.subtree(node);
  }
}

/**
 * What the value of the rules at one node (not below it) observes of input.arguments and
 * input.params, or null when unbounded or when that value may be (or hold) one of those objects or
 * the whole input. Other input roots are not covered: see partial.ts inputRoots.
 */
export function nodeFootprint(root: RuleNode, node: RuleNode): InputFootprint | null {
  const walk = new FootprintWalk(root);
  try {
    if (walk.node(node) !== 0) return null;
  } catch {
    return null;
  }
  return { arguments: [...walk.args].sort(), params: [...walk.params].sort() };
}

/** the same for one rule (its body, value and else clauses, with all they reach) */
export function ruleFootprint(root: RuleNode, r: CRule): InputFootprint | null {
  const walk = new FootprintWalk(root);
  try {
    if (walk.ruleTags(r) !== 0) return null;
  } catch {
    return null;
  }
  return { arguments: [...walk.args].sort(), params: [...walk.params].sort() };
}

/**
 * What the values of these rule nodes (not below them) observe of input.arguments and input.params
 * (as nodeFootprint, over all of them), and for each arguments member the rule nodes that observe
 * it themselves: in their own rules, in the functions those call, through a value that may be the
 * arguments object (a rule `args := input.arguments`, a local, object.get), but not through the
 * value of another rule node (reading `reads_secrets` observes reads_secrets's value, not what it
 * read). The nodes they reach only through rule values that hold none of these objects observe a
 * member only through the values of its readers: two inputs equal in every other member and in
 * the readers' values give the nodes equal values. null when unbounded, as nodeFootprint.
 */
export function memberReaders(root: RuleNode, nodes: readonly RuleNode[]): { footprint: InputFootprint; readers: Map<string, RuleNode[]> } | null {
  const walk = new FootprintWalk(root, true);
  try {
    for (const node of nodes) if (walk.node(node) !== 0) return null;
  } catch {
    return null;
  }
  const readers = new Map<string, RuleNode[]>();
  for (const [node, members] of walk.owned!) {
    for (const m of members) {
      let list = readers.get(m);
      if (list === undefined) readers.set(m, (list = []));
      list.push(node);
    }
  }
  return { footprint: { arguments: [...walk.args].sort(), params: [...walk.params].sort() }, readers };
}
