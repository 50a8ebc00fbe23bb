/**
 * InFlight (proxy/in-flight.ts): a client's integer id is kept while no request in flight holds it,
 * the proxy's own ids never take an id in flight, and an id given up (cancelled, timed out) is not
 * handed out again until its late answer has come, so that answer is never taken for another
 * request's. Driven with random sequences against a model of what must hold.
 */
import { describe, expect, it } from 'vitest';
import { InFlight } from '../src/proxy/in-flight.js';

describe('InFlight ids', () => {
  it("keeps a client's id when it is free, and gives a fresh one when it is in flight (the proxy's or the client's)", () => {
    const f = new InFlight<string>();
    const own = f.freshId();
    f.set(own, 'initialize');
    expect(f.idFor(own)).not.toBe(own);
    const kept = f.idFor(5);
    expect(kept).toBe(5);
    f.set(5, 'client 5');
    const again = f.idFor(5);
    expect(again).not.toBe(5);
    f.set(again, 'client 5, written twice');
    // The proxy's next ids skip both.
    for (let i = 0; i < 10; i++) {
      const id = f.freshId();
      expect([own, 5, again]).not.toContain(id);
      f.set(id, `own ${i}`);
    }
    expect(f.get(5)).toBe('client 5');
    expect(f.get(again)).toBe('client 5, written twice');
  });

  it('an id given up is handed out again only after its late answer', () => {
    const f = new InFlight<string>();
    f.set(f.idFor(3), 'client 3');
    f.retire(3);
    expect(f.get(3)).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(f.freshId()).not.toBe(3);
    expect(f.idFor(3)).not.toBe(3);
    f.lateAnswer(3);
    expect(f.idFor(3)).toBe(3);
  });

  it('keeps at most 1,024 retired ids (the oldest is freed first)', () => {
    const f = new InFlight<string>();
    for (let id = 100_000; id < 100_000 + 1025; id++) {
      f.set(id, 'x');
      f.retire(id);
    }
    expect(f.idFor(100_000)).toBe(100_000);
    expect(f.idFor(100_001)).not.toBe(100_001);
  });

  it('never lets two requests in flight, or a request and a retired id, share an id (100,000 random steps)', () => {
    const f = new InFlight<number>();
    const live = new Map<number, number>();
    const retired = new Set<number>();
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let tag = 0;
    for (let step = 0; step < 100_000; step++) {
      const op = rand(10);
      if (op < 3) {
        // A client request with a small id (clients count from 0 or 1; some reuse ids).
        const id = f.idFor(rand(40));
        expect(live.has(id) || retired.has(id)).toBe(false);
        live.set(id, ++tag);
        f.set(id, tag);
      } else if (op < 4) {
        const id = f.freshId();
        expect(live.has(id) || retired.has(id)).toBe(false);
        live.set(id, ++tag);
        f.set(id, tag);
      } else if (op < 8 && live.size > 0) {
        const ids = [...live.keys()];
        const id = ids[rand(ids.length)]!;
        expect(f.get(id)).toBe(live.get(id));
        if (op === 7) {
          f.retire(id);
          // The model keeps the same bound: the oldest retired id is freed first.
          if (retired.size >= 1024) retired.delete(retired.values().next().value!);
          retired.add(id);
        } else f.delete(id);
        live.delete(id);
      } else if (op >= 8 && retired.size > 0) {
        const ids = [...retired];
        const id = ids[rand(ids.length)]!;
        expect(f.get(id)).toBeUndefined();
        f.lateAnswer(id);
        retired.delete(id);
      }
      expect(f.size).toBe(live.size);
      if (step % 997 === 0) {
        expect(new Map(f.entries())).toEqual(live);
        expect(f.values().sort((a, b) => a - b)).toEqual([...live.values()].sort((a, b) => a - b));
      }
    }
  });

  it('finds every id in flight, whatever the ids (large, colliding in the table, taken out in any order)', () => {
    const f = new InFlight<number>();
    const live = new Map<number, number>();
    let seed = 777;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // Ids that share their low bits (same home slot), ids past 2^31 and 2^32, up to 15 digits.
    const pool = [0, 16, 32, 48, 64, 1, 17, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 16, 999_999_999_999_999, 123_456_789_012_345];
    for (let i = 0; i < 200; i++) pool.push(rand(1000), rand(1000) * 1024);
    for (let step = 0; step < 50_000; step++) {
      const id = pool[rand(pool.length)]!;
      if (rand(2) === 0) {
        f.set(id, step);
        live.set(id, step);
      } else {
        f.delete(id);
        live.delete(id);
      }
      const probe = pool[rand(pool.length)]!;
      expect(f.get(probe)).toBe(live.get(probe));
      expect(f.size).toBe(live.size);
    }
    expect(new Map(f.entries())).toEqual(live);
    for (const bad of [-1, 1.5, Number.NaN, 'x' as unknown as number]) expect(f.get(bad)).toBeUndefined();
  });
});
