/** Compile errors with locations (file:line:col: message), as `opa check` reports them. */
import type { Loc } from '../ast/types.js';

export interface CompileIssue {
  file: string;
  line: number;
  col: number;
  message: string;
}

export class RegoCompileError extends Error {
  constructor(readonly issues: CompileIssue[]) {
    super(issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).join('\n'));
    this.name = 'RegoCompileError';
  }
}

export function issue(loc: Loc, message: string): CompileIssue {
  return { file: loc.file, line: loc.line, col: loc.col, message };
}

/** thrown inside the compiler for a single issue; collected by compileModules */
export class IssueError extends Error {
  constructor(readonly issue: CompileIssue) {
    super(issue.message);
  }
}

export function fail(loc: Loc, message: string): never {
  throw new IssueError(issue(loc, message));
}
