/**
 * Go fmt's float formatting (strconv 'e', 'f', 'g' with precision or shortest, %v as %g with
 * Go's exponent thresholds and two-digit exponents), plus the flag/width/precision spec and
 * padding shared with gofmt.ts.
 */

export interface Spec {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width: number;
  prec: number; // -1 when absent
}

export function pad(s: string, sp: Spec, zeroOk: boolean): string {
  if (sp.width === 0) return s;
  const n = [...s].length;
  if (sp.width <= n) return s;
  const fill = sp.width - n;
  if (sp.minus) return s + ' '.repeat(fill);
  if (sp.zero && zeroOk) {
    // zeros go after the sign
    const signed = s[0] === '-' || s[0] === '+' || s[0] === ' ';
    if (signed) return s[0] + '0'.repeat(fill) + s.slice(1);
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

/** Decimal digits and exponent of |v| rounded to `sig` significant digits, or shortest when sig < 0. */
function decimalDigits(v: number, sig: number): { d: string; dp: number } {
  const e = sig < 0 ? Math.abs(v).toExponential() : Math.abs(v).toExponential(Math.max(sig - 1, 0));
  const [mant, exp] = e.split('e');
  let d = mant.replace('.', '');
  const dp = Number(exp) + 1;
  if (sig < 0 || true) d = d.replace(/0+$/, '');
  if (d === '') d = '0';
  return { d, dp: d === '0' ? 1 : dp };
}

function expSuffix(exp: number, upper: boolean): string {
  const a = Math.abs(exp);
  return (upper ? 'E' : 'e') + (exp < 0 ? '-' : '+') + (a < 10 ? '0' + a : String(a));
}

function fmtE(v: number, prec: number, upper: boolean): string {
  // prec digits after the point; prec < 0 means shortest
  const { d, dp } = decimalDigits(v, prec < 0 ? -1 : prec + 1);
  const exp = v === 0 ? 0 : dp - 1;
  let frac = d.slice(1);
  if (prec >= 0) frac = frac.padEnd(prec, '0');
  return d[0] + (frac.length > 0 ? '.' + frac : '') + expSuffix(exp, upper);
}

function fmtF(v: number, prec: number): string {
  const a = Math.abs(v);
  if (prec < 0) {
    const { d, dp } = decimalDigits(a, -1);
    if (dp <= 0) return '0.' + '0'.repeat(-dp) + d;
    if (dp >= d.length) return d + '0'.repeat(dp - d.length);
    return d.slice(0, dp) + '.' + d.slice(dp);
  }
  if (a < 1e21) return a.toFixed(prec);
  // toFixed switches to exponent notation above 1e21: build the digits from the exact integer
  const intPart = BigInt(a).toString();
  return prec > 0 ? intPart + '.' + '0'.repeat(prec) : intPart;
}

export function fmtG(v: number, prec: number, upper: boolean, sharp: boolean): string {
  const shortest = prec < 0;
  let p = prec === 0 ? 1 : prec;
  const { d, dp } = decimalDigits(v, shortest ? -1 : p);
  let eprec = p;
  if (shortest) eprec = 6;
  else if (eprec > d.length && d.length >= dp) eprec = d.length;
  if (sharp && !shortest) eprec = p;
  const exp = v === 0 ? 0 : dp - 1;
  if (exp < -4 || exp >= eprec) {
    let digits = d;
    if (sharp && !shortest && digits.length < p) digits = digits.padEnd(p, '0');
    const frac = digits.slice(1);
    return digits[0] + (frac.length > 0 ? '.' + frac : '') + expSuffix(exp, upper);
  }
  let digits = d;
  if (sharp && !shortest && digits.length < p) digits = digits.padEnd(p, '0');
  if (dp <= 0) return '0.' + '0'.repeat(-dp) + digits;
  if (dp >= digits.length) return digits + '0'.repeat(dp - digits.length);
  return digits.slice(0, dp) + '.' + digits.slice(dp);
}

export function fmtFloat(v: number, verb: string, sp: Spec): string | undefined {
  let body: string;
  if (Number.isNaN(v)) body = 'NaN';
  else if (!Number.isFinite(v)) body = 'Inf';
  else {
    switch (verb) {
      case 'v':
      case 'g':
        body = fmtG(v, sp.prec, false, sp.sharp);
        break;
      case 'G':
        body = fmtG(v, sp.prec, true, sp.sharp);
        break;
      case 'e':
      case 'E':
        body = fmtE(v, sp.prec < 0 ? 6 : sp.prec, verb === 'E');
        break;
      case 'f':
      case 'F':
        body = fmtF(v, sp.prec < 0 ? 6 : sp.prec);
        break;
      default:
        return undefined;
    }
  }
  const neg = v < 0 || Object.is(v, -0);
  const sign = Number.isNaN(v) ? (sp.plus ? '+' : sp.space ? ' ' : '') : neg ? '-' : sp.plus || !Number.isFinite(v) ? '+' : sp.space ? ' ' : '';
  const s = sign + body;
  return pad(s, sp, Number.isFinite(v));
}
