/**
 * Go fmt.Sprintf semantics for sprintf: the verbs %v %d %s %q %x %X %o %O %b %c %U %e %E %f %F %g %G %t %%,
 * flags (+ - # 0 space), width and precision (incl. `*`), and Go's diagnostics for wrong verbs
 * (`%!d(string=hi)`), missing operands (`%!d(MISSING)`) and extra operands (`%!(EXTRA int=1)`).
 * Operands are pre-classified the way OPA hands Rego values to Go: int, *big.Int, float64, string.
 */

import { fmtFloat, fmtG, pad, type Spec } from './gofmt-float.js';

export type FmtArg =
  | { readonly t: 'int'; readonly v: bigint }
  | { readonly t: 'big'; readonly v: bigint }
  | { readonly t: 'float'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'bool'; readonly v: boolean };

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

export function fitsInt64(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX;
}

function goTypeName(a: FmtArg): string {
  switch (a.t) {
    case 'int':
      return 'int';
    case 'big':
      return '*big.Int';
    case 'float':
      return 'float64';
    case 'str':
      return 'string';
    case 'bool':
      return 'bool';
  }
}

function fmtInteger(v: bigint, verb: string, sp: Spec): string | undefined {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'd':
    case 'v':
      digits = abs.toString(10);
      break;
    case 'b':
      digits = abs.toString(2);
      if (sp.sharp) prefix = '0b';
      break;
    case 'o':
      digits = abs.toString(8);
      if (sp.sharp && digits[0] !== '0') prefix = '0';
      break;
    case 'O':
      digits = abs.toString(8);
      prefix = '0o';
      break;
    case 'x':
      digits = abs.toString(16);
      if (sp.sharp) prefix = '0x';
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (sp.sharp) prefix = '0X';
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(v)), sp, false);
    case 'q':
      return pad(goQuoteRune(Number(v)), sp, false);
    case 'U': {
      let h = abs.toString(16).toUpperCase();
      if (h.length < 4) h = '0'.repeat(4 - h.length) + h;
      let s = 'U+' + h;
      if (sp.sharp) s += " '" + String.fromCodePoint(Number(v)) + "'";
      return pad(s, sp, false);
    }
    default:
      return undefined;
  }
  if (sp.prec >= 0) {
    if (sp.prec === 0 && abs === 0n) digits = '';
    else if (digits.length < sp.prec) digits = '0'.repeat(sp.prec - digits.length) + digits;
  }
  const sign = neg ? '-' : sp.plus ? '+' : sp.space ? ' ' : '';
  // zero padding applies between sign/prefix and digits, unless precision given or left-justified
  if (sp.zero && !sp.minus && sp.prec < 0 && sp.width > 0) {
    const body = sign.length + prefix.length + digits.length;
    if (body < sp.width) digits = '0'.repeat(sp.width - body) + digits;
  }
  return pad(sign + prefix + digits, sp, false);
}

const QUOTE_ESC: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

function quoteCodePoint(cp: number, quote: string): string {
  const ch = String.fromCodePoint(cp);
  if (ch === quote) return '\\' + ch;
  const esc = QUOTE_ESC[ch];
  if (esc !== undefined) return esc;
  if (cp < 0x20 || cp === 0x7f) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp >= 0x80 && cp < 0xa0) return '\\u' + cp.toString(16).padStart(4, '0');
  if (cp === 0xfffd) return ch;
  return ch;
}

/** strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += quoteCodePoint(ch.codePointAt(0)!, '"');
  return out + '"';
}

function goQuoteRune(cp: number): string {
  return "'" + quoteCodePoint(cp, "'") + "'";
}

function fmtString(s: string, verb: string, sp: Spec): string | undefined {
  let str = s;
  if (sp.prec >= 0 && (verb === 's' || verb === 'v' || verb === 'q' || verb === 'x' || verb === 'X')) {
    const runes = [...str];
    if (runes.length > sp.prec) str = runes.slice(0, sp.prec).join('');
  }
  switch (verb) {
    case 's':
    case 'v':
      return pad(str, sp, true);
    case 'q':
      return pad(sp.sharp && !str.includes('`') ? '`' + str + '`' : goQuote(str), sp, false);
    case 'x':
    case 'X': {
      const bytes = Buffer.from(s, 'utf8');
      const n = sp.prec >= 0 ? Math.min(sp.prec, bytes.length) : bytes.length;
      let h = '';
      for (let i = 0; i < n; i++) {
        if (i > 0 && sp.space) h += ' ';
        if (sp.sharp && (i === 0 || sp.space)) h += verb === 'x' ? '0x' : '0X';
        const b = bytes[i].toString(16).padStart(2, '0');
        h += verb === 'X' ? b.toUpperCase() : b;
      }
      return pad(h, sp, false);
    }
    default:
      return undefined;
  }
}

function fmtBool(b: boolean, verb: string, sp: Spec): string | undefined {
  if (verb === 't' || verb === 'v') return pad(b ? 'true' : 'false', sp, false);
  return undefined;
}

function plainValue(a: FmtArg): string {
  switch (a.t) {
    case 'int':
    case 'big':
      return a.v.toString();
    case 'float':
      return fmtG(a.v, -1, false, false);
    case 'str':
      return a.v;
    case 'bool':
      return a.v ? 'true' : 'false';
  }
}

function formatOne(a: FmtArg, verb: string, sp: Spec): string {
  let out: string | undefined;
  switch (a.t) {
    case 'int':
      out = fmtInteger(a.v, verb, sp);
      break;
    case 'big':
      // *big.Int implements fmt.Formatter for b o O d x X s v only
      out = 'boOdxXsv'.includes(verb) ? fmtInteger(a.v, verb === 's' ? 'd' : verb, sp) : undefined;
      break;
    case 'float':
      out = fmtFloat(a.v, verb, sp);
      break;
    case 'str':
      out = fmtString(a.v, verb, sp);
      break;
    case 'bool':
      out = fmtBool(a.v, verb, sp);
      break;
  }
  if (out !== undefined) return out;
  return `%!${verb}(${goTypeName(a)}=${plainValue(a)})`;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Formats like Go's fmt.Sprintf(format, args...). */
export function goSprintf(format: string, args: readonly FmtArg[]): string {
  let out = '';
  let argi = 0;
  const n = format.length;
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const sp: Spec = { plus: false, minus: false, sharp: false, zero: false, space: false, width: 0, prec: -1 };
    for (; i < n; i++) {
      const c = format[i];
      if (c === '+') sp.plus = true;
      else if (c === '-') {
        sp.minus = true;
        sp.zero = false;
      } else if (c === '#') sp.sharp = true;
      else if (c === '0') sp.zero = !sp.minus;
      else if (c === ' ') sp.space = true;
      else break;
    }
    // width
    if (format[i] === '*') {
      i++;
      const w = args[argi++];
      if (w && w.t === 'int') {
        sp.width = Number(w.v);
        if (sp.width < 0) {
          sp.minus = true;
          sp.width = -sp.width;
        }
      } else out += '%!(BADWIDTH)';
    } else {
      while (i < n && isDigit(format.charCodeAt(i))) sp.width = sp.width * 10 + (format.charCodeAt(i++) - 48);
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argi++];
        if (p && p.t === 'int' && p.v >= 0n) sp.prec = Number(p.v);
        else out += '%!(BADPREC)';
      } else {
        sp.prec = 0;
        while (i < n && isDigit(format.charCodeAt(i))) sp.prec = sp.prec * 10 + (format.charCodeAt(i++) - 48);
      }
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(args[argi++], verb, sp);
  }
  if (argi < args.length) {
    out += '%!(EXTRA ';
    out += args
      .slice(argi)
      .map((a) => `${goTypeName(a)}=${plainValue(a)}`)
      .join(', ');
    out += ')';
  }
  return out;
}

/** strconv.FormatFloat(v, 'g', -1, 64) as Go prints a float64 with %v. */
export function goFormatFloatShortest(v: number): string {
  return fmtFloat(v, 'v', { plus: false, minus: false, sharp: false, zero: false, space: false, width: 0, prec: -1 })!;
}
