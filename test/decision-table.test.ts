/**
 * DecisionTable (src/proxy/decision-table.ts), the per-session store of reused decisions: found only
 * by equal bytes (never by an equal hash alone), bytes compared where they lie in a larger buffer,
 * bounded with the oldest forgotten first, entries deleted and cleared.
 */
import { describe, expect, it } from 'vitest';
import { ARENA_KEY_BYTES, bytesHash, DecisionTable } from '../src/proxy/decision-table.js';
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

  it('matches a ring of places kept in plain arrays, keys short and long, entries and key bytes taken again as the ring comes round', () => {
    // A seeded generator: keys of 0 to 2 * ARENA_KEY_BYTES + 9 bytes over a small alphabet (many share
    // a prefix), under few hashes (long chains), with deletes and gets between the sets.
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const lengths = [0, 1, 5, ARENA_KEY_BYTES - 1, ARENA_KEY_BYTES, ARENA_KEY_BYTES + 1, 2 * ARENA_KEY_BYTES + 9];
    const keyOf = (): string => 'ab'.repeat(200).slice(0, lengths[rnd(lengths.length)]!).replace(/./g, (c) => (rnd(3) === 0 ? 'x' : c));
    const capacity = 5;
    const t = new DecisionTable(capacity);
    // the model: places of a ring, each the key set there (or undefined), and which keys are live
    const places: ({ key: string; id: number } | undefined)[] = new Array(capacity).fill(undefined);
    const live = new Map<string, number>();
    let oldest = 0;
    const hashOf = (k: string): number => k.length % 3;
    let n = 0;
    for (let step = 0; step < 4000; step++) {
      const k = keyOf();
      // within a larger buffer, as lines come
      const buf = Buffer.from(`##${k}##`);
      const from = 2;
      const to = buf.length - 2;
      const op = rnd(10);
      if (op < 6) {
        if (live.has(k)) continue; // set() is only called for bytes not kept
        const old = places[oldest];
        if (old !== undefined && live.get(old.key) === old.id) live.delete(old.key);
        places[oldest] = { key: k, id: ++n };
        oldest = (oldest + 1) % capacity;
        live.set(k, n);
        t.set(buf, from, to, hashOf(k), decision(n), 'k', tool, 0);
      } else if (op < 7) {
        live.delete(k);
        t.delete(buf, from, to, hashOf(k));
      }
      // every key the model holds is found with its own decision, and a fresh key is not
      for (const [key, d] of live) {
        const kb = Buffer.from(key);
        expect(t.get(kb, 0, kb.length, hashOf(key))?.decision.policyVersion, `step ${step}: ${key}`).toBe(`v${d}`);
      }
      expect(t.get(buf, from, to, hashOf(k))?.decision.policyVersion).toBe(live.has(k) ? `v${live.get(k)}` : undefined);
    }
    expect(n).toBeGreaterThan(1000);
  });
});
