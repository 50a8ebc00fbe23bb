/**
 * The params a judged tools/call is decided on when its decision is not kept (a miss) and the policy
 * can observe only some members of them (PolicyDecider.pureDecisionFootprint): built from the member
 * spans of the line's distinct-keys scan and what projectedKey found in it, without parsing the
 * line. They hold the tool name, arguments (absent; not an object: all of it; an object: only its
 * observed members) and the observed members of params, each value as JSON.parse reads it. So they
 * are equal, in everything the policy can observe, to the params JSON.parse reads off the whole line:
 * the same ground on which a decision kept for a projected key is reused (projected-key.ts), here
 * applied to the call itself. Only the decision sees them: the exchange gets the session's context
 * without params, completed from the line's bytes if anything comes to need it (completeContext).
 */
import type { CallFootprint } from '../types.js';
import { argSpans, memberSpans, paramSpans } from './distinct-keys.js';
import { NOT_OBJECT, PRESENT, projected } from './projected-key.js';

/**
 * Whether the footprint's names can be written as members of a plain object built by assignment:
 * `__proto__` cannot (it would set the prototype); such a footprint declines (the line is parsed).
 */
const assignable = new WeakMap<CallFootprint, boolean>();

/** the last footprint asked about and its answer (one comparison per call while the policy stays) */
let lastFootprint: CallFootprint | undefined;
let lastAssignable = false;

function canAssign(f: CallFootprint): boolean {
  if (f === lastFootprint) return lastAssignable;
  let ok = assignable.get(f);
  if (ok === undefined) {
    ok = !f.arguments.includes('__proto__') && !f.params.includes('__proto__');
    assignable.set(f, ok);
  }
  lastFootprint = f;
  lastAssignable = ok;
  return ok;
}

type Slice = (this: Buffer, start: number, end: number) => string;
/**
 * Buffer's own decoders, called without Buffer.prototype.toString's argument handling (a third of
 * the cost of reading a short value); toString where a runtime lacks them.
 */
const proto = Buffer.prototype as unknown as { latin1Slice?: Slice; utf8Slice?: Slice };
const latin1Slice: Slice = typeof proto.latin1Slice === 'function' ? proto.latin1Slice : function (this: Buffer, s, e) { return this.toString('latin1', s, e); };
const utf8Slice: Slice = typeof proto.utf8Slice === 'function' ? proto.utf8Slice : function (this: Buffer, s, e) { return this.toString('utf8', s, e); };

/** The text of b[s, e): all ASCII (latin1 reads it alike, faster) or UTF-8. */
function decode(b: Buffer, s: number, e: number, ascii: boolean): string {
  return ascii ? latin1Slice.call(b, s, e) : utf8Slice.call(b, s, e);
}

/**
 * Recently read short texts by their bytes (direct-mapped): a tool name or an argument value that
 * comes again (a namespace) is found by comparing its bytes instead of making a string (a call into
 * the runtime of ~0.2 µs). The text of valid UTF-8 bytes is a function of the bytes (and latin1 of
 * ASCII bytes is their UTF-8), so a text found by equal bytes is the text those bytes decode to.
 */
const SLOTS = 64;
const SLOT_BYTES = 32;
const slotBytes = new Uint8Array(SLOTS * SLOT_BYTES);
const slotLength = new Int16Array(SLOTS).fill(-1);
const slotText: string[] = new Array<string>(SLOTS).fill('');

/** The text of b[s, e) (valid UTF-8; `ascii`: all of the line is ASCII). */
export function textAt(b: Buffer, s: number, e: number, ascii: boolean): string {
  const len = e - s;
  if (len > SLOT_BYTES || len === 0) return len === 0 ? '' : decode(b, s, e, ascii);
  const slot = (len * 7 + b[s]! * 3 + b[e - 1]! * 5 + b[s + (len >> 1)]!) & (SLOTS - 1);
  const at = slot * SLOT_BYTES;
  if (slotLength[slot] === len) {
    let i = 0;
    while (i < len && slotBytes[at + i] === b[s + i]) i++;
    if (i === len) return slotText[slot]!;
  }
  const t = decode(b, s, e, ascii);
  for (let i = 0; i < len; i++) slotBytes[at + i] = b[s + i]!;
  slotLength[slot] = len;
  slotText[slot] = t;
  return t;
}

/** The JSON value written at b[s, e) (proven valid by the line's scan), as JSON.parse reads it. */
export function valueAt(b: Buffer, s: number, e: number, ascii: boolean): unknown {
  const c = b[s];
  if (c === 0x22) {
    // a string: its bytes are its text unless it has an escape (the scan proved it valid UTF-8)
    let i = s + 1;
    const last = e - 1;
    while (i < last && b[i] !== 0x5c) i++;
    if (i === last) return textAt(b, s + 1, last, ascii);
  } else if (c === 0x74 && e - s === 4) return true;
  else if (c === 0x66 && e - s === 5) return false;
  else if (c === 0x6e && e - s === 4) return null;
  return JSON.parse(decode(b, s, e, ascii));
}

/**
 * The projected params of the line whose projectedKey(b, footprint) just succeeded (`ascii`: the
 * line is all ASCII, distinctSpan.ascii), or undefined when the footprint's names cannot be built
 * so (the line is then parsed whole).
 */
export function projectedParams(b: Buffer, footprint: CallFootprint, ascii: boolean): Record<string, unknown> | undefined {
  if (!canAssign(footprint)) return undefined;
  const vs = paramSpans.valueStart;
  const ve = paramSpans.valueEnd;
  const nameAt = projected.name;
  const name = valueAt(b, vs[nameAt]!, ve[nameAt]!, ascii);
  const kind = projected.argumentsKind;
  let params: Record<string, unknown>;
  if (kind === PRESENT) {
    const args: Record<string, unknown> = {};
    const names = footprint.arguments;
    const found = projected.args;
    const avs = argSpans.valueStart;
    const ave = argSpans.valueEnd;
    for (let i = 0; i < names.length; i++) {
      const k = found[i]!;
      if (k >= 0) args[names[i]!] = valueAt(b, avs[k]!, ave[k]!, ascii);
    }
    params = { name, arguments: args };
  } else if (kind === NOT_OBJECT) {
    const argsAt = memberSpans.arguments;
    params = { name, arguments: valueAt(b, vs[argsAt]!, ve[argsAt]!, ascii) };
  } else params = { name };
  const names = footprint.params;
  const found = projected.params;
  for (let i = 0; i < names.length; i++) {
    const k = found[i]!;
    if (k >= 0) params[names[i]!] = valueAt(b, vs[k]!, ve[k]!, ascii);
  }
  return params;
}
