/**
 * `opa eval`-style query results: each top-level expression's value (a term's value, true for
 * other expressions) with its text and location, plus the query's variable bindings.
 */
import { parseQuery } from './ast/parser.js';
import type { Expr } from './ast/types.js';
import { RegoSyntaxError } from './ast/lexer.js';
import { RegoCompileError } from './compile/errors.js';
import type { EvalOptions, Policy } from './index.js';
import type { Value } from './value/index.js';

export interface ExpressionResult {
  value: Value;
  text: string;
  location: { row: number; col: number };
}

export interface QueryResult {
  expressions: ExpressionResult[];
  bindings: Record<string, Value>;
}

function exprTexts(src: string, body: Expr[]): string[] {
  const lines = src.split('\n');
  const offset = (line: number, col: number) => {
    let o = 0;
    for (let i = 0; i < line - 1; i++) o += lines[i]!.length + 1;
    return o + col - 1;
  };
  return body.map((e, i) => {
    const start = offset(e.loc.line, e.loc.col);
    const end = i + 1 < body.length ? offset(body[i + 1]!.loc.line, body[i + 1]!.loc.col) : src.length;
    return src.slice(start, end).trim().replace(/;$/, '').trim();
  });
}

export function evalQuery(policy: Policy, src: string, opts: EvalOptions = {}): QueryResult[] {
  let parsed: Expr[];
  try {
    parsed = parseQuery(src);
  } catch (e) {
    if (e instanceof RegoSyntaxError) throw new RegoCompileError([{ file: 'query', line: e.line, col: e.col, message: `rego_parse_error: ${e.message}` }]);
    throw e;
  }
  const texts = exprTexts(src, parsed);
  const captured: (string | null)[] = [];
  const rewritten = parsed.map((e, i): Expr => {
    if (e.kind !== 'term' || e.negated) {
      captured.push(null);
      return e;
    }
    const name = `$e${i}`;
    captured.push(name);
    return { ...e, kind: 'assign', left: { t: 'var', name, loc: e.loc, slot: -1 }, right: e.term, term: undefined };
  });
  const rows = policy.evalBody(rewritten, opts, true);
  return rows.map((row) => {
    const expressions = parsed.map((e, i) => ({
      value: captured[i] ? row[captured[i]!]! : true,
      text: texts[i]!,
      location: { row: e.loc.line, col: e.loc.col },
    }));
    const bindings: Record<string, Value> = {};
    for (const [k, v] of Object.entries(row)) if (!k.startsWith('$')) bindings[k] = v;
    return { expressions, bindings };
  });
}
