/** The rule tree: one node per static path segment under data, holding the rules defined there. */
import type { Expr, Loc, Rule, Term } from '../ast/types.js';
import type { Value } from '../value/index.js';

export type RuleKind = 'complete' | 'set' | 'object' | 'func';

export interface ElseBody {
  value: Term;
  body: Expr[];
  loc: Loc;
}

export interface CRule {
  kind: RuleKind;
  node: RuleNode;
  rule: Rule;
  /** object rules: key terms after the node path; set rules: [element] */
  keyPath: Term[];
  value: Term;
  args: Term[] | undefined;
  body: Expr[];
  elses: ElseBody[];
  nslots: number;
  isDefault: boolean;
  loc: Loc;
  /** constant value (no else): lets complete rules stop at the first success */
  constValue: Value | undefined;
  /** multi-value rules with a dynamic ref (a[x] contains y): the element */
  setElem?: Term;
  /** evaluator: the clauses compiled for direct evaluation (topdown/steps.ts clausesOf) */
  quick: unknown;
  /** evaluator: the body's first test in compact form, or null (topdown/guard.ts) */
  guard: unknown;
  /** evaluator: the members a set rule added, kept by the input members it can observe (topdown/keyed.ts) */
  keyed: unknown;
  /** rego.metadata.rule() / chain() values (rules with METADATA in their modules) */
  meta?: { rule: Value; chain: Value };
}

export class RuleNode {
  readonly children = new Map<string, RuleNode>();
  readonly complete: CRule[] = [];
  readonly sets: CRule[] = [];
  readonly objects: CRule[] = [];
  readonly funcs: CRule[] = [];
  defaultRule: CRule | undefined;
  /** rules anywhere at or below this node */
  subtreeRules = false;
  /** '.'-joined absolute path (data.a.b) */
  readonly name: string;
  constructor(readonly path: string[]) {
    this.name = ['data', ...path].join('.');
  }
  /** evaluator cache: the value computed under generation cacheGen (see topdown/state.ts) */
  cacheGen = 0;
  cacheVal: unknown = undefined;
  /** evaluator: the value kept across queries when the rules here are input-free (topdown/static.ts) */
  kept: unknown = undefined;
  /** evaluator: the value kept while the stable input roots it reads are the same (topdown/partial.ts) */
  partial: unknown = undefined;
  /** evaluator: the roots its value was decided by, and the value kept by them (topdown/effective.ts) */
  effective: unknown = undefined;
  /** evaluator: the value kept by the input members it can observe (topdown/keyed.ts) */
  keyed: unknown = undefined;
  /** rules (not functions) are defined at this node; kept current by update() */
  hasRules = false;
  /** functions are defined at this node */
  isFunc = false;
  /** recomputes hasRules / isFunc after rules were added */
  update(): void {
    this.hasRules =
      this.complete.length > 0 ||
      this.sets.length > 0 ||
      this.objects.length > 0 ||
      (this.defaultRule !== undefined && this.defaultRule.kind !== 'func');
    this.isFunc = this.funcs.length > 0 || this.defaultRule?.kind === 'func';
  }
  child(seg: string): RuleNode {
    let c = this.children.get(seg);
    if (!c) {
      c = new RuleNode([...this.path, seg]);
      this.children.set(seg, c);
    }
    return c;
  }
  /** node at path below this one, or undefined */
  find(path: readonly string[]): RuleNode | undefined {
    let n: RuleNode | undefined = this;
    for (const p of path) {
      n = n.children.get(p);
      if (!n) return undefined;
    }
    return n;
  }
}
