import { describe, expect, it } from 'vitest';
import { BigNum, RSet } from '../src/policy/rego/value/index.js';
import { call, callError } from './helpers/rego-builtin-call.js';

const sp = (f: string, ...args: unknown[]) => call('sprintf', [f, args as never]);

describe('sprintf (Go fmt verbs as OPA hands Rego values to Go)', () => {
  it('formats the cases of OPA strings/sprintf', () => {
    expect(sp('hi %.2f', 3.1415)).toBe('hi 3.14');
    expect(sp('hi %02X.%02X', 127, 1)).toBe('hi 7F.01');
    expect(sp('hi %02d', 5)).toBe('hi 05');
    expect(sp('hi %s', 'there')).toBe('hi there');
    expect(sp('hi %s', true)).toBe('hi true');
    expect(sp('hi %v', ['there', 5, 3.14])).toBe('hi ["there", 5, 3.14]');
    expect(sp('hi')).toBe('hi');
  });

  it('keeps big integers exact and prints overflowing numbers as written', () => {
    expect(sp('%s', new BigNum(123456789123456789123n, '123456789123456789123'))).toBe('123456789123456789123');
    expect(sp('%v', new BigNum(1208925819614629174706175n, '1208925819614629174706175'))).toBe('1208925819614629174706175');
    expect(sp('hi %v', new BigNum(null, '2e308'))).toBe('hi 2e308');
  });

  it('prints floats like Go %v/%g/%e/%f', () => {
    expect(sp('%v', 1234567.5)).toBe('1.2345675e+06');
    expect(sp('%v', 100000.5)).toBe('100000.5');
    expect(sp('%v', 0.00001)).toBe('1e-05');
    expect(sp('%e', 1234.5678)).toBe('1.234568e+03');
    expect(sp('%g', 0.0001)).toBe('0.0001');
    expect(sp('%.3g', 1234.5678)).toBe('1.23e+03');
    expect(sp('%8.2f|', 3.14159)).toBe('    3.14|');
    expect(sp('%-8.2f|', 3.14159)).toBe('3.14    |');
    expect(sp('%+d', 5)).toBe('+5');
  });

  it('supports integer bases, quoting, and width/precision', () => {
    expect(sp('%b %o %x %X %#x', 5, 8, 255, 255, 255)).toBe('101 10 ff FF 0xff');
    expect(sp('%q', 'a"b\n')).toBe('"a\\"b\\n"');
    expect(sp('%x', 'hi')).toBe('6869');
    expect(sp('%5s|%-5s|', 'ab', 'cd')).toBe('   ab|cd   |');
    expect(sp('%.2s', 'abcdef')).toBe('ab');
    expect(sp('%05d', -42)).toBe('-0042');
    expect(sp('%t', true)).toBe('%!t(string=true)');
    expect(sp('%d%%', 50)).toBe('50%');
  });

  it('reports wrong verbs, missing and extra operands as Go does', () => {
    expect(sp('%d', 'x')).toBe('%!d(string=x)');
    expect(sp('%s', 5)).toBe('%!s(int=5)');
    expect(sp('%d', 2.5)).toBe('%!d(float64=2.5)');
    expect(sp('%d %d', 1)).toBe('1 %!d(MISSING)');
    expect(sp('%d', 1, 'a')).toBe('1%!(EXTRA string=a)');
  });

  it('prints sets and objects in Rego syntax', () => {
    expect(sp('%v', RSet.of(2, 1))).toBe('{1, 2}');
    expect(sp('%v', new RSet())).toBe('set()');
    expect(sp('%v', { b: 1, a: 'x' })).toBe('{"a": "x", "b": 1}');
  });

  it('rejects a non-array operand with a type error', () => {
    expect(callError('sprintf', ['%d', 5])).toEqual({ code: 'eval_type_error', message: 'operand 2 must be array but got number' });
  });
});

describe('sprintf float rounding', () => {
  it('rounds the exact binary value half to even, as Go strconv does', () => {
    expect(sp('%.0f %.0f %.0f', 0.5, 1.5, 2.5)).toBe('0 2 2');
    expect(sp('%.1f %.1f %.2f', 0.25, 0.35, 2.675)).toBe('0.2 0.3 2.67');
    expect(sp('%.1e %.3g %.0f', 0.25, 999.5, 99.5)).toBe('2.5e-01 1e+03 100');
    expect(sp('%f', 1e22)).toBe('10000000000000000000000.000000');
    expect(sp('%.2f', -0.001)).toBe('-0.00');
  });
});
