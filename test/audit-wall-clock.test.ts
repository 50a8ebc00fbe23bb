/**
 * The raw path's row time (src/proxy/wall-clock.ts): the wall clock read off the proxy's own
 * performance.now() reading of the forwarding, instead of Date.now() on the call path. It agrees
 * with Date.now() to within the clocks' rounding, and follows a step of the wall clock (NTP, an
 * operator) once it checks again (at most a second later; check() here).
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { check, wallMsAt } from '../src/proxy/wall-clock.js';

afterEach(() => {
  vi.restoreAllMocks();
  check();
});

/** `read()` is within `slack` ms of Date.now() + `ahead`, Date.now() taken on both sides of it. */
function expectWithin(read: () => number, ahead: number, slack = 2): void {
  const before = Date.now();
  const v = read();
  const after = Date.now();
  expect(v).toBeGreaterThanOrEqual(before + ahead - slack);
  expect(v).toBeLessThanOrEqual(after + ahead + slack);
}

describe('wall clock at a performance.now() reading', () => {
  it('agrees with Date.now() taken around it, reading after reading', () => {
    let worst = 0;
    let integers = true;
    for (let i = 0; i < 200_000; i++) {
      const before = Date.now();
      const v = wallMsAt(performance.now());
      const after = Date.now();
      integers &&= Number.isInteger(v);
      worst = Math.max(worst, before - v, v - after);
    }
    expect(integers).toBe(true);
    // Within the rounding of the two clocks (Date.now() truncates; the offset is kept within 1.5 ms).
    expect(worst).toBeLessThanOrEqual(2);
  });

  // Date.now() read on both sides of the reading: the process may be descheduled between any two
  // statements on a busy host, so a single Date.now() next to it says nothing to the millisecond.
  it('a reading older than the last check still gives its own time, not the check time', () => {
    const before = Date.now();
    const at = performance.now();
    const after = Date.now();
    const t = 40;
    const start = performance.now();
    while (performance.now() - start < t) {
      // wait ~40 ms
    }
    check();
    const v = wallMsAt(at);
    expect(v).toBeGreaterThanOrEqual(before - 2);
    expect(v).toBeLessThanOrEqual(after + 2);
  });

  it('follows a step of the wall clock once it checks again', () => {
    const step = 3_600_000; // an hour forward
    const real = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => real() + step);
    check();
    expectWithin(() => wallMsAt(performance.now()), 0);
    // And back.
    vi.restoreAllMocks();
    check();
    expectWithin(() => wallMsAt(performance.now()), 0);
  });

  it('checks again by itself once a second has passed (reading later than the last check)', () => {
    const step = -7_200_000; // two hours back
    const real = Date.now.bind(Date);
    check();
    vi.spyOn(Date, 'now').mockImplementation(() => real() + step);
    // A reading a second and a bit after the last check: wallMsAt checks before it answers.
    expectWithin(() => wallMsAt(performance.now() + 1_100), 1_100, 3);
  });
});
