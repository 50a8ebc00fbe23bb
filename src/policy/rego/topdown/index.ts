/**
 * Evaluation stage: top-down evaluation in continuation-passing style with backtracking
 * (eval.ts: bodies, expressions, terms, unification), references into values and into data where
 * base documents and rules meet (refs.ts), rules: complete with else/default, partial sets and
 * objects, functions, conflicts (rules.ts), rule indexing on input equality (ruleindex.ts), calls
 * with builtin errors and mocks (calls.ts), the `with` keyword (with.ts). Errors: RegoEvalError.
 */
export { Evaluator } from './eval.js';
export { RegoEvalError } from './errors.js';
export { QueryContext } from './context.js';
