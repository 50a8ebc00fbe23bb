/**
 * The params a judged tools/call is decided on when its decision is not kept and the policy observes
 * only some members (src/proxy/projected-params.ts), read off the member spans: generated lines
 * (fast-check: strings with escapes, non-ASCII text, numbers, literals, nested values, whitespace,
 * member order, other members) give exactly JSON.parse's params restricted to what the footprint
 * names (the tool name; arguments absent, not an object, or its observed members; the observed
 * members of params), a short text found again by its bytes is the text they decode to, and a
 * footprint naming __proto__ declines rather than build it by assignment.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactToolCallIdAt, idSpan } from '../src/proxy/compact-bytes.js';
import { distinctKeysToolCall, distinctSpan } from '../src/proxy/distinct-keys.js';
import { projectedFind, projectedKey } from '../src/proxy/projected-key.js';
import { projectedParams, textAt, valueAt } from '../src/proxy/projected-params.js';
import type { CallFootprint } from '../src/types.js';

/**
 * The projected params of a compact tools/call line, or undefined when it is not scanned, keyed or
 * projected; `keyed`: its members found by projectedKey (a call looked up), else by projectedFind
 * alone (a call that bypasses the kept decisions).
 */
function project(text: string, footprint: CallFootprint, keyed = true): Record<string, unknown> | undefined {
  const buf = Buffer.from(text);
  if (compactToolCallIdAt(buf, 0, buf.length) < 0) return undefined;
  if (!distinctKeysToolCall(buf, 0, buf.length, idSpan.params, idSpan.before, true)) return undefined;
  if (!(keyed ? projectedKey(buf, footprint, 2048) : projectedFind(buf, footprint))) return undefined;
  return projectedParams(buf, footprint, distinctSpan.ascii);
}

/** What the footprint lets the policy observe of JSON.parse's params. */
function restricted(params: Record<string, unknown>, footprint: CallFootprint): Record<string, unknown> {
  const out: Record<string, unknown> = { name: params.name };
  const a = params.arguments;
  if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
    const args: Record<string, unknown> = {};
    for (const k of footprint.arguments) if (Object.hasOwn(a, k)) args[k] = (a as Record<string, unknown>)[k];
    out.arguments = args;
  } else if (a !== undefined) out.arguments = a;
  for (const k of footprint.params) if (Object.hasOwn(params, k)) out[k] = params[k];
  return out;
}

const FOOTPRINT: CallFootprint = { arguments: ['command', 'namespace', 'resourceType', 'é'], params: ['_meta', 'task'] };

const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('a"b', 'back\\slash', 'tab\there', 'new\nline', 'é', '日本', '\u2028', '😀', '\u0000', '/'),
);
const scalar = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const value = fc.oneof({ weight: 4, arbitrary: scalar }, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'namespace', 'é'), scalar, { maxKeys: 2 }));
const argKeys = fc.constantFrom('command', 'namespace', 'resourceType', 'é', 'name', 'x', 'flags');
const args = fc.oneof({ weight: 6, arbitrary: fc.dictionary(argKeys, value, { maxKeys: 6 }) }, { weight: 2, arbitrary: value }, { weight: 1, arbitrary: fc.constant(undefined) });
const others = fc.dictionary(fc.constantFrom('_meta', 'task', 'other'), value, { maxKeys: 3 });
const ws = fc.constantFrom('', ' ', '\n ', '\t');

function line(name: string, a: unknown, more: Record<string, unknown>, pad: string, argsFirst: boolean): string {
  const params: Record<string, unknown> = argsFirst ? {} : { ...more };
  if (a !== undefined) params.arguments = a;
  params.name = name;
  if (argsFirst) Object.assign(params, more);
  const p = JSON.stringify(params, null, pad === '' ? undefined : 1).replace(/\n/g, pad.includes('\n') ? '\n' : pad === '' ? '' : ' ');
  return `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":${p}}`;
}

describe('projected params', () => {
  it("are JSON.parse's params restricted to what the footprint names, whatever the values and the rest (found with the key or without)", () => {
    let objects = 0;
    let escaped = 0;
    fc.assert(
      fc.property(fc.constantFrom('kubectl_get', 'tool\\"q', 'é_tool'), args, others, ws, fc.boolean(), (rawName, a, more, pad, argsFirst) => {
        const name = rawName.replace('\\"', '"');
        const t = line(name, a, more, pad, argsFirst);
        const params = (JSON.parse(t) as { params: Record<string, unknown> }).params;
        const got = project(t, FOOTPRINT);
        expect(got, t).toBeDefined();
        expect(got).toStrictEqual(restricted(params, FOOTPRINT));
        // found without writing the key (a call that bypasses the kept decisions): the same
        expect(project(t, FOOTPRINT, false)).toStrictEqual(got);
        if (a !== null && typeof a === 'object' && !Array.isArray(a)) objects++;
        if (t.includes('\\')) escaped++;
      }),
      { numRuns: 1500, seed: 4242 },
    );
    expect(objects).toBeGreaterThan(500);
    expect(escaped).toBeGreaterThan(100);
  });

  it('read each kind of value as JSON.parse does', () => {
    for (const v of ['"plain"', '"with \\"quote\\""', '"\\u00e9\\n"', '"é日本"', '""', '0', '-1.5e3', 'true', 'false', 'null', '[1,{"a":"b"}]', '{"x":[true]}']) {
      const b = Buffer.from(`  ${v}  `);
      expect(valueAt(b, 2, 2 + Buffer.byteLength(v), !/[^\x00-\x7f]/.test(v))).toStrictEqual(JSON.parse(v));
    }
  });

  it('decline a footprint naming __proto__ (never set a prototype by assignment)', () => {
    const t = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","arguments":{"__proto__":{"x":1},"a":2}}}';
    expect(project(t, { arguments: ['__proto__', 'a'], params: [] })).toBeUndefined();
    expect(project(t, { arguments: ['a'], params: ['__proto__'] })).toBeUndefined();
    expect(project(t, { arguments: ['a'], params: [] })).toStrictEqual({ name: 't', arguments: { a: 2 } });
  });

  it('read a short text found again by its bytes as the bytes decode, whatever shared its slot before', () => {
    // few letters and lengths: texts that share a slot, a length, a first, middle and last byte
    const piece = fc.constantFrom('a', 'b', 'é', 'ab', 'ba', '日', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(33), '');
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 4 }).map((p) => p.join('')), { minLength: 1, maxLength: 40 }), (texts) => {
        for (const t of texts) {
          const b = Buffer.from(`"${t}"`);
          const ascii = !/[^\x00-\x7f]/.test(t);
          expect(textAt(b, 1, b.length - 1, ascii)).toBe(t);
        }
      }),
      { numRuns: 400, seed: 31 },
    );
  });
});
