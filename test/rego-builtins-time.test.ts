import { describe, expect, it } from 'vitest';
import { BigNum } from '../src/policy/rego/value/index.js';
import { call, callError, makeCtx } from './helpers/rego-builtin-call.js';

const big = (s: string) => BigNum.fromBigInt(BigInt(s));

describe('time.* with Go layouts and OPA nanoseconds', () => {
  it('parses Go layouts and named layouts (OPA time/parse_nanos)', () => {
    expect(call('time.parse_ns', ['2006-01-02T15:04:05Z07:00', '2017-06-02T19:00:00-07:00'])).toEqual(big('1496455200000000000'));
    expect(call('time.parse_ns', ["01/02 03:04:05PM '06 -0700", "06/02 07:00:00PM '17 -0700"])).toEqual(big('1496455200000000000'));
    expect(call('time.parse_ns', ['02 Jan 06 15:04 -0700', '02 Jun 17 19:00 -0700'])).toEqual(big('1496455200000000000'));
    expect(call('time.parse_ns', ['RFC822Z', '02 Jun 17 19:00 -0700'])).toEqual(big('1496455200000000000'));
    expect(call('time.parse_ns', ['2006-01-02T15:04:05Z07:00', '1677-09-21T00:12:43.145224192-00:00'])).toEqual(big('-9223372036854775808'));
    expect(call('time.parse_ns', ['2006-01-02T15:04:05Z07:00', '2262-04-11T23:47:16.854775807-00:00'])).toEqual(big('9223372036854775807'));
    expect(call('time.parse_ns', ['Mon Jan _2 15:04:05 2006', 'Fri Jun  2 19:00:00 2017'])).toEqual(big('1496430000000000000'));
  });

  it('errors outside the int64 range and on text that does not fit the layout', () => {
    expect(callError('time.parse_ns', ['2006-01-02T15:04:05Z07:00', '1677-09-21T00:12:43.145224191-00:00']).message).toBe('time outside of valid range');
    expect(callError('time.parse_rfc3339_ns', ['2017-06-02']).message).toBe(
      'parsing time "2017-06-02" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"',
    );
    expect(callError('time.parse_ns', ['2006-01-02', '2017-02-30']).message).toBe('parsing time "2017-02-30": day out of range');
  });

  it('parses RFC 3339 with fractions and offsets', () => {
    expect(call('time.parse_rfc3339_ns', ['2022-12-02T18:40:53.141828752Z'])).toEqual(big('1670006453141828752'));
    expect(call('time.parse_rfc3339_ns', ['2022-12-03T00:10:53.141828752+05:30'])).toEqual(big('1670006453141828752'));
  });

  it('formats with zones and layouts (OPA time/format)', () => {
    const ns = big('1670006453141828752');
    expect(call('time.format', [ns])).toBe('2022-12-02T18:40:53.141828752Z');
    expect(call('time.format', [[ns, 'Asia/Kolkata']])).toBe('2022-12-03T00:10:53.141828752+05:30');
    expect(call('time.format', [[ns, 'Asia/Kolkata', 'Mon Jan 02 15:04:05 -0700 2006']])).toBe('Sat Dec 03 00:10:53 +0530 2022');
    expect(call('time.format', [[ns, 'Asia/Kolkata', 'RFC1123Z']])).toBe('Sat, 03 Dec 2022 00:10:53 +0530');
    expect(call('time.format', [[ns, 'UTC', '2006-01-02 3:04PM .000 Jan January Mon Monday']])).toBe(
      '2022-12-02 6:40PM .141 Dec December Fri Friday',
    );
  });

  it('gives date, clock, weekday in a zone and rejects timestamps beyond int64', () => {
    expect(call('time.date', [[big('1517814000000000000'), 'America/Los_Angeles']])).toEqual([2018, 2, 4]);
    expect(call('time.date', [1582977600 * 1e9])).toEqual([2020, 2, 29]);
    expect(call('time.clock', [[big('1517832000000000000'), 'America/New_York']])).toEqual([7, 0, 0]);
    expect(call('time.weekday', [big('1518350400000000000')])).toBe('Sunday');
    expect(callError('time.date', [big('1582977600000000000000')]).message).toBe('timestamp too big');
    expect(callError('time.date', [[1, 'Mars/Olympus']]).message).toBe('unknown time zone Mars/Olympus');
  });

  it('adds dates with Go normalisation and diffs', () => {
    expect(call('time.add_date', [big('1585852421593912000'), 3, 9, 12])).toEqual(big('1705257221593912000'));
    expect(call('time.add_date', [big('1585852421593912000'), -1, -1, -1])).toEqual(big('1551465221593912000'));
    expect(callError('time.add_date', [0, 2262, 1, 1]).message).toBe('time outside of valid range');
    expect(call('time.diff', [big('1517832000000000000'), big('1617832000000000000')])).toEqual([3, 2, 2, 9, 46, 40]);
  });

  it('parses Go durations', () => {
    expect(call('time.parse_duration_ns', ['1h30m'])).toBe(5_400_000_000_000);
    expect(call('time.parse_duration_ns', ['1.5µs'])).toBe(1500);
    expect(call('time.parse_duration_ns', ['-2.5s'])).toBe(-2_500_000_000);
    expect(callError('time.parse_duration_ns', ['1']).message).toBe('time: missing unit in duration "1"');
    expect(callError('time.parse_duration_ns', ['1y']).message).toBe('time: unknown unit "y" in duration "1y"');
  });

  it('time.now_ns is the query time', () => {
    expect(call('time.now_ns', [], makeCtx(42n))).toBe(42);
  });
});
