/**
 * Parse stage: the lexer turns Rego source into tokens (with line/column, comments kept for
 * METADATA), the parser builds the AST of a module or query (Rego v1 grammar: package, imports,
 * rules with ref heads, contains/if/else/default, functions, some/every/in/not/with, comprehensions,
 * raw and template strings), and annotations.ts attaches METADATA blocks. Syntax errors are
 * RegoSyntaxError with a line and column.
 */
export * from './types.js';
export { parseModule, parseQuery, RegoSyntaxError } from './parser.js';
export { tokenize, type Token, type Comment } from './lexer.js';
