/**
 * RefusalLog (log/refusal-log.ts) on its own, with a given clock: the first `burst` lines of a key
 * per interval are written, the rest counted into one summary line at the interval's end (or when
 * the key comes back after it, or at close), and past 1 000 keys in an interval new keys share one
 * count per message, so neither the log nor the table grows with the number of sources.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RefusalLog } from '../src/log/refusal-log.js';

function sink() {
  const lines: Array<{ msg: string; suppressed?: number; address?: string; intervalMs?: number }> = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  return { logger, lines };
}

describe('RefusalLog', () => {
  it('writes the first burst of a key per interval and one summary with the count of the rest', () => {
    const { logger, lines } = sink();
    const refusals = new RefusalLog({ burst: 2, intervalMs: 1000 });
    for (let i = 0; i < 5; i++) refusals.log(logger, 'info', 'a', { address: '10.0.0.1' }, 'refused', 100 + i);
    refusals.log(logger, 'info', 'b', { address: '10.0.0.2' }, 'refused', 150);
    expect(lines.map((l) => [l.msg, l.address])).toEqual([
      ['refused', '10.0.0.1'],
      ['refused', '10.0.0.1'],
      ['refused', '10.0.0.2'],
    ]);
    refusals.sweep(1099);
    expect(lines).toHaveLength(3);
    refusals.sweep(1100); // a's interval is over; b's (from 150) is not
    expect(lines.slice(3)).toEqual([expect.objectContaining({ msg: 'refused: 3 more like it suppressed', address: '10.0.0.1', suppressed: 3, intervalMs: 1000 })]);
    // a comes back: a new interval, written again.
    refusals.log(logger, 'info', 'a', { address: '10.0.0.1' }, 'refused', 1200);
    expect(lines).toHaveLength(5);
    refusals.close();
    expect(lines).toHaveLength(5); // nothing suppressed is left open
  });

  it('a key seen again after its interval writes its summary first; close() writes the ones still open', () => {
    const { logger, lines } = sink();
    const refusals = new RefusalLog({ burst: 1, intervalMs: 1000 });
    refusals.log(logger, 'warn', 'k', {}, 'host refused', 0);
    refusals.log(logger, 'warn', 'k', {}, 'host refused', 10);
    refusals.log(logger, 'warn', 'k', {}, 'host refused', 1500);
    expect(lines.map((l) => [l.msg, l.suppressed])).toEqual([
      ['host refused', undefined],
      ['host refused: 1 more like it suppressed', 1],
      ['host refused', undefined],
    ]);
    refusals.log(logger, 'warn', 'k', {}, 'host refused', 1600);
    refusals.close();
    expect(lines.at(-1)).toMatchObject({ msg: 'host refused: 1 more like it suppressed', suppressed: 1 });
  });

  it('past 1 000 keys in an interval, new keys share one count per message', () => {
    const { logger, lines } = sink();
    const refusals = new RefusalLog({ burst: 1, intervalMs: 60_000 });
    for (let i = 0; i < 1000; i++) refusals.log(logger, 'info', `addr${i}`, { address: `a${i}` }, 'refused', 0);
    expect(lines).toHaveLength(1000);
    for (let i = 1000; i < 1500; i++) refusals.log(logger, 'info', `addr${i}`, { address: `a${i}` }, 'refused', 0);
    expect(lines).toHaveLength(1001); // one line for the 500 newcomers, the rest counted
    refusals.close();
    expect(lines.at(-1)).toMatchObject({ msg: 'refused: 499 more like it suppressed', suppressed: 499, address: 'a1000' });
  });
});
