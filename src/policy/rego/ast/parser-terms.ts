/** Rego term and expression parser (infix operators, refs, calls, collections, comprehensions). */
import { parseNumber, RSet } from '../value/index.js';
import { tokenize, RegoSyntaxError } from './lexer.js';
import { Cursor, KEYWORDS } from './parser-base.js';
import type { Expr, Loc, Term, VarTerm, With } from './types.js';

const REL: Record<string, string> = { '==': 'equal', '!=': 'neq', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };
const ARITH: Record<string, string> = { '+': 'plus', '-': 'minus' };
const FACTOR: Record<string, string> = { '*': 'mul', '/': 'div', '%': 'rem' };

export function mkVar(name: string, loc: Loc): VarTerm {
  return { t: 'var', name, loc, slot: -1 };
}

export function mkCall(name: string, args: Term[], loc: Loc): Term {
  return { t: 'call', name, fn: mkVar(name, loc), args, loc };
}

export class TermParser extends Cursor {
  /** parses a full body literal-level expression (unify/assign/in with key), plus 'with' modifiers */
  parseLiteral(): Expr {
    const loc = this.loc();
    let e: Expr;
    if (this.isKw('some') && !this.isAdjRef(1)) {
      this.next();
      e = this.parseSome(loc);
    } else if (this.isKw('every') && !this.isAdjRef(1)) {
      this.next();
      e = this.parseEvery(loc);
    } else {
      let negated = false;
      if (this.isKw('not') && !this.isAdjRef(1)) {
        this.next();
        negated = true;
      }
      e = this.parseExprBody(loc);
      e.negated = negated;
    }
    while (this.isKw('with')) {
      const wl = this.loc();
      this.next();
      const target = this.parseTermExpr(false);
      if (!this.isKw('as')) throw this.error('expected as');
      this.next();
      const value = this.parseTermExpr(false);
      e.withs.push({ target, value, loc: wl } as With);
    }
    return e;
  }

  private isAdjRef(k: number): boolean {
    const t = this.peek(k);
    return t.kind === 'op' && (t.text === '.' || t.text === '[' || t.text === '(') && !t.sp;
  }

  private parseExprBody(loc: Loc): Expr {
    const lhs = this.parseTermExpr(false);
    if (this.isOp(':=')) {
      this.next();
      return { kind: 'assign', negated: false, withs: [], loc, left: lhs, right: this.parseTermExpr(false) };
    }
    if (this.isOp('=')) {
      this.next();
      return { kind: 'unify', negated: false, withs: [], loc, left: lhs, right: this.parseTermExpr(false) };
    }
    if (this.isOp(',')) {
      const kv = this.tryKeyValueIn(lhs);
      if (kv) return { kind: 'term', negated: false, withs: [], loc, term: kv };
    }
    return { kind: 'term', negated: false, withs: [], loc, term: lhs };
  }

  /** after `k` at a ',': parses `, v in xs [in ys ...]` as internal.member_3, or restores */
  private tryKeyValueIn(key: Term): Term | undefined {
    const save = this.pos;
    this.next();
    const v = this.parseRelation(false);
    if (!this.isKw('in')) {
      this.pos = save;
      return undefined;
    }
    const loc = this.loc();
    this.next();
    let term = mkCall('internal.member_3', [key, v, this.parseRelation(false)], loc);
    while (this.isKw('in')) {
      const l = this.loc();
      this.next();
      term = mkCall('internal.member_2', [term, this.parseRelation(false)], l);
    }
    return term;
  }

  private parseSome(loc: Loc): Expr {
    const terms: Term[] = [this.parseRelation(false)];
    while (this.isOp(',')) {
      this.next();
      terms.push(this.parseRelation(false));
    }
    if (this.isKw('in')) {
      this.next();
      if (terms.length > 2) throw this.error('unexpected , in some declaration');
      const domain = this.parseRelation(false);
      return {
        kind: 'somein',
        negated: false,
        withs: [],
        loc,
        key: terms.length === 2 ? terms[0] : undefined,
        value: terms[terms.length - 1],
        domain,
      };
    }
    for (const t of terms) if (t.t !== 'var') throw new RegoSyntaxError('expected var in some declaration', t.loc.line, t.loc.col);
    return { kind: 'some', negated: false, withs: [], loc, vars: terms as VarTerm[] };
  }

  private parseEvery(loc: Loc): Expr {
    const first = this.parseRelation(false);
    let key: Term | undefined;
    let value = first;
    if (this.acceptOp(',')) {
      key = first;
      value = this.parseRelation(false);
    }
    if (!this.isKw('in')) throw this.error('expected in');
    this.next();
    const domain = this.parseRelation(false);
    const body = this.parseBraceBody();
    return { kind: 'every', negated: false, withs: [], loc, key, value, domain, body };
  }

