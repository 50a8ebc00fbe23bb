/** Evaluation errors with OPA error codes and locations. */
import type { Loc } from '../ast/types.js';

export class RegoEvalError extends Error {
  constructor(
    /** eval_conflict_error | eval_builtin_error | eval_type_error | eval_internal_error | ... */
    readonly code: string,
    readonly detail: string,
    readonly loc?: Loc,
    /**
     * What of the detail may be shown outside the policy's author (a deny reason, the audit, a log),
     * when not all of it: a builtin's error names the builtin, and its message only when that quotes
     * no value it was given (BuiltinError.quotesNoValue). Undefined: the detail names no input value.
     */
    readonly shownDetail?: string,
  ) {
    super(`${loc ? `${loc.file}:${loc.line}: ` : ''}${code}: ${detail}`);
    this.name = 'RegoEvalError';
  }
}
