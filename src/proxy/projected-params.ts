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

function canAssign(f: CallFootprint): boolean {
  let ok = assignable.get(f);
  if (ok === undefined) {
    ok = !f.arguments.includes('__proto__') && !f.params.includes('__proto__');
    assignable.set(f, ok);
  }
  return ok;
}

/** The JSON value written at b[s, e) (proven valid by the line's scan), as JSON.parse reads it. */
export function valueAt(b: Buffer, s: number, e: number, ascii: boolean): unknown {
  const c = b[s];
  if (c === 0x22) {
    // a string: its bytes are its text unless it has an escape (the scan proved it valid UTF-8)
    let i = s + 1;
    const last = e - 1;
    while (i < last && b[i] !== 0x5c) i++;
    if (i === last) return b.toString(ascii ? 'latin1' : 'utf8', s + 1, last);
  } else if (c === 0x74 && e - s === 4) return true;
  else if (c === 0x66 && e - s === 5) return false;
  else if (c === 0x6e && e - s === 4) return null;
  return JSON.parse(b.toString(ascii ? 'latin1' : 'utf8', s, e));
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
