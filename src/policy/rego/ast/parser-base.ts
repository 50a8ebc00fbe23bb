/** Token cursor shared by the Rego parsers. */
import { RegoSyntaxError, type Token } from './lexer.js';
import type { Loc } from './types.js';

export const KEYWORDS = new Set([
  'package',
  'import',
  'as',
  'default',
  'else',
  'not',
  'with',
  'some',
  'every',
  'in',
  'contains',
  'if',
  'true',
  'false',
  'null',
]);

export class Cursor {
  pos = 0;
  constructor(
    readonly toks: Token[],
    readonly file: string,
  ) {}

  get tok(): Token {
    return this.toks[this.pos]!;
  }
  peek(k = 1): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }
  next(): Token {
    const t = this.toks[this.pos]!;
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  loc(t: Token = this.tok): Loc {
    return { file: this.file, line: t.line, col: t.col };
  }
  isOp(text: string, t: Token = this.tok): boolean {
    return t.kind === 'op' && t.text === text;
  }
  /** keyword (not used as the head of a ref such as in.foo or if[x]) */
  isKw(text: string, t: Token = this.tok): boolean {
    if (t.kind !== 'ident' || t.text !== text) return false;
    if (t !== this.tok) return true;
    const n = this.peek();
    return !(n.kind === 'op' && !n.sp && (n.text === '.' || n.text === '['));
  }
  acceptOp(text: string): boolean {
    if (this.isOp(text)) {
      this.next();
      return true;
    }
    return false;
  }
  expectOp(text: string): Token {
    if (!this.isOp(text)) throw this.error(`expected ${text}`);
    return this.next();
  }
  error(msg: string, t: Token = this.tok): RegoSyntaxError {
    const found = t.kind === 'eof' ? 'EOF' : t.kind === 'string' ? 'string' : t.text;
    return new RegoSyntaxError(`${msg}${msg.startsWith('unexpected') ? '' : ` (found ${found})`}`, t.line, t.col);
  }
}
