/**
 * Scalars as go-yaml v2 resolves them (YAML 1.1; the reader OPA's yaml.unmarshal uses through
 * sigs.k8s.io/yaml), and the text sigs.k8s.io/yaml then gives them as JSON values and as map keys.
 * Written from go-yaml v2.4's resolve.go / decode.go and sigs.k8s.io/yaml's yaml.go (read, not copied).
 */
import { BuiltinError } from './registry.js';
import { parseTime } from './gotime-parse.js';

const T = 'tag:yaml.org,2002:';
export const TAG = {
  str: T + 'str',
  bool: T + 'bool',
  int: T + 'int',
  float: T + 'float',
  null: T + 'null',
  timestamp: T + 'timestamp',
  binary: T + 'binary',
  merge: T + 'merge',
} as const;

/** an integer as go-yaml returns it: int (int64 range) or uint64 (above it) */
export class GoInt {
  constructor(
    readonly v: bigint,
    readonly unsigned: boolean,
  ) {}
}

/** a float64 */
export class GoFloat {
  constructor(readonly v: number) {}
}

export type GoScalar = null | boolean | string | GoInt | GoFloat;

/** tags go-yaml resolves (any other tag, '!' included, leaves the scalar's text as a string) */
const RESOLVABLE = new Set(['', TAG.str, TAG.bool, TAG.int, TAG.float, TAG.null, TAG.timestamp]);

/** go-yaml v2's word table: YAML 1.1 booleans, nulls, and the special floats */
const WORDS = new Map<string, [string, GoScalar]>();
for (const [words, tag, v] of [
  ['y Y yes Yes YES true True TRUE on On ON', TAG.bool, true],
  ['n N no No NO false False FALSE off Off OFF', TAG.bool, false],
  ['~ null Null NULL', TAG.null, null],
  ['.nan .NaN .NAN', TAG.float, new GoFloat(NaN)],
  ['.inf .Inf .INF +.inf +.Inf +.INF', TAG.float, new GoFloat(Infinity)],
  ['-.inf -.Inf -.INF', TAG.float, new GoFloat(-Infinity)],
] as [string, string, GoScalar][]) {
  for (const w of words.split(' ')) WORDS.set(w, [tag, v]);
}
WORDS.set('', [TAG.null, null]);

/** go-yaml looks only at the first byte to decide what a plain scalar may be */
function hint(s: string): string | undefined {
  if (s === '') return 'N';
  const c = s[0]!;
  if (c === '+' || c === '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  if (c === '.') return '.';
  return undefined;
}

const MAX_U64 = (1n << 64n) - 1n;
const MAX_I64 = (1n << 63n) - 1n;
const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]*$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };

/** strconv.ParseUint(s, base, 64) for base 0 (prefixes 0x 0o 0b, a leading 0 is octal) or 2; no sign, no '_' */
function parseUint(s: string, base: 0 | 2): bigint | undefined {
  if (s === '') return undefined;
  let b = base === 2 ? 2 : 10;
  let d = s;
  if (base === 0 && s[0] === '0') {
    const p = s.length >= 3 ? s[1]!.toLowerCase() : '';
    if (p === 'x' || p === 'o' || p === 'b') {
      b = p === 'x' ? 16 : p === 'o' ? 8 : 2;
      d = s.slice(2);
    } else {
      b = 8;
      d = s.slice(1);
    }
  }
  if (!DIGITS[b]!.test(d)) return undefined;
  if (d === '') return 0n;
  const prefix = b === 16 ? '0x' : b === 8 ? '0o' : b === 2 ? '0b' : '';
  const v = BigInt(prefix + d);
  return v <= MAX_U64 ? v : undefined;
}

/** strconv.ParseInt(s, base, 64): an optional sign, then ParseUint, within int64 */
function parseInt64(s: string, base: 0 | 2): bigint | undefined {
  const neg = s[0] === '-';
  const u = parseUint(s[0] === '-' || s[0] === '+' ? s.slice(1) : s, base);
  if (u === undefined) return undefined;
  if (neg) return u <= MAX_I64 + 1n ? -u : undefined;
  return u <= MAX_I64 ? u : undefined;
}

/** go-yaml's yamlStyleFloat, then strconv.ParseFloat (an overflow is an error there: not a float) */
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** strconv.ParseFloat of a text starting with '.': Go's float literal syntax, '_' only between digits */
const DOT_FLOAT = /^\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?$/;

function finiteFloat(text: string): GoFloat | undefined {
  const f = Number(text);
  return Number.isFinite(f) ? new GoFloat(f) : undefined;
}

const TIMESTAMP_LAYOUTS = ['2006-1-2T15:4:5.999999999Z07:00', '2006-1-2t15:4:5.999999999Z07:00', '2006-1-2 15:4:5.999999999', '2006-1-2'];

/** go-yaml's parseTimestamp: four digits and '-', then one of its layouts through time.Parse */
function isTimestamp(s: string): boolean {
  if (!/^[0-9]{4}-/.test(s)) return false;
  for (const layout of TIMESTAMP_LAYOUTS) {
    try {
      parseTime(layout, s);
      return true;
    } catch {
      // next layout
    }
  }
  return false;
}

