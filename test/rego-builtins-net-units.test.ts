import { describe, expect, it } from 'vitest';
import { BigNum, RSet } from '../src/policy/rego/value/index.js';
import { call, callError } from './helpers/rego-builtin-call.js';

const members = (v: unknown) => (v as RSet).values();

describe('net.cidr_*', () => {
  it('contains IPs and CIDRs (v4 and v6)', () => {
    expect(call('net.cidr_contains', ['10.0.0.0/8', '10.1.0.0/24'])).toBe(true);
    expect(call('net.cidr_contains', ['172.17.0.0/24', '172.17.0.0/16'])).toBe(false);
    expect(call('net.cidr_contains', ['2001:4860:4860::8888/32', '2001:4860:4860:1234::8888/40'])).toBe(true);
    expect(call('net.cidr_contains', ['2001:4860::/96', '2001:4860::/32'])).toBe(false);
    expect(call('net.cidr_contains', ['10.0.0.0/8', '10.1.2.3'])).toBe(true);
    expect(call('net.cidr_contains', ['10.0.0.0/8', '192.168.1.1'])).toBe(false);
    expect(call('net.cidr_contains', ['10.0.0.0/8', '::ffff:10.1.2.3'])).toBe(true);
    expect(callError('net.cidr_contains', ['10.0.0.0/8', 'nope']).message).toBe(
      'not a valid textual representation of an IP address or CIDR: nope',
    );
    expect(callError('net.cidr_contains', ['010.0.0.0/8', '10.0.0.1']).message).toBe('invalid CIDR address: 010.0.0.0/8');
  });

  it('intersects, validates and expands', () => {
    expect(call('net.cidr_intersects', ['192.168.1.0/25', '192.168.1.64/25'])).toBe(true);
    expect(call('net.cidr_intersects', ['fd1e:5bfe:8af3:9ddc::/64', '2001:4860:4860::8888/32'])).toBe(false);
    expect(call('net.cidr_is_valid', ['2002::1234:abcd:ffff:c0a8:101/64'])).toBe(true);
    expect(call('net.cidr_is_valid', ['192.168.1.2'])).toBe(false);
    expect(members(call('net.cidr_expand', ['172.16.100.255/30']))).toEqual([
      '172.16.100.252',
      '172.16.100.253',
      '172.16.100.254',
      '172.16.100.255',
    ]);
    expect(callError('net.cidr_expand', ['192.168.1.1/33']).message).toBe('invalid CIDR address: 192.168.1.1/33');
  });

  it('merges ranges into the fewest CIDRs', () => {
    expect(members(call('net.cidr_merge', [['192.0.2.112/30', '192.0.2.116/31', '192.0.2.118/31']]))).toEqual(['192.0.2.112/29']);
    expect(members(call('net.cidr_merge', [['192.0.128.0/24', '0.0.0.0/0']]))).toEqual(['0.0.0.0/0']);
    expect(members(call('net.cidr_merge', [['fe80::/120', '192.0.2.0/24', '192.0.3.0/24', '192.0.4.0/25', '192.0.4.128/25']]))).toEqual([
      '192.0.2.0/23',
      '192.0.4.0/24',
      'fe80::/120',
    ]);
    expect(members(call('net.cidr_merge', [['192.0.2.112', '192.0.2.116/31']]))).toEqual(['192.0.2.0/24']);
    expect(callError('net.cidr_merge', [['2601:600::1']]).message).toBe('IPv6 invalid: needs prefix length');
  });

  it('cidr_contains_matches returns index pairs', () => {
    const r = call('net.cidr_contains_matches', [{ k1: '1.1.1.1/24', k2: ['1.1.1.2/24', 1] }, '1.1.1.128']);
    expect(members(r)).toEqual([
      ['k1', '1.1.1.128'],
      ['k2', '1.1.1.128'],
    ]);
    expect(callError('net.cidr_contains_matches', [RSet.of(['1.1.1.0/24', 'x']), RSet.of([], ['1.1.2.1', 'q'])]).message).toBe(
      'operand 2: element must be string or non-empty array',
    );
  });
});

describe('units.parse and units.parse_bytes', () => {
  it('parses SI and binary units exactly', () => {
    expect(call('units.parse', ['1.1Ki'])).toBe(1126.4);
    expect(call('units.parse', ['-3.5E2m'])).toBe(-0.35);
    expect(call('units.parse', ['100m'])).toBe(0.1);
    expect(call('units.parse', ['10KI'])).toBe(10240);
    expect(call('units.parse', ['"100TI"'])).toBe(109951162777600);
    expect(call('units.parse', ['10Ei'])).toEqual(BigNum.fromBigInt(11529215046068469760n));
    expect(call('units.parse', ['.5K'])).toBe(500);
    expect(call('units.parse_bytes', ['1.1KiB'])).toBe(1126);
    expect(call('units.parse_bytes', ['1e-2KB'])).toBe(10);
    expect(call('units.parse_bytes', ['10eib'])).toEqual(BigNum.fromBigInt(11529215046068469760n));
  });

  it('reports OPA errors', () => {
    expect(callError('units.parse', [''])).toEqual({ code: 'eval_builtin_error', message: 'units.parse: no amount provided' });
    expect(callError('units.parse', ['100 k']).message).toBe('units.parse: spaces not allowed in resource strings');
    expect(callError('units.parse', ['0.0.0']).message).toBe('units.parse: could not parse amount to a number');
    expect(callError('units.parse', ['5Q']).message).toBe('units.parse: unit Q not recognized');
    expect(callError('units.parse_bytes', ['GB']).message).toBe('units.parse_bytes: no byte amount provided');
    expect(callError('units.parse_bytes', ['1e1234567']).message).toBe('units.parse_bytes: exponent too large');
  });
});

describe('semver', () => {
  it('validates SemVer 2.0.0 strictly', () => {
    for (const ok of ['1.0.0', '0.0.0', '1.2.3-0', '1.2.3-0a', '1.2.3+01', '1.2.3-alpha.1+build.5']) expect(call('semver.is_valid', [ok])).toBe(true);
    for (const bad of ['1', '01.2.3', '1.02.3', '1.2.03', '1.2.3-01', '1.2.3-alpha.01', '1.2.3-', '1.2.3+']) expect(call('semver.is_valid', [bad])).toBe(false);
    expect(call('semver.is_valid', [1])).toBe(false);
  });

  it('compares by precedence', () => {
    expect(call('semver.compare', ['1.0.0', '2.0.0'])).toBe(-1);
    expect(call('semver.compare', ['1.0.0-alpha', '1.0.0'])).toBe(-1);
    expect(call('semver.compare', ['1.0.0-alpha.2', '1.0.0-alpha.10'])).toBe(-1);
    expect(call('semver.compare', ['1.0.0-beta', '1.0.0-alpha.10'])).toBe(1);
    expect(call('semver.compare', ['1.0.0+a', '1.0.0+b'])).toBe(0);
    expect(callError('semver.compare', ['1.0.0', '1']).message).toBe('operand 2: string "1" is not a valid SemVer');
  });
});
