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
 */
import type { CallFootprint } from '../types.js';
import { argSpans, memberSpans, paramSpans } from './distinct-keys.js';

/** The footprint's member names as bytes (made once per footprint object). */
interface Names {
  arguments: Buffer[];
  params: Buffer[];
}

const names = new WeakMap<CallFootprint, Names>();
const NAME = Buffer.from('name');

function namesOf(f: CallFootprint): Names {
  let n = names.get(f);
  if (n === undefined) {
    n = { arguments: f.arguments.map((k) => Buffer.from(k, 'utf8')), params: f.params.map((k) => Buffer.from(k, 'utf8')) };
    names.set(f, n);
  }
  return n;
}

/** Where projectedKey writes (key bytes: projected.bytes[0, length)). */
export const projected = { bytes: Buffer.alloc(0), length: 0 };

const ABSENT = 0;
const PRESENT = 1;
const NOT_OBJECT = 2;

/** Index of the member named `name` among `count` recorded spans, or -1. */
function find(b: Uint8Array, spans: typeof paramSpans, count: number, name: Buffer): number {
  const len = name.length;
  for (let k = 0; k < count; k++) {
    const s = spans.nameStart[k]!;
    if (spans.nameEnd[k]! - s !== len) continue;
    let j = 0;
    while (j < len && b[s + j] === name[j]) j++;
    if (j === len) return k;
  }
  return -1;
}

let out = projected.bytes;
let at = 0;
let limit = 0;

/** A tag byte alone; false when the key would be too long. */
function tag(t: number): boolean {
  if (at + 1 > limit) return false;
  out[at++] = t;
  return true;
}

/** A tag byte, the length of b[s, e) (2 bytes) and its bytes; false when the key would be too long. */
function value(t: number, b: Buffer, s: number, e: number): boolean {
  const len = e - s;
  if (at + 3 + len > limit) return false;
  out[at++] = t;
  out[at++] = len >> 8;
  out[at++] = len & 0xff;
  // a loop: cheaper than Buffer.copy's native call for the short values keys are made of
  if (len < 64) for (let i = 0; i < len; i++) out[at + i] = b[s + i]!;
  else b.copy(out, at, s, e);
  at += len;
  return true;
}

/** The observed member `key` among `count` recorded spans: absent, or its value. */
function member(b: Buffer, spans: typeof paramSpans, count: number, key: Buffer): boolean {
  const k = find(b, spans, count, key);
  return k < 0 ? tag(ABSENT) : value(PRESENT, b, spans.valueStart[k]!, spans.valueEnd[k]!);
}

/**
 * Writes the key of the line whose distinct-keys scan just succeeded into `projected` (true), or
 * false when it cannot be keyed so: more members than were recorded, no name string, a key longer
 * than maxBytes (less than 64 KiB).
 */
export function projectedKey(b: Buffer, footprint: CallFootprint, maxBytes: number): boolean {
  if (memberSpans.overflow) return false;
  const n = namesOf(footprint);
  if (projected.bytes.length < maxBytes) projected.bytes = Buffer.alloc(maxBytes);
  out = projected.bytes;
  limit = maxBytes;
  at = 0;
  out[at++] = 0;
  const pc = memberSpans.paramsCount;
  const nameAt = find(b, paramSpans, pc, NAME);
  if (nameAt < 0 || b[paramSpans.valueStart[nameAt]!] !== 0x22) return false;
  if (!value(PRESENT, b, paramSpans.valueStart[nameAt]!, paramSpans.valueEnd[nameAt]!)) return false;
  const argsAt = memberSpans.arguments;
  if (argsAt < 0) {
    if (!tag(ABSENT)) return false;
  } else if (b[paramSpans.valueStart[argsAt]!] !== 0x7b) {
    if (!value(NOT_OBJECT, b, paramSpans.valueStart[argsAt]!, paramSpans.valueEnd[argsAt]!)) return false;
  } else {
    if (!tag(PRESENT)) return false;
    const ac = memberSpans.argsCount;
    for (const key of n.arguments) if (!member(b, argSpans, ac, key)) return false;
  }
  for (const key of n.params) if (!member(b, paramSpans, pc, key)) return false;
  projected.length = at;
  return true;
}