/** go-yaml's resolve for a plain scalar or a resolvable tag: [resolved tag, value] */
function resolveText(tag: string, s: string): [string, GoScalar] {
  const h = hint(s);
  if (h === undefined || tag === TAG.str) return [TAG.str, s];
  const word = WORDS.get(s);
  if (word) return word;
  if (h === '.') {
    const f = DOT_FLOAT.test(s) ? finiteFloat(s.replaceAll('_', '')) : undefined;
    if (f) return [TAG.float, f];
  } else if (h === 'D' || h === 'S') {
    // an untagged timestamp stays its text, which it would be anyway (no timestamp is a number)
    if (tag === TAG.timestamp && isTimestamp(s)) return [TAG.timestamp, s];
    const plain = s.replaceAll('_', '');
    const i = parseInt64(plain, 0);
    if (i !== undefined) return [TAG.int, new GoInt(i, false)];
    const u = parseUint(plain, 0);
    if (u !== undefined) return [TAG.int, new GoInt(u, true)];
    const f = YAML_FLOAT.test(plain) ? finiteFloat(plain) : undefined;
    if (f) return [TAG.float, f];
    if (plain.startsWith('0b')) {
      // go-yaml's own 0b branch: the rest may carry a sign ("0b-101" is -5)
      const bi = parseInt64(plain.slice(2), 2);
      if (bi !== undefined) return [TAG.int, new GoInt(bi, false)];
      const bu = parseUint(plain.slice(2), 2);
      if (bu !== undefined) return [TAG.int, new GoInt(bu, true)];
    }
  }
  return [TAG.str, s];
}

function shortTag(tag: string): string {
  return tag.startsWith(T) ? '!!' + tag.slice(T.length) : tag;
}

/**
 * The value go-yaml decodes a scalar to (into interface{}): `tag` is the node's full tag ('' when it
 * has none), `plain` whether it is written plain. Timestamps stay their text, as go-yaml v2 keeps them.
 */
export function resolveScalar(tag: string, text: string, plain: boolean, binary: (s: string) => string): GoScalar {
  if (tag === '' && !plain) return text; // quoted or block scalar without a tag
  if (tag === TAG.binary) return binary(text);
  if (!RESOLVABLE.has(tag)) return text;
  const [rtag, out] = resolveText(tag, text);
  if (tag === '' || tag === rtag || tag === TAG.str) return out;
  if (tag === TAG.float && rtag === TAG.int && out instanceof GoInt && !out.unsigned) return new GoFloat(Number(out.v));
  throw new BuiltinError(`yaml: cannot decode ${shortTag(rtag)} \`${text}\` as a ${shortTag(tag)}`);
}

/** a float as encoding/json writes it (OPA then reads that text as the number) */
export function goJSONFloat(f: GoFloat): string {
  const v = f.v;
  if (Number.isNaN(v)) throw new BuiltinError('json: unsupported value: NaN');
  if (!Number.isFinite(v)) throw new BuiltinError(`json: unsupported value: ${v > 0 ? '+Inf' : '-Inf'}`);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return String(v); // JS switches to exponents at the same bounds (1e-6, 1e21) and spells them alike
}

/** shortest digits that read back as the float32 x (x finite, > 0), and the decimal point's place */
function float32Digits(x: number): { d: string; dp: number } {
  for (let p = 1; p <= 9; p++) {
    const [m, e] = x.toExponential(p - 1).split('e') as [string, string];
    const mant = BigInt(m.replace('.', ''));
    const exp = Number(e) - (p - 1);
    let best: { d: string; dp: number; err: number } | undefined;
    for (const c of [mant - 1n, mant, mant + 1n]) {
      if (c <= 0n) continue;
      const v = Number(`${c}e${exp}`);
      if (Math.fround(v) !== x) continue;
      const err = Math.abs(v - x);
      if (best && err >= best.err) continue;
      const digits = c.toString();
      const d = digits.replace(/0+$/, '');
      best = { d, dp: exp + digits.length, err };
    }
    if (best) return { d: best.d, dp: best.dp };
  }
  throw new BuiltinError('yaml: internal error formatting a float key');
}

/** strconv.FormatFloat(f, 'g', -1, 32), as sigs.k8s.io/yaml writes a float map key (.inf/.nan as YAML) */
function formatFloat32(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
  const x = Math.fround(Math.abs(v));
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  if (!Number.isFinite(x)) return v > 0 ? '.inf' : '-.inf'; // beyond float32: +Inf as a float32
  if (x === 0) return sign + '0';
  const { d, dp } = float32Digits(x);
  const exp = dp - 1;
  if (exp < -4 || exp >= 6) {
    const a = Math.abs(exp);
    return `${sign}${d[0]}${d.length > 1 ? '.' + d.slice(1) : ''}e${exp < 0 ? '-' : '+'}${a < 10 ? '0' : ''}${a}`;
  }
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${d}`;
  if (dp >= d.length) return sign + d + '0'.repeat(dp - d.length);
  return `${sign}${d.slice(0, dp)}.${d.slice(dp)}`;
}

/** a map key as sigs.k8s.io/yaml turns it into a JSON object key */
export function keyText(k: GoScalar): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (k instanceof GoInt) {
    if (k.unsigned) throw new BuiltinError(`unsupported map key of type: uint64, key: ${k.v}`);
    return k.v.toString();
  }
  if (k instanceof GoFloat) return formatFloat32(k.v);
  throw new BuiltinError('unsupported map key of type: <nil> (a null key)');
}

/** identity of a key in go-yaml's map[interface{}]interface{} (type and value; NaN never equals) */
let nanSeq = 0;
export function keyIdentity(k: GoScalar): string {
  if (k === null) return 'n';
  if (typeof k === 'string') return 's' + k;
  if (typeof k === 'boolean') return k ? 'b1' : 'b0';
  if (k instanceof GoInt) return (k.unsigned ? 'u' : 'i') + k.v.toString();
  if (Number.isNaN(k.v)) return 'N' + nanSeq++;
  return 'f' + String(k.v === 0 ? 0 : k.v);
}
