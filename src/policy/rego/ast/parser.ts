/** Rego module and query parser (Rego v1 syntax). */
import { RegoSyntaxError, tokenize, type Comment } from './lexer.js';
import { attachAnnotations } from './annotations.js';
import { TermParser, mkVar } from './parser-terms.js';
import type { ElseClause, Expr, Import, Module, Rule, Term } from './types.js';

export { RegoSyntaxError };

export function parseModule(src: string, file = 'module.rego'): Module {
  const comments: Comment[] = [];
  const p = new ModuleParser(tokenize(src, 1, 1, comments), file);
  const mod = p.parseModule();
  if (comments.some((c) => c.text.trim() === 'METADATA')) mod.annotations = attachAnnotations(mod, comments);
  return mod;
}

export function parseQuery(src: string, file = 'query'): Expr[] {
  const p = new TermParser(tokenize(src), file);
  const out: Expr[] = [];
  while (p.tok.kind !== 'eof') {
    out.push(p.parseLiteral());
    if (p.acceptOp(';')) continue;
    if ((p.tok.kind as string) !== 'eof' && !p.tok.nl) throw p.error('unexpected token');
  }
  if (out.length === 0) throw p.error('empty query');
  return out;
}

/** flattens a ref of string keys (package/import paths) */
function pathOf(t: Term): string[] | undefined {
  if (t.t === 'var') return [t.name];
  if (t.t !== 'ref' || t.head.t !== 'var') return undefined;
  const out = [t.head.name];
  for (const p of t.path) {
    if (p.t !== 'const' || typeof p.v !== 'string') return undefined;
    out.push(p.v);
  }
  return out;
}

class ModuleParser extends TermParser {
  parseModule(): Module {
    if (!this.isKw('package')) throw this.error('expected package');
    const pkgLoc = this.loc();
    this.next();
    const pkgTerm = this.parsePrimaryRefAllowKw();
    const pkg = pathOf(pkgTerm);
    if (!pkg) throw this.error('invalid package path');
    const mod: Module = { file: this.file, pkg, pkgLoc, imports: [], rules: [] };
    while (this.isKw('import') && !this.kwRef()) {
      const loc = this.loc();
      this.next();
      const path = this.parsePrimaryRefAllowKw();
      const imp: Import = { path, loc };
      if (this.isKw('as')) {
        this.next();
        if (this.tok.kind !== 'ident') throw this.error('expected alias');
        imp.alias = this.next().text;
      }
      this.endOfStatement();
      mod.imports.push(imp);
    }
    while (this.tok.kind !== 'eof') {
      if (this.isKw('import') && !this.kwRef()) throw this.error('unexpected import: imports must come before rules');
      if (this.isKw('package') && !this.kwRef()) throw this.error('unexpected package keyword');
      mod.rules.push(this.parseRule());
    }
    return mod;
  }

  /** keyword used as the head of a rule ref (import.foo := 1) */
  private kwRef(): boolean {
    const t = this.peek();
    return t.kind === 'op' && !t.sp && (t.text === '.' || t.text === '[' || t.text === '(');
  }

  private parsePrimaryRefAllowKw(): Term {
    const t = this.tok;
    if (t.kind !== 'ident') throw this.error('expected identifier');
    this.next();
    let term: Term = mkVar(t.text, this.loc(t));
    while (true) {
      if (this.isOp('.') && !this.tok.sp) {
        this.next();
        const id = this.next();
        if (id.kind !== 'ident') throw this.error('expected identifier', id);
        term = append(term, { t: 'const', v: id.text, loc: this.loc(id) });
      } else if (this.isOp('[') && !this.tok.sp) {
        this.next();
        const k = this.parseTermExpr(false);
        this.expectOp(']');
        term = append(term, k);
      } else break;
    }
    return term;
  }

  private endOfStatement(): void {
    if (this.tok.kind !== 'eof' && !this.tok.nl && !this.isOp(';')) throw this.error('unexpected token');
    this.acceptOp(';');
  }

  private parseRule(): Rule {
    const loc = this.loc();
    let isDefault = false;
    if (this.isKw('default') && this.peek().kind === 'ident') {
      this.next();
      isDefault = true;
    }
    const headTerm = this.parsePrimaryRefAllowKw();
    const ref: Term[] = [];
    if (headTerm.t === 'var') ref.push({ t: 'const', v: headTerm.name, loc: headTerm.loc });
    else if (headTerm.t === 'ref' && headTerm.head.t === 'var') {
      ref.push({ t: 'const', v: headTerm.head.name, loc: headTerm.head.loc });
      ref.push(...headTerm.path);
    } else throw this.error('invalid rule head');
    const rule: Rule = { loc, ref, assign: false, isDefault, body: [], elses: [] };
    if (this.isOp('(') && !this.tok.sp) {
      this.next();
      rule.args = [];
      while (!this.isOp(')')) {
        rule.args.push(this.parseTermExpr(false));
        if (!this.acceptOp(',')) break;
      }
      this.expectOp(')');
    }
    if (this.isKw('contains')) {
      this.next();
      rule.key = this.parseTermExpr(false);
    }
    if (this.isOp(':=') || this.isOp('=')) {
      rule.assign = this.next().text === ':=';
      rule.value = this.parseTermExpr(false);
    }
    if (isDefault) {
      if (!rule.value) throw this.error('default rules must have a value assigned');
      this.endOfStatement();
      return rule;
    }
    rule.body = this.parseRuleBody(true) ?? [];
    while (this.isKw('else')) {
      const eloc = this.loc();
      this.next();
      const clause: ElseClause = { body: [], loc: eloc };
      if (this.isOp(':=') || this.isOp('=')) {
        this.next();
        clause.value = this.parseTermExpr(false);
      }
      clause.body = this.parseRuleBody(false) ?? [];
      rule.elses.push(clause);
    }
    this.endOfStatement();
    return rule;
  }

  /** 'if' body | 'if' literal | '{' body '}' | nothing */
  private parseRuleBody(allowNone: boolean): Expr[] | undefined {
    if (this.isKw('if')) {
      this.next();
      if (this.isOp('{')) {
        // a block, or a literal starting with an object/set (comprehension): `if {x: 1 | ...}`
        const save = this.pos;
        try {
          return this.parseBraceBody();
        } catch (e) {
          if (!(e instanceof RegoSyntaxError)) throw e;
          this.pos = save;
          try {
            return [this.parseLiteral()];
          } catch {
            throw e;
          }
        }
      }
      return [this.parseLiteral()];
    }
    if (this.isOp('{') && !this.tok.nl) {
      throw this.error('`if` keyword is required before rule body');
    }
    void allowNone;
    return undefined;
  }
}

function append(term: Term, key: Term): Term {
  if (term.t === 'ref') return { t: 'ref', head: term.head, path: [...term.path, key], loc: term.loc };
  return { t: 'ref', head: term, path: [key], loc: term.loc };
}
