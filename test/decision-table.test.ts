/**
 * DecisionTable (src/proxy/decision-table.ts), the per-session store of reused decisions: found only
 * by equal bytes (never by an equal hash alone), bytes compared where they lie in a larger buffer,
 * bounded with the oldest forgotten first, entries deleted and cleared.
 */
import { describe, expect, it } from 'vitest';
import { bytesHash, DecisionTable } from '../src/proxy/decision-table.js';
import type { Decision, ToolInfo } from '../src/types.js';

const tool: ToolInfo = { name: 't', backendName: 't' };
const decision = (n: number): Decision => ({ allowed: n % 2 === 0, reasons: [], mode: 'enforce', policyVersion: `v${n}`, micros: 0 });

/** `text` placed at an offset inside a larger buffer: [buf, from, to]. */
function within(text: string): [Buffer, number, number] {
  const buf = Buffer.from(`xx${text}yy`);
  return [buf, 2, buf.length - 2];
}

describe('DecisionTable', () => {
  it('finds a decision by equal bytes wherever they lie, and not by an equal hash with other bytes', () => {
    const t = new DecisionTable(4);
    const [a, af, at] = within('{"name":"a"}');
    t.set(a, af, at, bytesHash(a, af, at), decision(0), 'a', tool, 0);
    const [b, bf, bt] = within('{"name":"a"}');
    expect(t.get(b, bf, bt, bytesHash(b, bf, bt))?.decision.policyVersion).toBe('v0');
    // Other bytes given the same hash (a forced collision): not found.
    const [c, cf, ct] = within('{"name":"b"}');
    expect(t.get(c, cf, ct, bytesHash(a, af, at))).toBeUndefined();
    // Same bytes but one longer: not found.
    const [d, df, dt] = within('{"name":"a"} ');
    expect(t.get(d, df, dt, bytesHash(a, af, at))).toBeUndefined();
    // The kept bytes are a copy: changing the chunk afterwards changes nothing.
    a.fill(0x20);
    expect(t.get(b, bf, bt, bytesHash(b, bf, bt))?.decision.policyVersion).toBe('v0');
  });

  it('keeps entries that share a bucket apart, forgets the oldest first, deletes and clears', () => {
    const t = new DecisionTable(3);
    const keys = ['{"k":0}', '{"k":1}', '{"k":2}', '{"k":3}'].map((s) => Buffer.from(s));
    // All under one hash: one chain.
    const h = 12345;
    for (let i = 0; i < 3; i++) t.set(keys[i]!, 0, keys[i]!.length, h, decision(i), 'k', tool, 0);
    expect(keys.slice(0, 3).map((k) => t.get(k, 0, k.length, h)?.decision.policyVersion)).toEqual(['v0', 'v1', 'v2']);
    t.set(keys[3]!, 0, keys[3]!.length, h, decision(3), 'k', tool, 0);
    expect(t.size).toBe(3);
    expect(keys.map((k) => t.get(k, 0, k.length, h)?.decision.policyVersion)).toEqual([undefined, 'v1', 'v2', 'v3']);
    t.delete(keys[2]!, 0, keys[2]!.length, h);
    expect(keys.map((k) => t.get(k, 0, k.length, h)?.decision.policyVersion)).toEqual([undefined, 'v1', undefined, 'v3']);
    // The deleted entry's place in the ring comes round without harm.
    for (let i = 0; i < 3; i++) t.set(keys[0]!, 0, keys[0]!.length, h + 1 + i, decision(10 + i), 'k', tool, 0);
    expect(keys.map((k) => t.get(k, 0, k.length, h)?.decision.policyVersion)).toEqual([undefined, undefined, undefined, undefined]);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.get(keys[0]!, 0, keys[0]!.length, h + 3)).toBeUndefined();
  });

  it('bytesHash depends on the length and the last bytes, and only on the bytes of the range', () => {
    const b = Buffer.from('abcdef');
    expect(bytesHash(b, 0, 6)).not.toBe(bytesHash(b, 0, 5));
    expect(bytesHash(b, 1, 6)).not.toBe(bytesHash(b, 0, 6));
    expect(bytesHash(Buffer.from('xabcdef'), 1, 7)).toBe(bytesHash(b, 0, 6));
    const long = (n: number) => Buffer.from(`{"name":"kubectl_get","arguments":{"resourceType":"pods","namespace":"default","name":"pod-${n}"}}`);
    const hashes = new Set(Array.from({ length: 1000 }, (_, n) => bytesHash(long(n), 0, long(n).length)));
    expect(hashes.size).toBe(1000);
  });
});
