/** Calls a registered Rego builtin directly (no evaluator), for the builtin unit tests. */
import { lookupBuiltin, type BuiltinContext } from '../../src/policy/rego/builtins/index.js';
import type { Value } from '../../src/policy/rego/value/index.js';

export function makeCtx(nowNs = 1_700_000_000_000_000_000n): BuiltinContext {
  return { nowNs, cache: new Map(), print() {}, strict: true };
}

/** result of the builtin, or throws its BuiltinError / BuiltinTypeError */
export function call(name: string, args: Value[], ctx: BuiltinContext = makeCtx()): Value | undefined {
  const def = lookupBuiltin(name);
  if (def === undefined) throw new Error(`no builtin ${name}`);
  return def.fn(args, ctx);
}

/** the error a builtin call throws: its OPA code and message */
export function callError(name: string, args: Value[], ctx: BuiltinContext = makeCtx()): { code: string; message: string } {
  try {
    call(name, args, ctx);
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { code: err.code ?? 'js_error', message: err.message };
  }
  throw new Error(`${name} did not fail`);
}
