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

/** the exact decimal expansion of a finite double |v|: digits (no leading/trailing zeros) and point position */
function exactDecimal(v: number): { d: string; dp: number } {
  const a = Math.abs(v);
  if (a === 0) return { d: '0', dp: 1 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp = 1;
  else mant |= 1n << 52n;
  const e2 = exp - 1075;
  let digits: string;
  let dp: number;
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString();
    dp = digits.length + e2;
  }
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead).replace(/0+$/, '');
  return { d: digits === '' ? '0' : digits, dp: dp - lead };
}

/** rounds a digit string to n digits, half to even (Go's strconv on the exact value) */
function roundDigits(d: string, dp: number, n: number): { d: string; dp: number } {
  if (n < 0) return { d: '0', dp: 1 };
  if (d.length <= n) return { d, dp };
  const next = d.charCodeAt(n) - 48;
  const rest = d.slice(n + 1);
  const up = next > 5 || (next === 5 && (/[1-9]/.test(rest) || (n > 0 && (d.charCodeAt(n - 1) - 48) % 2 === 1)));
  let kept = d.slice(0, n);
  if (up) {
    const arr = kept.split('');
    let i = arr.length - 1;
    for (; i >= 0; i--) {
      if (arr[i] === '9') arr[i] = '0';
      else {
        arr[i] = String.fromCharCode(arr[i]!.charCodeAt(0) + 1);
        break;
      }
    }
    kept = arr.join('');
    if (i < 0) {
      kept = '1' + kept;
      dp++;
    }
  }
  kept = kept.replace(/0+$/, '');
  return kept === '' ? { d: '0', dp: 1 } : { d: kept, dp };
}

/** Decimal digits and exponent of |v| rounded to `sig` significant digits, or shortest when sig < 0. */
function decimalDigits(v: number, sig: number): { d: string; dp: number } {
  if (sig < 0) {
    const [mant, exp] = Math.abs(v).toExponential().split('e');
    const d = mant!.replace('.', '').replace(/0+$/, '') || '0';
    return { d, dp: d === '0' ? 1 : Number(exp) + 1 };
  }
  const x = exactDecimal(v);
  if (x.d === '0') return x;
  return roundDigits(x.d, x.dp, sig);
}

/** |v| with prec digits after the point, rounded half to even on the exact value */
function fixedDigits(v: number, prec: number): string {
  const x = exactDecimal(v);
  const r = x.d === '0' ? x : roundDigits(x.d, x.dp, x.dp + prec);
  const d = r.d;
  const dp = d === '0' ? 1 : r.dp;
  // materialise integer and fraction parts
  let intPart: string;
  let frac: string;
  if (dp <= 0) {
    intPart = '0';
    frac = '0'.repeat(-dp) + d;
  } else if (dp >= d.length) {
    intPart = d + '0'.repeat(dp - d.length);
    frac = '';
  } else {
    intPart = d.slice(0, dp);
    frac = d.slice(dp);
  }
  frac = frac.slice(0, prec).padEnd(prec, '0');
  return prec > 0 ? intPart + '.' + frac : intPart;
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
  return fixedDigits(a, prec);
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
