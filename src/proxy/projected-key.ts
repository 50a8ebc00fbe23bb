/**
 * The decision key of a judged tools/call when the policy's request decision can observe only some
 * members of params (PolicyDecider.pureDecisionFootprint): read off the line's bytes with the
 * member spans its distinct-keys scan recorded (memberSpans), no parse. The key is the tool name's
 * bytes, then params.arguments as: absent, not an object (all its bytes), or an object (for each
 * observed member, in the footprint's order: absent, or its value's bytes), then each observed
 * member of params (absent, or its value's bytes). Two lines with the same key give the policy
 * input documents equal in everything it can observe (the analysis behind the footprint:
 * src/policy/rego/topdown/footprint.ts), so the decision of one is the decision of the other.
 * Equal bytes are equal values because the scan proved the line valid UTF-8 with no member name
 * written twice or escaped. The key starts with a 0 byte: never equal to a whole-params key (`{`).
 *
 * The class key (classKey, when the footprint has classes and arguments is an object) is the same
 * but for the class-keyed members (CallFootprint.classes), which are written as their class: their
 * JSON type from the value's first byte; a boolean's or null's bytes; a number's bytes when
 * numbersByValue, else its type; for a string, one byte per constant of the class (its prefixes,
 * suffixes, values): whether the string's bytes between the quotes start with, end with, equal the
 * constant's UTF-8 bytes. Those are the string's own UTF-8 bytes, the scan having proved the line
 * valid UTF-8, unless the string holds an escape: a backslash anywhere in such a string and the line
 * has no class key (it is keyed exactly). Two calls with equal class keys differ at most in the
 * classes' members, each of the same class: a decision the policy showed holds by class
 * (PolicyDecider.decidedByClass) is the decision of both. The class key starts with a 1 byte: never
 * equal to an exact key (0) or a whole-params key (`{`).
 */
import type { ArgumentClass, CallFootprint } from '../types.js';
import { argSpans, memberSpans, paramSpans } from './distinct-keys.js';

/** A footprint's observed argument names prepared for matching: by byte length, then by bytes. */
interface Prepared {
  /** the observed members of arguments, as bytes, in key order */
  args: Buffer[];
  /** firstOfLength[len]: index in `args` of the first name of len bytes, or -1 (len < MAX_NAME) */
  firstOfLength: Int16Array;
  /** nextOfLength[i]: index of the next name as long as args[i], or -1 */
  nextOfLength: Int16Array;
  /** for each observed argument: the index of its recorded span in this line, or -1 (reset per line) */
  found: Int32Array;
  /** the observed members of params, as bytes */
  params: Buffer[];
  /** for each observed member of params: the index of its recorded span in this line, or -1 (reset per line) */
  foundParams: Int32Array;
  /** for each observed argument: its class (the footprint's classes), or null when it is keyed by its bytes */
  classes: (PreparedClass | null)[];
}

/** an ArgumentClass with its string constants as UTF-8 bytes */
interface PreparedClass {
  prefixes: Buffer[];
  suffixes: Buffer[];
  equals: Buffer[];
  numbersByValue: boolean;
}

function prepareClass(c: ArgumentClass): PreparedClass {
  const bytes = (list: readonly string[]) => list.map((s) => Buffer.from(s, 'utf8'));
  return { prefixes: bytes(c.prefixes), suffixes: bytes(c.suffixes), equals: bytes(c.equals), numbersByValue: c.numbersByValue };
}

/** names at least this long are matched by the slow path (none of the shipped packs has one) */
const MAX_NAME = 64;

const prepared = new WeakMap<CallFootprint, Prepared>();
/** the last footprint seen and its preparation (one comparison per line while the policy stays) */
let lastFootprint: CallFootprint | undefined;
let last: Prepared | undefined;
const NAME = Buffer.from('name');

