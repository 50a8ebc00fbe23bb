/** Evaluation errors with OPA error codes and locations. */
import type { Loc } from '../ast/types.js';

export class RegoEvalError extends Error {
  constructor(
    /** eval_conflict_error | eval_builtin_error | eval_type_error | eval_internal_error | ... */
    readonly code: string,
    readonly detail: string,
    readonly loc?: Loc,
  ) {
    super(`${loc ? `${loc.file}:${loc.line}: ` : ''}${code}: ${detail}`);
    this.name = 'RegoEvalError';
  }
}