  /** '{' literals '}' */
  parseBraceBody(): Expr[] {
    this.expectOp('{');
    const body = this.parseLiterals('}');
    this.expectOp('}');
    return body;
  }

  /** literals separated by ';' or newlines, until the closing op */
  parseLiterals(close: string): Expr[] {
    const out: Expr[] = [];
    while (!this.isOp(close)) {
      if (this.tok.kind === 'eof') throw this.error('unexpected eof');
      out.push(this.parseLiteral());
      if (this.acceptOp(';')) continue;
      if (!this.isOp(close) && !this.tok.nl) throw this.error('unexpected token');
    }
    return out;
  }

  /** a term with infix operators (no unification); noOr disables '|' (inside comprehension heads) */
  parseTermExpr(noOr: boolean): Term {
    let lhs = this.parseRelation(noOr);
    while (this.isKw('in')) {
      const loc = this.loc();
      this.next();
      const rhs = this.parseRelation(noOr);
      lhs = mkCall('internal.member_2', [lhs, rhs], loc);
    }
    return lhs;
  }

  parseRelation(noOr: boolean): Term {
    let lhs = this.parseOr(noOr);
    while (this.tok.kind === 'op' && REL[this.tok.text]) {
      const op = this.next();
      lhs = mkCall(REL[op.text]!, [lhs, this.parseOr(noOr)], this.loc(op));
    }
    return lhs;
  }

  private parseOr(noOr: boolean): Term {
    let lhs = this.parseAnd();
    while (!noOr && this.isOp('|')) {
      const op = this.next();
      lhs = mkCall('or', [lhs, this.parseAnd()], this.loc(op));
    }
    return lhs;
  }

  private parseAnd(): Term {
    let lhs = this.parseArith();
    while (this.isOp('&')) {
      const op = this.next();
      lhs = mkCall('and', [lhs, this.parseArith()], this.loc(op));
    }
    return lhs;
  }

  private parseArith(): Term {
    let lhs = this.parseFactor();
    while (this.tok.kind === 'op' && ARITH[this.tok.text]) {
      const op = this.next();
      lhs = mkCall(ARITH[op.text]!, [lhs, this.parseFactor()], this.loc(op));
    }
    return lhs;
  }

  private parseFactor(): Term {
    let lhs = this.parsePrimaryRef();
    while (this.tok.kind === 'op' && FACTOR[this.tok.text]) {
      const op = this.next();
      lhs = mkCall(FACTOR[op.text]!, [lhs, this.parsePrimaryRef()], this.loc(op));
    }
    return lhs;
  }

  /** primary term followed by ref accessors (.x, [y]) and calls */
  parsePrimaryRef(): Term {
    let term = this.parsePrimary();
    while (true) {
      const t = this.tok;
      if (this.isOp('.') && !t.sp) {
        this.next();
        const id = this.tok;
        if (id.kind !== 'ident' || id.sp) throw this.error('expected identifier');
        this.next();
        term = appendRef(term, { t: 'const', v: id.text, loc: this.loc(id) });
      } else if (this.isOp('[') && !t.sp) {
        this.next();
        const key = this.parseTermExpr(false);
        this.expectOp(']');
        term = appendRef(term, key);
      } else if (this.isOp('(') && !t.sp && (term.t === 'var' || term.t === 'ref')) {
        const name = refName(term);
        if (name === undefined) throw this.error('invalid function name');
        this.next();
        const args: Term[] = [];
        while (!this.isOp(')')) {
          args.push(this.parseTermExpr(false));
          if (!this.acceptOp(',')) break;
        }
        this.expectOp(')');
        if (name === 'set' && args.length === 0) term = { t: 'const', v: new RSet(), loc: term.loc };
        else term = { t: 'call', name, fn: term, args, loc: term.loc };
      } else break;
    }
    return term;
  }