function prepare(f: CallFootprint): Prepared {
  let p = prepared.get(f);
  if (p === undefined) {
    const args = f.arguments.map((k) => Buffer.from(k, 'utf8'));
    const firstOfLength = new Int16Array(MAX_NAME + 1).fill(-1);
    const nextOfLength = new Int16Array(args.length).fill(-1);
    for (let i = args.length - 1; i >= 0; i--) {
      const len = Math.min(args[i]!.length, MAX_NAME);
      nextOfLength[i] = firstOfLength[len]!;
      firstOfLength[len] = i;
    }
    const classes = f.arguments.map((k) => {
      const c = f.classes?.find((x) => x.member === k);
      return c === undefined ? null : prepareClass(c);
    });
    p = { args, firstOfLength, nextOfLength, found: new Int32Array(args.length), params: f.params.map((k) => Buffer.from(k, 'utf8')), foundParams: new Int32Array(f.params.length), classes };
    prepared.set(f, p);
  }
  return p;
}

export const ABSENT = 0;
export const PRESENT = 1;
export const NOT_OBJECT = 2;

/**
 * Where projectedFind and projectedKey write: what was found in the line, by the recorded spans'
 * indices (distinct-keys.ts: paramSpans, argSpans): `name` (among params' members), `argumentsKind`
 * (ABSENT, PRESENT: an object, NOT_OBJECT), `args[i]` for the footprint's i-th argument and
 * `params[i]` for its i-th params member (-1: absent); and the key's bytes projected.bytes[0,
 * length) (projectedKey only). Valid until the next line is scanned.
 */
export const projected = {
  bytes: Buffer.alloc(0),
  length: 0,
  name: -1,
  argumentsKind: ABSENT,
  args: new Int32Array(0) as Int32Array,
  params: new Int32Array(0) as Int32Array,
};

/** Whether b[s, s + name.length) is name. */
function sameName(b: Uint8Array, s: number, name: Buffer): boolean {
  for (let j = 0; j < name.length; j++) if (b[s + j] !== name[j]) return false;
  return true;
}

/** Index of the member named `name` among `count` recorded spans, or -1. */
function find(b: Uint8Array, spans: typeof paramSpans, count: number, name: Buffer): number {
  const len = name.length;
  for (let k = 0; k < count; k++) {
    const s = spans.nameStart[k]!;
    if (spans.nameEnd[k]! - s === len && sameName(b, s, name)) return k;
  }
  return -1;
}

/** A tag byte at out[at]: the next index, or -1 when the key would pass limit. */
function putTag(out: Buffer, at: number, limit: number, t: number): number {
  if (at + 1 > limit) return -1;
  out[at] = t;
  return at + 1;
}

/** A tag byte, the length of b[s, e) (2 bytes) and its bytes: the next index, or -1 when the key would pass limit. */
function putValue(out: Buffer, at: number, limit: number, t: number, b: Buffer, s: number, e: number): number {
  const len = e - s;
  if (at + 3 + len > limit) return -1;
  out[at] = t;
  out[at + 1] = len >> 8;
  out[at + 2] = len & 0xff;
  at += 3;
  // a loop: cheaper than Buffer.copy's native call for the short values keys are made of
  if (len < 64) for (let i = 0; i < len; i++) out[at + i] = b[s + i]!;
  else b.copy(out, at, s, e);
  return at + len;
}

/** Which recorded member of the arguments object each observed argument is (p.found: its span's index, or -1). */
function matchArguments(b: Buffer, p: Prepared): void {
  const found = p.found;
  for (let i = 0; i < found.length; i++) found[i] = -1;
  const nameStart = argSpans.nameStart;
  const nameEnd = argSpans.nameEnd;
  const count = memberSpans.argsCount;
  const first = p.firstOfLength;
  const next = p.nextOfLength;
  const args = p.args;
  for (let k = 0; k < count; k++) {
    const s = nameStart[k]!;
    const len = nameEnd[k]! - s;
    for (let i = first[len < MAX_NAME ? len : MAX_NAME]!; i >= 0; i = next[i]!) {
      const name = args[i]!;
      if (name.length === len && sameName(b, s, name)) {
        found[i] = k;
        break;
      }
    }
  }
}

