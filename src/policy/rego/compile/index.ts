/**
 * Compile stage: merges modules by package into the rule tree (tree.ts, place.ts), resolves names
 * to frame slots, rules, imports, input and data (scope.ts), resolves calls to builtins or user
 * functions with arity checks, checks safety and reorders bodies so every variable is bound before
 * use (safety.ts), folds constant literals (helpers.ts), detects recursion and conflicting rule
 * kinds (checks.ts) and attaches METADATA (metadata.ts). Errors: RegoCompileError, file:line:col.
 */
export { compileModules, BodyCompiler, type Compiled, type CompiledQuery, type CallTarget, type SourceFile } from './compiler.js';
export { RegoCompileError, type CompileIssue } from './errors.js';
export { RuleNode, type CRule } from './tree.js';