  private parsePrimary(): Term {
    const t = this.tok;
    const loc = this.loc(t);
    switch (t.kind) {
      case 'number': {
        this.next();
        return { t: 'const', v: numberConst(t.text, t), loc };
      }
      case 'string':
      case 'rawstring':
        this.next();
        return { t: 'const', v: t.text, loc };
      case 'template':
        this.next();
        return this.templateTerm(t.parts!, loc);
      case 'ident': {
        if ((t.text === 'true' || t.text === 'false') && !this.isAdjRef(1)) {
          this.next();
          return { t: 'const', v: t.text === 'true', loc };
        }
        if (t.text === 'null' && !this.isAdjRef(1)) {
          this.next();
          return { t: 'const', v: null, loc };
        }
        if (KEYWORDS.has(t.text) && !this.isAdjRef(1)) throw this.error(`unexpected ${t.text} keyword`);
        this.next();
        return mkVar(t.text, loc);
      }
      case 'op':
        break;
      default:
        throw this.error('unexpected eof');
    }
    if (t.text === '-') {
      this.next();
      const n = this.tok;
      if (n.kind === 'number' && !n.sp) {
        this.next();
        return { t: 'const', v: numberConst('-' + n.text, n), loc };
      }
      const operand = this.parsePrimaryRef();
      return mkCall('minus', [{ t: 'const', v: 0, loc }, operand], loc);
    }
    if (t.text === '(') {
      this.next();
      let inner = this.parseTermExpr(false);
      if (this.isOp(',')) inner = this.tryKeyValueIn(inner) ?? inner;
      this.expectOp(')');
      return inner;
    }
    if (t.text === '[') return this.parseArray();
    if (t.text === '{') return this.parseBrace();
    throw this.error('unexpected ' + t.text + ' token');
  }

  private parseArray(): Term {
    const loc = this.loc();
    this.next();
    if (this.acceptOp(']')) return { t: 'array', items: [], loc };
    const first = this.parseTermExpr(true);
    if (this.acceptOp('|')) {
      const body = this.parseLiterals(']');
      this.expectOp(']');
      return { t: 'arraycompr', head: first, body, loc };
    }
    const items = [first];
    while (this.acceptOp(',')) {
      if (this.isOp(']')) break;
      items.push(this.parseTermExpr(false));
    }
    this.expectOp(']');
    return { t: 'array', items, loc };
  }

  private parseBrace(): Term {
    const loc = this.loc();
    this.next();
    if (this.acceptOp('}')) return { t: 'object', keys: [], values: [], loc };
    const first = this.parseTermExpr(true);
    if (this.acceptOp(':')) {
      const v = this.parseTermExpr(true);
      if (this.acceptOp('|')) {
        const body = this.parseLiterals('}');
        this.expectOp('}');
        return { t: 'objectcompr', key: first, value: v, body, loc };
      }
      const keys = [first];
      const values = [v];
      while (this.acceptOp(',')) {
        if (this.isOp('}')) break;
        keys.push(this.parseTermExpr(false));
        this.expectOp(':');
        values.push(this.parseTermExpr(false));
      }
      this.expectOp('}');
      return { t: 'object', keys, values, loc };
    }
    if (this.acceptOp('|')) {
      const body = this.parseLiterals('}');
      this.expectOp('}');
      return { t: 'setcompr', head: first, body, loc };
    }
    const items = [first];
    while (this.acceptOp(',')) {
      if (this.isOp('}')) break;
      items.push(this.parseTermExpr(false));
    }
    this.expectOp('}');
    return { t: 'set', items, loc };
  }

  private templateTerm(parts: { lit?: string; expr?: string; line: number; col: number }[], loc: Loc): Term {
    const out: (string | Expr)[] = [];
    for (const p of parts) {
      if (p.expr === undefined) {
        out.push(p.lit ?? '');
        continue;
      }
      const sub = new TermParser(tokenize(p.expr, p.line, p.col), this.file);
      if (sub.tok.kind === 'eof') throw new RegoSyntaxError('empty template expression', p.line, p.col);
      const term = sub.parseLiteral();
      if ((sub.tok.kind as string) !== 'eof') throw sub.error('unexpected token in template expression');
      out.push(term);
    }
    return { t: 'template', parts: out, loc };
  }
}

function numberConst(text: string, t: { line: number; col: number }) {
  const v = parseNumber(text);
  if (v === undefined) throw new RegoSyntaxError(`invalid number ${text}`, t.line, t.col);
  return v;
}

function appendRef(term: Term, key: Term): Term {
  if (term.t === 'ref') return { t: 'ref', head: term.head, path: [...term.path, key], loc: term.loc };
  return { t: 'ref', head: term, path: [key], loc: term.loc };
}

/** dotted name of a var or a ref of string keys (for calls) */
export function refName(term: Term): string | undefined {
  if (term.t === 'var') return term.name;
  if (term.t !== 'ref' || term.head.t !== 'var') return undefined;
  let s = term.head.name;
  for (const p of term.path) {
    if (p.t !== 'const' || typeof p.v !== 'string') return undefined;
    s += '.' + p.v;
  }
  return s;
}