/**
 * Finds, in the line whose distinct-keys scan just succeeded (with its member spans recorded), what
 * the footprint observes, into `projected` (name, argumentsKind, args, params; not the key's bytes):
 * true, or false when the spans cannot be used so (not recorded, or more members than were
 * recorded; no name string). What projectedParams builds the call's observed params from.
 */
export function projectedFind(b: Buffer, footprint: CallFootprint): boolean {
  if (memberSpans.overflow) return false;
  if (footprint !== lastFootprint) {
    last = prepare(footprint);
    lastFootprint = footprint;
  }
  const p = last!;
  const vs = paramSpans.valueStart;
  const pc = memberSpans.paramsCount;
  const nameAt = find(b, paramSpans, pc, NAME);
  if (nameAt < 0 || b[vs[nameAt]!] !== 0x22) return false;
  const argsAt = memberSpans.arguments;
  let kind = PRESENT;
  if (argsAt < 0) kind = ABSENT;
  else if (b[vs[argsAt]!] !== 0x7b) kind = NOT_OBJECT;
  else matchArguments(b, p);
  const foundParams = p.foundParams;
  for (let i = 0; i < p.params.length; i++) foundParams[i] = find(b, paramSpans, pc, p.params[i]!);
  projected.name = nameAt;
  projected.argumentsKind = kind;
  projected.args = p.found;
  projected.params = foundParams;
  return true;
}

/**
 * projectedFind, then the key's bytes into projected.bytes[0, projected.length): true, or false
 * when it cannot be keyed so (projectedFind declined, or a key longer than maxBytes, under 64 KiB;
 * what projectedFind found is then still valid when it succeeded).
 */
export function projectedKey(b: Buffer, footprint: CallFootprint, maxBytes: number): boolean {
  return projectedFind(b, footprint) && projectedKeyFound(b, maxBytes);
}

/** projectedKey for the line projectedFind just found (true): the key's bytes only. */
export function projectedKeyFound(b: Buffer, maxBytes: number): boolean {
  if (projected.bytes.length < maxBytes) projected.bytes = Buffer.alloc(maxBytes);
  const out = projected.bytes;
  const vs = paramSpans.valueStart;
  const ve = paramSpans.valueEnd;
  const nameAt = projected.name;
  out[0] = 0;
  let at = putValue(out, 1, maxBytes, PRESENT, b, vs[nameAt]!, ve[nameAt]!);
  if (at < 0) return false;
  const kind = projected.argumentsKind;
  if (kind === ABSENT) at = putTag(out, at, maxBytes, ABSENT);
  else if (kind === NOT_OBJECT) {
    const argsAt = memberSpans.arguments;
    at = putValue(out, at, maxBytes, NOT_OBJECT, b, vs[argsAt]!, ve[argsAt]!);
  } else {
    // the observed members of the arguments object, in key order: absent, or their values
    at = putTag(out, at, maxBytes, PRESENT);
    const found = projected.args;
    const avs = argSpans.valueStart;
    const ave = argSpans.valueEnd;
    for (let i = 0; i < found.length && at >= 0; i++) {
      const k = found[i]!;
      at = k < 0 ? putTag(out, at, maxBytes, ABSENT) : putValue(out, at, maxBytes, PRESENT, b, avs[k]!, ave[k]!);
    }
  }
  const foundParams = projected.params;
  for (let i = 0; i < foundParams.length && at >= 0; i++) {
    const k = foundParams[i]!;
    at = k < 0 ? putTag(out, at, maxBytes, ABSENT) : putValue(out, at, maxBytes, PRESENT, b, vs[k]!, ve[k]!);
  }
  if (at < 0) return false;
  projected.length = at;
  return true;
}

/** Where classKey writes: the class key's bytes classed.bytes[0, length). Valid until the next line is scanned. */
export const classed = { bytes: Buffer.alloc(0), length: 0 };

