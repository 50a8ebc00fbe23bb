/**
 * The wall clock (Date.now()'s milliseconds) at a performance.now() reading the proxy already took,
 * for the audit's raw path: a call's row time is its forwarding time, read off ex.sentAt, so that
 * the call path does not read the wall clock too (on a cold cache Date.now() costs several times a
 * performance.now(): measured ~3.6 vs ~1.1 µs). performance.timeOrigin plus the reading is the wall
 * clock while nobody sets the clock; it is checked against Date.now() at most once a second, and
 * when they differ by more than the clocks' rounding (a clock step, NTP) the offset is set again
 * from Date.now(): a row's time is then off by at most about a millisecond, and for at most a second
 * after a step.
 */
import { performance } from 'node:perf_hooks';

/** How often (performance.now() milliseconds) the offset is checked against Date.now(). */
const CHECK_EVERY_MS = 1000;
/** Farther than this from Date.now() (which is truncated to the millisecond), the offset is set again. */
const TOLERANCE_MS = 1.5;

let offset = performance.timeOrigin;
let checkedAt = Number.NEGATIVE_INFINITY;

/** Date.now() as it was when performance.now() read `at` (a reading of this process, not older than the last check by much). */
export function wallMsAt(at: number): number {
  if (at - checkedAt >= CHECK_EVERY_MS || at < checkedAt) check();
  return Math.floor(offset + at);
}

/** Sets the offset again from Date.now() when it strayed (exported for tests). */
export function check(): void {
  const before = performance.now();
  const now = Date.now();
  const after = performance.now();
  checkedAt = after;
  // Date.now() is some instant in [before, after], truncated: its middle estimate.
  const estimate = offset + (before + after) / 2;
  if (Math.abs(estimate - (now + 0.5)) > TOLERANCE_MS + (after - before) / 2) offset = now + 0.5 - (before + after) / 2;
}
