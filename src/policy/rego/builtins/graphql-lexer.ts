/**
 * GraphQL lexer (as gqlparser tokenises): punctuators, names, numbers, strings with escapes,
 * block strings with the spec's indentation stripping, comments and insignificant commas skipped,
 * 1-based line/column positions counted in runes. Lexical errors produce an Invalid token carrying
 * the message, which the parser reports when it consumes the token.
 */

export const enum K {
  Invalid,
  EOF,
  Bang,
  Dollar,
  Amp,
  ParenL,
  ParenR,
  Spread,
  Colon,
  Equals,
  At,
  BracketL,
  BracketR,
  BraceL,
  BraceR,
  Pipe,
  Name,
  Int,
  Float,
  String,
  BlockString,
}

const KIND_NAMES = ['<Invalid>', '<EOF>', '!', '$', '&', '(', ')', '...', ':', '=', '@', '[', ']', '{', '}', '|', 'Name', 'Int', 'Float', 'String', 'BlockString'];

export function kindName(k: K): string {
  return KIND_NAMES[k]!;
}

export interface Token {
  kind: K;
  value: string;
  line: number;
  col: number;
  error?: string;
}

/** Go's strconv.Quote, for token descriptions */
function quote(s: string): string {
  return JSON.stringify(s);
}

export function tokenText(t: Token): string {
  return t.value !== '' ? `${kindName(t.kind)} ${quote(t.value)}` : kindName(t.kind);
}

const PUNCT: Record<string, K> = {
  '!': K.Bang,
  $: K.Dollar,
  '&': K.Amp,
  '(': K.ParenL,
  ')': K.ParenR,
  ':': K.Colon,
  '=': K.Equals,
  '@': K.At,
  '[': K.BracketL,
  ']': K.BracketR,
  '{': K.BraceL,
  '}': K.BraceR,
  '|': K.Pipe,
};

/** the spec's BlockStringValue: common indentation and blank first/last lines removed */
function blockStringValue(raw: string): string {
  const lines = raw.split(/\r\n|[\n\r]/);
  let common = -1;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    const indent = l.length - l.replace(/^[ \t]+/, '').length;
    if (indent < l.length && (common < 0 || indent < common)) common = indent;
  }
  if (common > 0) for (let i = 1; i < lines.length; i++) lines[i] = lines[i]!.slice(common);
  while (lines.length > 0 && /^[ \t]*$/.test(lines[0]!)) lines.shift();
  while (lines.length > 0 && /^[ \t]*$/.test(lines[lines.length - 1]!)) lines.pop();
  return lines.join('\n');
}

export class Lexer {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private readonly runes: string[];

  constructor(src: string) {
    this.runes = Array.from(src);
  }

  private tok(kind: K, value: string, startIdx: number, line: number, lineStart: number): Token {
    return { kind, value, line, col: startIdx - lineStart + 1 };
  }

  private invalid(msg: string, idx = this.i): Token {
    return { kind: K.Invalid, value: '', line: this.line, col: idx - this.lineStart + 1, error: msg };
  }

  private newline(at: number): void {
    this.line++;
    this.lineStart = at;
  }

  next(): Token {
    const r = this.runes;
    // whitespace, commas, comments
    for (;;) {
      const c = r[this.i];
      if (c === ' ' || c === '\t' || c === ',' || c === '\ufeff') this.i++;
      else if (c === '\n') {
        this.i++;
        this.newline(this.i);
      } else if (c === '\r') {
        this.i++;
        if (r[this.i] === '\n') this.i++;
        this.newline(this.i);
      } else if (c === '#') {
        while (this.i < r.length && r[this.i] !== '\n' && r[this.i] !== '\r') this.i++;
      } else break;
    }
    const start = this.i;
    const line = this.line;
    const ls = this.lineStart;
    if (this.i >= r.length) return this.tok(K.EOF, '', start, line, ls);
    const c = r[this.i]!;
    const p = PUNCT[c];
    if (p !== undefined) {
      this.i++;
      return this.tok(p, '', start, line, ls);
    }
    if (c === '.') {
      if (r[this.i + 1] === '.' && r[this.i + 2] === '.') {
        this.i += 3;
        return this.tok(K.Spread, '', start, line, ls);
      }
      return this.invalid(`Unexpected character "."`);
    }
    if (/[_A-Za-z]/.test(c)) {
      let j = this.i + 1;
      while (j < r.length && /[_0-9A-Za-z]/.test(r[j]!)) j++;
      const v = r.slice(this.i, j).join('');
      this.i = j;
      return this.tok(K.Name, v, start, line, ls);
    }
    if (c === '-' || /[0-9]/.test(c)) return this.number(start, line, ls);
    if (c === '"') {
      if (r[this.i + 1] === '"' && r[this.i + 2] === '"') return this.blockString(start, line, ls);
      return this.string(start, line, ls);
    }
    return this.invalid(`Unexpected character ${quote(c)}`);
  }

  private number(start: number, line: number, ls: number): Token {
    const rest = this.runes.slice(this.i, this.i + 400).join('');
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(rest);
    if (m === null || /^[._A-Za-z]/.test(rest.slice(m[0].length))) return this.invalid('Invalid number');
    this.i += m[0].length;
    return this.tok(m[2] || m[3] ? K.Float : K.Int, m[0], start, line, ls);
  }

  private string(start: number, line: number, ls: number): Token {
    const r = this.runes;
    let j = this.i + 1;
    let out = '';
    while (j < r.length) {
      const c = r[j]!;
      if (c === '"') {
        this.i = j + 1;
        // gqlparser positions string tokens after their opening quote
        return this.tok(K.String, out, start + 1, line, ls);
      }
      if (c === '\n' || c === '\r') break;
      if (c === '\\') {
        const e = r[j + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          j += 2;
          continue;
        }
        if (e === 'u') {
          const hex = r.slice(j + 2, j + 6).join('');
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return this.invalid('Invalid character escape sequence', j);
          out += String.fromCharCode(parseInt(hex, 16));
          j += 6;
          continue;
        }
        return this.invalid('Invalid character escape sequence', j);
      }
      out += c;
      j++;
    }
    this.i = j;
    return this.invalid('Unterminated string.');
  }

  private blockString(start: number, line: number, ls: number): Token {
    const r = this.runes;
    let j = this.i + 3;
    let raw = '';
    while (j < r.length) {
      if (r[j] === '"' && r[j + 1] === '"' && r[j + 2] === '"') {
        this.i = j + 3;
        return this.tok(K.BlockString, blockStringValue(raw), start + 3, line, ls);
      }
      if (r[j] === '\\' && r[j + 1] === '"' && r[j + 2] === '"' && r[j + 3] === '"') {
        raw += '"""';
        j += 4;
        continue;
      }
      const c = r[j]!;
      raw += c;
      j++;
      if (c === '\n' || (c === '\r' && r[j] !== '\n')) this.newline(j);
      else if (c === '\r') {
        raw += '\n';
        j++;
        this.newline(j);
      }
    }
    this.i = j;
    return this.invalid('Unterminated string.');
  }
}