/** class tags (after ABSENT, PRESENT, NOT_OBJECT): a string's predicates follow; the others are the type alone */
export const STRING_CLASS = 3;
export const NUMBER_CLASS = 4;
export const ARRAY_CLASS = 5;
export const OBJECT_CLASS = 6;

/** whether b[s, e) holds c at `at` */
function bytesAt(b: Buffer, at: number, c: Buffer): boolean {
  for (let j = 0; j < c.length; j++) if (b[at + j] !== c[j]) return false;
  return true;
}

/** The class of the value b[s, e) at out[at]: the next index, -1 when the key would pass limit, -2 when it has none (an escaped string). */
function putClass(out: Buffer, at: number, limit: number, c: PreparedClass, b: Buffer, s: number, e: number): number {
  const first = b[s]!;
  if (first === 0x22) {
    // a string: its bytes between the quotes, the string's own UTF-8 unless escaped
    const from = s + 1;
    const to = e - 1;
    for (let i = from; i < to; i++) if (b[i] === 0x5c) return -2;
    const len = to - from;
    const n = c.prefixes.length + c.suffixes.length + c.equals.length;
    if (at + 1 + n > limit) return -1;
    out[at++] = STRING_CLASS;
    for (const x of c.prefixes) out[at++] = x.length <= len && bytesAt(b, from, x) ? 1 : 0;
    for (const x of c.suffixes) out[at++] = x.length <= len && bytesAt(b, to - x.length, x) ? 1 : 0;
    for (const x of c.equals) out[at++] = x.length === len && bytesAt(b, from, x) ? 1 : 0;
    return at;
  }
  if (first === 0x5b) return putTag(out, at, limit, ARRAY_CLASS);
  if (first === 0x7b) return putTag(out, at, limit, OBJECT_CLASS);
  // true, false, null: their bytes are their value
  if (first === 0x74 || first === 0x66 || first === 0x6e) return putValue(out, at, limit, PRESENT, b, s, e);
  // a number (its first byte a digit or '-')
  return c.numbersByValue ? putValue(out, at, limit, PRESENT, b, s, e) : putTag(out, at, limit, NUMBER_CLASS);
}

/**
 * The class key of the line projectedFind just found (same footprint) into classed.bytes[0,
 * classed.length): true, or false when it has none (no classes, arguments not an object, a
 * class-keyed string with an escape, longer than maxBytes).
 */
export function classKey(b: Buffer, footprint: CallFootprint, maxBytes: number): boolean {
  if (footprint.classes === undefined || projected.argumentsKind !== PRESENT || footprint !== lastFootprint) return false;
  const p = last!;
  if (classed.bytes.length < maxBytes) classed.bytes = Buffer.alloc(maxBytes);
  const out = classed.bytes;
  const vs = paramSpans.valueStart;
  const ve = paramSpans.valueEnd;
  const nameAt = projected.name;
  out[0] = 1;
  let at = putValue(out, 1, maxBytes, PRESENT, b, vs[nameAt]!, ve[nameAt]!);
  if (at >= 0) at = putTag(out, at, maxBytes, PRESENT);
  const found = projected.args;
  const avs = argSpans.valueStart;
  const ave = argSpans.valueEnd;
  const classes = p.classes;
  for (let i = 0; i < found.length && at >= 0; i++) {
    const k = found[i]!;
    const c = classes[i]!;
    if (k < 0) at = putTag(out, at, maxBytes, ABSENT);
    else if (c === null) at = putValue(out, at, maxBytes, PRESENT, b, avs[k]!, ave[k]!);
    else at = putClass(out, at, maxBytes, c, b, avs[k]!, ave[k]!);
  }
  const foundParams = projected.params;
  for (let i = 0; i < foundParams.length && at >= 0; i++) {
    const k = foundParams[i]!;
    at = k < 0 ? putTag(out, at, maxBytes, ABSENT) : putValue(out, at, maxBytes, PRESENT, b, vs[k]!, ve[k]!);
  }
  if (at < 0) return false;
  classed.length = at;
  return true;
}
