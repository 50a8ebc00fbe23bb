/**
 * Builtin function interface and registry of the Rego engine.
 *
 * A builtin is `{ name, arity, fn(args, ctx) }`: `fn` receives the evaluated operands (exactly
 * `arity` of them, or any number when `variadic`) and returns the result Value, or `undefined`
 * when the call is undefined. It signals errors by throwing:
 *   - BuiltinTypeError(msg)  -> OPA `eval_type_error`, e.g. operandTypeError(1, got, 'string')
 *     gives "operand 1 must be string but got number";
 *   - BuiltinError(msg)      -> OPA `eval_builtin_error` (e.g. "invalid regular expression").
 * The evaluator prefixes messages with "<name>: " and the location. Without strict mode an error
 * makes the call undefined (as OPA does); with strict builtin errors it aborts the query. Set
 * `halt: true` on an error to abort regardless.
 *
 * OWNERSHIP. The engine core (builtins/core/, owned by the Rego engine engineer) implements:
 *   operators and comparison: equal, neq, lt, lte, gt, gte, eq (unification), assign;
 *   arithmetic: plus, minus, mul, div, rem, abs, round, ceil, floor;
 *   sets: and, or, minus (set difference), intersection, union;
 *   aggregates: count, sum, product, max, min, sort, all, any;
 *   casts and type checks: to_number, is_number, is_string, is_boolean, is_array, is_set,
 *     is_object, is_null, type_name;
 *   print, walk (handled by the evaluator), internal.member_2, internal.member_3,
 *   internal.print, internal.template_string, trace, opa.runtime (empty object) and http.send
 *   (declared for `with` mocks in tests; calling it is an error: policies make no HTTP calls).
 * The builtins engineer implements everything else (strings, regex, sprintf, glob,
 * json/yaml/base64/hex/urlquery, time, net, semver, units, crypto, jwt, uuid, object.*, array.*,
 * json.patch/filter/remove, graph.*, numbers.range, bits.*, ...) in modules under builtins/,
 * each exporting `builtins: BuiltinDef[]`, registered in builtins/index.ts.
 */
import { typeName, type Value } from '../value/index.js';

export interface BuiltinContext {
  /** evaluation time in ns since the epoch, fixed for the whole query (time.now_ns) */
  readonly nowNs: bigint;
  /** per-query cache, e.g. for compiled regexes or random values (key by builtin name + args) */
  readonly cache: Map<string, unknown>;
  /** print sink (print builtin) */
  print(message: string): void;
  /** strict builtin errors: errors abort evaluation instead of making the call undefined */
  readonly strict: boolean;
}

export interface BuiltinDef {
  /** full dotted name, e.g. "strings.replace_n" */
  readonly name: string;
  /** number of operands (outputs excluded). For variadic builtins: the minimum. */
  readonly arity: number;
  readonly variadic?: boolean;
  /** true for builtins whose result may differ between calls with equal operands */
  readonly nondeterministic?: boolean;
  fn(args: Value[], ctx: BuiltinContext): Value | undefined;
}

/** OPA eval_builtin_error */
export class BuiltinError extends Error {
  readonly code: string = 'eval_builtin_error';
  halt = false;
  /**
   * The message quotes no value the builtin was given (only operand positions and type names), so
   * it may be shown outside the policy's author (a deny reason, the audit, a log). False for any
   * other message: `to_number("...")`'s quotes its operand, which may be a secret.
   */
  quotesNoValue = false;
  constructor(message: string) {
    super(message);
    this.name = 'BuiltinError';
  }
}

/** OPA eval_type_error (operand of the wrong type at run time) */
export class BuiltinTypeError extends BuiltinError {
  override readonly code: string = 'eval_type_error';
  constructor(message: string) {
    super(message);
    this.name = 'BuiltinTypeError';
  }
}

/** "operand 1 must be string but got number" / "operand 2 must be one of {set, array} but got ..." */
export function operandTypeError(pos: number, got: Value, ...expected: string[]): BuiltinTypeError {
  const exp = expected.length === 1 ? expected[0]! : 'one of {' + expected.join(', ') + '}';
  return valueFree(new BuiltinTypeError(`operand ${pos} must be ${exp} but got ${typeName(got)}`));
}

/** `e`, marked as quoting no value (BuiltinError.quotesNoValue): for messages made of operand positions and type names only. */
export function valueFree<E extends BuiltinError>(e: E): E {
  e.quotesNoValue = true;
  return e;
}

const registry = new Map<string, BuiltinDef>();

export function registerBuiltins(defs: Iterable<BuiltinDef> | Record<string, BuiltinDef>): void {
  const list: Iterable<BuiltinDef> =
    Symbol.iterator in (defs as object) ? (defs as Iterable<BuiltinDef>) : Object.values(defs);
  for (const d of list) registry.set(d.name, d);
}

export function lookupBuiltin(name: string): BuiltinDef | undefined {
  return registry.get(name);
}

export function allBuiltins(): ReadonlyMap<string, BuiltinDef> {
  return registry;
}
