/**
 * Adversarial review of the projected decision key (src/proxy/projected-key.ts over the member spans
 * of src/proxy/distinct-keys.ts): raw tools/call lines spelled in every way JSON allows (escapes in
 * values and, rarely, in names; 1, 1.0, 1e0, -0 and 0; whitespace around every token; members
 * named like the observed ones at other depths and in other members of params; arguments absent,
 * null, a scalar, an array, or an object; names that are not strings; members in any order). Among
 * the lines the scan proves and the key takes, two lines with the same key always parse to the same
 * tool name, the same kind of arguments (the same value when not an object), and the same observed
 * members of arguments and params (present or absent, equal values): the key never merges inputs
 * the policy could tell apart.
 */
import { describe, expect, it } from 'vitest';
import { compactToolCallIdAt, idSpan } from '../src/proxy/compact-bytes.js';
import { distinctKeysToolCall } from '../src/proxy/distinct-keys.js';
import { projected, projectedKey } from '../src/proxy/projected-key.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FOOTPRINT = { arguments: ['a', 'namespace', 'é', 'name', 'arguments'], params: ['_meta', 'x'] };
const NAMES = ['a', 'ns', 'namespace', 'arguments', 'name', '_meta', 'x', 'é', 'b'];

function lines(seed: number, n: number): string[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ws = () => pick(['', '', '', ' ', '\n', '\t ']);
  const str = (s: string): string => {
    let out = '"';
    for (const ch of s) {
      if (ch === '"' || ch === '\\') out += '\\' + ch;
      else if (r() < 0.2) out += '\\u' + ch.codePointAt(0)!.toString(16).padStart(4, '0');
      else out += ch;
    }
    return out + '"';
  };
  const num = () => pick(['1', '1.0', '1e0', '10e-1', '-0', '0', '2', '1E0', '100', '1e2']);
  const val = (depth: number): string => {
    const k = r();
    // long strings too (copied by Buffer.copy past 63 bytes; lengths across a byte of the 2-byte length field)
    const long = () => str('L'.repeat(pick([63, 64, 255, 256, 257, 511])) + pick(['', 'x']));
    if (depth > 3 || k < 0.4) return pick([num, () => str(pick(['a', 'default', 'kube', 'é', ''])), () => 'true', () => 'false', () => 'null', long])();
    if (k < 0.55) return '[' + ws() + Array.from({ length: Math.floor(r() * 3) }, () => val(depth + 1)).join(ws() + ',' + ws()) + ws() + ']';
    return obj(depth + 1);
  };
  const obj = (depth: number): string => {
    const names = [...new Set(Array.from({ length: Math.floor(r() * 4) }, () => pick(NAMES)))];
    // a name written with an escape is rare: the scan declines such lines
    return '{' + ws() + names.map((nm) => ws() + (r() < 0.03 ? str(nm) : JSON.stringify(nm)) + ws() + ':' + ws() + val(depth) + ws()).join(',') + '}';
  };
  const params = (): string => {
    const parts: string[] = [];
    for (const m of ['name', 'arguments', '_meta', 'x'].sort(() => r() - 0.5)) {
      if (m === 'name') {
        if (r() < 0.95) parts.push(`"name"${ws()}:${ws()}${r() < 0.9 ? str(pick(['t', 'u'])) : num()}`);
      } else if (m === 'arguments') {
        const k = r();
        if (k < 0.7) parts.push(`"arguments":${ws()}${obj(3)}`);
        else if (k < 0.85) parts.push(`"arguments":${val(3)}`);
      } else if (r() < 0.5) parts.push(`"${m}":${ws()}${val(2)}`);
    }
    return '{' + parts.join(',' + ws()) + '}';
  };
  return Array.from({ length: n }, () => `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${params()}}`);
}

/** what the policy can observe of a line, given FOOTPRINT (-0 told from 0: JSON.stringify would not) */
function projection(line: string): string {
  const params = (JSON.parse(line) as { params: Record<string, unknown> }).params;
  const a = params.arguments;
  const isObject = typeof a === 'object' && a !== null && !Array.isArray(a);
  const out: Record<string, unknown> = { name: params.name, kind: a === undefined ? 'absent' : isObject ? 'object' : ['value', a] };
  if (isObject) for (const k of FOOTPRINT.arguments) out[`arguments.${k}`] = k in a ? ['present', (a as Record<string, unknown>)[k]] : 'absent';
  for (const k of FOOTPRINT.params) out[`params.${k}`] = k in params ? ['present', params[k]] : 'absent';
  return JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' && Object.is(v, -0) ? '-0' : v));
}

describe('projected keys of raw lines spelled every way', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: lines with equal keys observe equal values`, () => {
      const byKey = new Map<string, { line: string; projection: string }>();
      let keyed = 0;
      let shared = 0;
      for (const line of lines(seed, 20_000)) {
        const buf = Buffer.from(line);
        if (compactToolCallIdAt(buf, 0, buf.length) < 0) continue;
        if (!distinctKeysToolCall(buf, 0, buf.length, idSpan.params, idSpan.before, true)) continue;
        if (!projectedKey(buf, FOOTPRINT, 2048)) continue;
        keyed++;
        const key = projected.bytes.toString('latin1', 0, projected.length);
        const seen = byKey.get(key);
        const p = projection(line);
        if (seen === undefined) byKey.set(key, { line, projection: p });
        else {
          shared++;
          expect(p, `${seen.line}\n${line}`).toBe(seen.projection);
        }
      }
      // most lines are keyed, and many share a key with another spelling
      expect(keyed).toBeGreaterThan(14_000);
      expect(shared).toBeGreaterThan(3_000);
    });
  }
});
