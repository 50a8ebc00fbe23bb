/** Rego AST: terms, expressions, rules and modules with source locations. */
import type { Value } from '../value/index.js';

export interface Loc {
  file: string;
  line: number;
  col: number;
}

export type Term =
  | ConstTerm
  | VarTerm
  | RefTerm
  | ArrayTerm
  | ObjectTerm
  | SetTerm
  | CallTerm
  | ArrayCompr
  | SetCompr
  | ObjectCompr
  | TemplateTerm;

export interface ConstTerm {
  t: 'const';
  v: Value;
  loc: Loc;
}
export interface VarTerm {
  t: 'var';
  name: string;
  loc: Loc;
  /** frame slot index, assigned by the compiler for local variables */
  slot: number;
}
export interface RefTerm {
  t: 'ref';
  head: Term;
  path: Term[];
  loc: Loc;
  /** compiler: the rule node (without nodes below it) that path[0..leafDepth) names */
  leaf?: unknown;
  leafDepth?: number;
}
export interface ArrayTerm {
  t: 'array';
  items: Term[];
  loc: Loc;
}
export interface ObjectTerm {
  t: 'object';
  keys: Term[];
  values: Term[];
  loc: Loc;
}
export interface SetTerm {
  t: 'set';
  items: Term[];
  loc: Loc;
}
export interface CallTerm {
  t: 'call';
  /** dotted function name as written (operators use their builtin names: plus, equal, ...) */
  name: string;
  /** the name as a ref, for resolution of user functions */
  fn: Term;
  args: Term[];
  loc: Loc;
  /** resolved by the compiler */
  target?: unknown;
}
export interface ArrayCompr {
  /** slots allocated inside the comprehension: [lo, hi) (set by the compiler) */
  lo?: number;
  hi?: number;
  t: 'arraycompr';
  head: Term;
  body: Expr[];
  loc: Loc;
}
export interface SetCompr {
  /** slots allocated inside the comprehension: [lo, hi) (set by the compiler) */
  lo?: number;
  hi?: number;
  t: 'setcompr';
  head: Term;
  body: Expr[];
  loc: Loc;
}
export interface ObjectCompr {
  /** slots allocated inside the comprehension: [lo, hi) (set by the compiler) */
  lo?: number;
  hi?: number;
  t: 'objectcompr';
  key: Term;
  value: Term;
  body: Expr[];
  loc: Loc;
}
export interface TemplateTerm {
  t: 'template';
  /** slots allocated inside the parts: [lo, hi) (set by the compiler) */
  lo?: number;
  hi?: number;
  /** literal text, or an expression (a literal: term plus optional 'with' modifiers) */
  parts: (string | Expr)[];
  loc: Loc;
}

export interface With {
  target: Term;
  value: Term;
  loc: Loc;
}

export type ExprKind = 'term' | 'unify' | 'assign' | 'some' | 'somein' | 'every';

export interface Expr {
  kind: ExprKind;
  negated: boolean;
  withs: With[];
  loc: Loc;
  /** kind 'term' */
  term?: Term;
  /** unify / assign */
  left?: Term;
  right?: Term;
  /** some x, y */
  vars?: VarTerm[];
  /** somein / every: optional key, value, domain; every: body */
  key?: Term;
  value?: Term;
  domain?: Term;
  body?: Expr[];
  /** every: slots allocated inside its body [lo, hi) */
  lo?: number;
  hi?: number;
  /** term calls: the last argument is an output (set by the compiler) */
  output?: boolean;
}

export interface ElseClause {
  value?: Term;
  body: Expr[];
  loc: Loc;
}

export interface Rule {
  loc: Loc;
  /** head ref: first element is a string const (the rule name), then path terms */
  ref: Term[];
  args?: Term[];
  /** partial set rule (contains) */
  key?: Term;
  value?: Term;
  assign: boolean;
  isDefault: boolean;
  body: Expr[];
  elses: ElseClause[];
}

export interface Import {
  path: Term;
  alias?: string;
  loc: Loc;
}

export interface Module {
  file: string;
  pkg: string[];
  pkgLoc: Loc;
  imports: Import[];
  rules: Rule[];
  /** METADATA comment blocks, attached to the package or a rule */
  annotations?: Annotation[];
}

export interface Annotation {
  /** rule scope/document scope: the rule; package/subpackages: undefined */
  rule?: Rule;
  scope: 'rule' | 'document' | 'package' | 'subpackages';
  /** the annotation document (normalised: authors as {name, email}, ...) */
  data: Record<string, unknown>;
  loc: Loc;
}
