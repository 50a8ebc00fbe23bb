/** Rego lexer: source text -> tokens with line/column and "newline before" / "space before" flags. */

export type TokKind = 'ident' | 'string' | 'rawstring' | 'template' | 'number' | 'op' | 'eof';

export interface Token {
  kind: TokKind;
  /** identifier name, operator text, number text, or decoded string */
  text: string;
  line: number;
  col: number;
  /** a newline occurs between the previous token and this one */
  nl: boolean;
  /** whitespace or comment occurs between the previous token and this one */
  sp: boolean;
  /** template strings: literal parts and expression sources (with their positions) */
  parts?: TemplatePart[];
}

export interface TemplatePart {
  lit?: string;
  expr?: string;
  line: number;
  col: number;
}

export class RegoSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

const TWO = new Set([':=', '==', '!=', '<=', '>=']);
const ONE = new Set(['{', '}', '[', ']', '(', ')', '.', ',', ';', ':', '=', '<', '>', '+', '-', '*', '/', '%', '&', '|']);
const NUMBER = /(0|[1-9][0-9]*|0[0-9]+)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

export interface Comment {
  line: number;
  col: number;
  /** text after the # */
  text: string;
}

export function tokenize(src: string, line0 = 1, col0 = 1, comments?: Comment[]): Token[] {
  const toks: Token[] = [];
  let i = 0;
  let line = line0;
  let col = col0;
  let nl = false;
  let sp = false;
  const n = src.length;
  const adv = (k: number) => {
    for (let j = 0; j < k; j++) {
      if (src.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      nl = true;
      sp = true;
      adv(1);
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      sp = true;
      adv(1);
      continue;
    }
    if (c === '#') {
      const start = i;
      const cl = line;
      const cc = col;
      while (i < n && src[i] !== '\n') adv(1);
      if (comments) comments.push({ line: cl, col: cc, text: src.slice(start + 1, i) });
      sp = true;
      continue;
    }
    const tl = line;
    const tc = col;
    const push = (kind: TokKind, text: string, len: number, parts?: TemplatePart[]) => {
      toks.push({ kind, text, line: tl, col: tc, nl, sp, parts });
      nl = false;
      sp = false;
      adv(len);
    };
    const code = src.charCodeAt(i);
    if (isIdentStart(code)) {
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      push('ident', src.slice(i, j), j - i);
      continue;
    }
    if (code >= 48 && code <= 57) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src)!;
      push('number', m[0], m[0].length);
      continue;
    }
    if (c === '"') {
      const [s, len] = readString(src, i, tl, tc);
      push('string', s, len);
      continue;
    }
    if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new RegoSyntaxError('non-terminated raw string', tl, tc);
      push('rawstring', src.slice(i + 1, end), end - i + 1);
      continue;
    }
    if (c === '$' && (src[i + 1] === '"' || src[i + 1] === '`')) {
      const [parts, len] = readTemplate(src, i + 1, tl, tc + 1);
      push('template', '', len + 1, parts);
      continue;
    }
    let op = '';
    const two = src.slice(i, i + 2);
    if (TWO.has(two)) op = two;
    else if (ONE.has(c)) op = c;
    if (!op) throw new RegoSyntaxError(`illegal token ${JSON.stringify(c)}`, tl, tc);
    push('op', op, op.length);
  }
  toks.push({ kind: 'eof', text: '', line, col, nl: true, sp: true });
  return toks;
}

function readString(src: string, start: number, line: number, col: number): [string, number] {
  let i = start + 1;
  let out = '';
  while (true) {
    if (i >= src.length || src[i] === '\n') throw new RegoSyntaxError('non-terminated string', line, col);
    const c = src[i]!;
    if (c === '"') break;
    if (c === '\\') {
      const [s, k] = readEscape(src, i, line, col);
      out += s;
      i += k;
      continue;
    }
    out += c;
    i++;
  }
  return [out, i - start + 1];
}

function readEscape(src: string, i: number, line: number, col: number): [string, number] {
  const e = src[i + 1];
  switch (e) {
    case '"':
      return ['"', 2];
    case '\\':
      return ['\\', 2];
    case '/':
      return ['/', 2];
    case 'b':
      return ['\b', 2];
    case 'f':
      return ['\f', 2];
    case 'n':
      return ['\n', 2];
    case 'r':
      return ['\r', 2];
    case 't':
      return ['\t', 2];
    case 'u': {
      const h = src.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(h)) throw new RegoSyntaxError('invalid escape sequence', line, col);
      let s = String.fromCharCode(parseInt(h, 16));
      let k = 6;
      // surrogate pair
      if (/^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(src.slice(i + 6, i + 12))) {
        s += String.fromCharCode(parseInt(src.slice(i + 8, i + 12), 16));
        k = 12;
      }
      return [s, k];
    }
    default:
      throw new RegoSyntaxError('invalid escape sequence', line, col);
  }
}

/** reads a template string starting at the quote; returns parts and length (incl. quotes) */
function readTemplate(src: string, start: number, line: number, col: number): [TemplatePart[], number] {
  const raw = src[start] === '`';
  const q = raw ? '`' : '"';
  let i = start + 1;
  let l = line;
  let c = col + 1;
  const parts: TemplatePart[] = [];
  let lit = '';
  let litLine = l;
  let litCol = c;
  const step = (k: number) => {
    for (let j = 0; j < k; j++) {
      if (src[i] === '\n') {
        l++;
        c = 1;
      } else c++;
      i++;
    }
  };
  while (true) {
    if (i >= src.length || (!raw && src[i] === '\n')) throw new RegoSyntaxError('non-terminated template string', line, col);
    const ch = src[i]!;
    if (ch === q) break;
    if (ch === '\\' && src[i + 1] === '{') {
      lit += '{';
      step(2);
      continue;
    }
    if (ch === '\\' && !raw) {
      const [s, k] = readEscape(src, i, l, c);
      lit += s;
      step(k);
      continue;
    }
    if (ch === '{') {
      if (lit) parts.push({ lit, line: litLine, col: litCol });
      lit = '';
      // find matching close brace, skipping strings
      let depth = 1;
      let j = i + 1;
      while (j < src.length && depth > 0) {
        const d = src[j]!;
        if (d === '"') {
          j += readString(src, j, l, c)[1];
          continue;
        }
        if (d === '`') {
          const e = src.indexOf('`', j + 1);
          j = e < 0 ? src.length : e + 1;
          continue;
        }
        if (d === '{') depth++;
        else if (d === '}') depth--;
        if (depth > 0) j++;
      }
      if (depth !== 0) throw new RegoSyntaxError('unterminated template expression', l, c);
      const el = l;
      const ec = c + 1;
      const expr = src.slice(i + 1, j);
      step(j - i + 1);
      parts.push({ expr, line: el, col: ec });
      litLine = l;
      litCol = c;
      continue;
    }
    lit += ch;
    step(1);
  }
  if (lit || parts.length === 0) parts.push({ lit, line: litLine, col: litCol });
  return [parts, i - start + 1];
}
