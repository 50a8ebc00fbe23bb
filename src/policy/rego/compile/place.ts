/** Placing rules in the rule tree (static ref prefix -> node) and the names each module sees. */
import type { Module, Rule, Term } from '../ast/types.js';
import { fail } from './errors.js';
import type { Globals } from './scope.js';
import { RuleNode, type CRule, type RuleKind } from './tree.js';

export function moduleGlobals(mod: Module, ruleNames: Set<string>): Globals {
  const imports = new Map<string, string[]>();
  for (const imp of mod.imports) {
    const path = pathOf(imp.path);
    if (!path) fail(imp.loc, 'invalid import path');
    if (path[0] === 'future' || path[0] === 'rego') continue;
    if (path[0] !== 'data' && path[0] !== 'input') fail(imp.loc, `invalid import ${path.join('.')}: must begin with input or data`);
    const alias = imp.alias ?? path[path.length - 1]!;
    imports.set(alias, path);
  }
  return { imports, ruleNames, pkg: mod.pkg };
}

export function pathOf(t: Term): string[] | undefined {
  if (t.t === 'var') return [t.name];
  if (t.t !== 'ref' || t.head.t !== 'var') return undefined;
  const out = [t.head.name];
  for (const p of t.path) {
    if (p.t !== 'const' || typeof p.v !== 'string') return undefined;
    out.push(p.v);
  }
  return out;
}

export function placeRule(root: RuleNode, mod: Module, rule: Rule): CRule {
  let staticLen = 0;
  while (staticLen < rule.ref.length) {
    const r = rule.ref[staticLen]!;
    if (r.t !== 'const' || typeof r.v !== 'string') break;
    staticLen++;
  }
  let kind: RuleKind;
  let keyPath: Term[] = [];
  let setElem: Term | undefined;
  if (rule.args) {
    kind = 'func';
    if (staticLen < rule.ref.length) fail(rule.loc, 'function names must be static');
  } else if (rule.key && staticLen < rule.ref.length) {
    kind = 'object';
    keyPath = rule.ref.slice(staticLen);
    setElem = rule.key;
  } else if (rule.key) {
    kind = 'set';
    keyPath = [rule.key];
  } else if (staticLen < rule.ref.length) {
    kind = 'object';
    keyPath = rule.ref.slice(staticLen);
  } else kind = 'complete';
  const path = [...mod.pkg, ...rule.ref.slice(0, staticLen).map((t) => (t as { v: string }).v)];
  if (rule.elses.length > 0 && (kind === 'set' || (kind === 'object' && setElem))) {
    fail(rule.elses[0]!.loc, 'rego_parse_error: else keyword cannot be used on multi-value rules');
  }
  if (rule.elses.length > 0 && kind === 'object') {
    fail(rule.elses[0]!.loc, 'rego_parse_error: else keyword cannot be used on rules with variables in head');
  }
  let node = root;
  for (const seg of path) {
    node.subtreeRules = true;
    node = node.child(seg);
  }
  node.subtreeRules = true;
  const trueTerm: Term = { t: 'const', v: true, loc: rule.loc };
  const crule: CRule = {
    kind,
    node,
    rule,
    keyPath,
    value: rule.value ?? trueTerm,
    args: rule.args,
    body: rule.body,
    elses: rule.elses.map((e) => ({ value: e.value ?? trueTerm, body: e.body, loc: e.loc })),
    nslots: 0,
    isDefault: rule.isDefault,
    loc: rule.loc,
    constValue: undefined,
    setElem,
    quick: undefined,
    guard: undefined,
    keyed: undefined,
  };
  if (rule.isDefault) {
    if (kind === 'func') {
      node.defaultRule = crule;
    } else {
      if (kind !== 'complete') fail(rule.loc, 'default rules must not have a key');
      if (node.defaultRule) fail(rule.loc, `multiple default rules ${node.name} found`);
      node.defaultRule = crule;
    }
    node.update();
    return crule;
  }
  if (kind === 'complete') node.complete.push(crule);
  else if (kind === 'set') node.sets.push(crule);
  else if (kind === 'object') node.objects.push(crule);
  else node.funcs.push(crule);
  node.update();
  return crule;
}

