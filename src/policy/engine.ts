/**
 * What the decision point needs from a policy engine, so that the Rego interpreter (rego/) and the
 * opa-wasm path (wasm/) are interchangeable: compile a set of sources with their data once, then
 * evaluate one rule of the decision package many times with different input documents.
 */
import type { ArgumentClass } from '../types.js';

/** One policy source: a Rego module's text, or (wasm) a compiled bundle's bytes. */
export interface PolicySource {
  /** Absolute path; compile errors name it. */
  path: string;
  text?: string;
  bytes?: Uint8Array;
}

/** A compiled policy with its data, evaluated many times. */
export interface CompiledPolicy {
  /**
   * Value of `data.<package>.<rule>` for this input (plain JSON: sets become arrays), or
   * undefined when the rule is undefined. Throws PolicyEvalError on an evaluation error.
   */
  evaluate(rule: string, input: Record<string, unknown>): unknown;
  /** Whether the decision package defines this rule at all. */
  defines(rule: string): boolean;
  /**
   * Optional fast path: the values of the decision rules of one phase (request: allow and deny;
   * response: deny and redact) from ONE evaluation, so the helper rules they share are computed
   * once. Undefined rules are absent from the result.
   */
  evaluatePhase?(phase: 'request' | 'response', input: Record<string, unknown>): DecisionValues;
  /**
   * Optional static analysis: false only when the values of these rules of the decision package
   * (and everything they reach) are certainly the same for every input (no input read, no `with`,
   * no time/random/network builtin). Absent or true: evaluate every request.
   */
  dependsOnInput?(rules: readonly string[]): boolean;
  /**
   * Optional static analysis: true only when the values of these rules of the decision package (and
   * everything they reach) are a function of the input document and the data alone (no time, random,
   * network or other volatile builtin, also not through `with`), so that an equal input gets an equal
   * value. Absent or false: a decision is never reused.
   */
  isPure?(rules: readonly string[]): boolean;
  /**
   * Optional static analysis: the members of input.arguments (and of input.params) that these rules
   * of the decision package (and everything they reach) can observe, or null when it cannot be
   * bounded. Absent or null: a decision is keyed on the whole params.
   */
  inputFootprint?(rules: readonly string[]): { arguments: readonly string[]; params: readonly string[] } | null;
  /**
   * Optional static analysis with its check: the members of input.arguments these rules observe
   * only by class (types.ts ArgumentClass), and byClass(input): true when the values these rules
   * had for that input hold for every input equal to it but in those members, each of the same
   * class (the rules that read them otherwise were all undefined). null: none.
   */
  classKeys?(rules: readonly string[]): ClassKeys | null;
  close?(): void;
}

export interface ClassKeys {
  readonly classes: readonly ArgumentClass[];
  /** never throws: false when not shown */
  byClass(input: Record<string, unknown>): boolean;
}

export interface DecisionValues {
  allow?: unknown;
  deny?: unknown;
  redact?: unknown;
}

export interface CompileOptions {
  /**
   * A builtin's error (a type error, `to_number("x")`, ...) during a decision: true ends the
   * evaluation with a PolicyEvalError (the request is denied); false makes the expression undefined
   * (OPA's default). An engine without a strict mode (wasm) ignores it.
   */
  strictBuiltinErrors: boolean;
}

export interface PolicyEngine {
  readonly name: 'rego' | 'wasm';
  /** Throws PolicyCompileError whose message lists every problem as file:line:col: message. */
  compile(sources: PolicySource[], data: Record<string, unknown>, packageName: string, options: CompileOptions): CompiledPolicy;
}

/** A policy that cannot be loaded: the message names file:line:col for each problem. */
export class PolicyCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyCompileError';
  }
}

/** An error while evaluating: becomes a deny (fail closed); `location` is file:line:col when known. */
export class PolicyEvalError extends Error {
  constructor(
    message: string,
    readonly location?: string,
  ) {
    super(location ? `${location}: ${message}` : message);
    this.name = 'PolicyEvalError';
  }
}
