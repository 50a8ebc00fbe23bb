/** Evaluation state shared by the evaluator modules. */
import type { Value } from '../value/index.js';
import type { CallTarget } from '../compile/compiler.js';
import type { BuiltinContext } from '../builtins/registry.js';

export type Frame = (Value | undefined)[];
/** continuation: returns true to stop the enumeration */
export type K = () => boolean;
export type VK = (v: Value) => boolean;

export type Mock = { value: Value } | { fn: CallTarget };

export interface EvalState {
  input: Value | undefined;
  /** base documents (data) */
  data: Value;
  /** rule tree nodes hidden by `with data.x as ...` (by node name) */
  shadow: string[] | null;
  /** cache generation: rule node values cached under another generation are stale (new per query
   * and per `with` scope; see RuleNode.cacheGen) */
  gen: number;
  /**
   * the generation of the rule values carried over from earlier queries (topdown/carry.ts): a node
   * whose cacheGen is this one holds a value valid in this query too; -1 when none (and in every
   * `with` scope)
   */
  carryGen: number;
  /** function/builtin replacements from `with` (by target name) */
  mocks: Map<string, Mock> | null;
}

export const UNDEF: unique symbol = Symbol('undefined');

let generation = 0;
/** a fresh cache generation */
export function nextGen(): number {
  generation = (generation + 1) % Number.MAX_SAFE_INTEGER || 1;
  return generation;
}

export interface EvalOptions {
  strict: boolean;
  ctx: BuiltinContext;
  /**
   * top-level input members that the caller passes as the same immutable values query after
   * query (e.g. ['client', 'tool']): rule values that read only these are kept across queries
   * while they are the same (topdown/partial.ts)
   */
  stable?: readonly string[];
}
