/**
 * The generator's state for one query: the constants array (every value, node and term the source
 * needs is passed in K, never spliced into the source), generated names, and the rule nodes and
 * functions whose JS functions are still to be written. Unsupported ends the whole compilation.
 */
import type { RuleNode } from '../compile/tree.js';

/** a construct the code generator does not compile: the whole query falls back to the interpreter */
export class Unsupported extends Error {
  constructor(readonly reason: string) {
    super(`codegen: ${reason}`);
  }
}

/** slots bound at a point of a body (copied when one more is bound) */
export type Bound = ReadonlySet<number>;

export function withSlot(b: Bound, slot: number): Bound {
  if (b.has(slot)) return b;
  const out = new Set(b);
  out.add(slot);
  return out;
}

export class Gen {
  readonly consts: unknown[] = [];
  private readonly constIds = new Map<unknown, number>();
  private n = 0;
  /** rule nodes evaluated as values (n<i>) and as functions (f<i>) */
  readonly nodeNames = new Map<RuleNode, string>();
  readonly funcNames = new Map<RuleNode, string>();
  readonly pendingNodes: RuleNode[] = [];
  readonly pendingFuncs: RuleNode[] = [];

  /** the stable roots (PreparedRules' stable option) whose values the query reads, S0, S1, ... */
  readonly stableRoots: string[] = [];

  /**
   * root: the rule tree; stable: top-level input members the caller passes as the same immutable
   * objects query after query (rules reading only those and data are kept across queries), or null
   */
  constructor(
    readonly root: RuleNode,
    readonly stable: readonly string[] | null,
  ) {}

  /** the identifier holding input.<name> of a stable root in this query */
  stableRoot(name: string): string {
    let i = this.stableRoots.indexOf(name);
    if (i < 0) i = this.stableRoots.push(name) - 1;
    return `S${i}`;
  }

  /** a constant: its place in K, as source text (only digits come from the generator) */
  k(v: unknown): string {
    let id = this.constIds.get(v);
    if (id === undefined) {
      id = this.consts.length;
      this.consts.push(v);
      this.constIds.set(v, id);
    }
    return `K[${id}]`;
  }

  /** a fresh identifier */
  tmp(prefix = 't'): string {
    return `${prefix}${this.n++}`;
  }

  /** the name of the generated function giving a rule node's value (cached per query) */
  node(n: RuleNode): string {
    let name = this.nodeNames.get(n);
    if (name === undefined) {
      name = `n${this.nodeNames.size}`;
      this.nodeNames.set(n, name);
      this.pendingNodes.push(n);
    }
    return name;
  }

  /** the name of the generated function for a user function */
  func(n: RuleNode): string {
    let name = this.funcNames.get(n);
    if (name === undefined) {
      name = `f${this.funcNames.size}`;
      this.funcNames.set(n, name);
      this.pendingFuncs.push(n);
    }
    return name;
  }
}
