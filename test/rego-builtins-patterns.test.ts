import { describe, expect, it } from 'vitest';
import { call, callError } from './helpers/rego-builtin-call.js';

const glob = (p: string, d: unknown, v: string) => call('glob.match', [p, d as never, v]);

describe('glob.match (gobwas/glob semantics)', () => {
  it('matches the OPA globmatch cases', () => {
    expect(glob('api.**.com', ['.'], 'api.github.com')).toBe(true);
    expect(glob('api.**.com', ['.'], 'api.cdn.github.com')).toBe(true);
    expect(glob('*:github:com', [':'], 'api:github:com')).toBe(true);
    expect(glob('*.github.com', ['.'], 'api.not-github.com')).toBe(false);
    expect(glob('[abc]at', [], 'cat')).toBe(true);
    expect(glob('[!abc]at', [], 'cat')).toBe(false);
    expect(glob('[a-c]at', [], 'fat')).toBe(false);
    expect(glob('?at', ['f'], 'fat')).toBe(false);
    expect(glob('{cat,bat,[fr]at}', [], 'fat')).toBe(true);
    expect(glob('*', [], 'foo.bar')).toBe(false);
    expect(glob('*', null, 'foo.bar')).toBe(true);
    expect(glob('a/**/b', null, 'a/b')).toBe(false);
    expect(glob('{**/,}x', null, 'x')).toBe(true);
    expect(glob('***', ['.'], '')).toBe(true);
    expect(glob('*?*', ['.', '/'], 'api.github.com')).toBe(false);
    expect(glob('\\*', null, '*')).toBe(true);
    expect(glob('\\*', null, 'a')).toBe(false);
  });

  it('checks delimiter operands and quotes meta characters', () => {
    expect(callError('glob.match', ['*', 'x', 'a'])).toEqual({ code: 'eval_type_error', message: 'operand 2 must be one of {array, null} but got string' });
    expect(callError('glob.match', ['*', ['ab'], 'a']).message).toBe('operand 2 must be array of runes but got array containing string');
    expect(call('glob.quote_meta', ['*.github.com'])).toBe('\\*.github.com');
    expect(call('glob.quote_meta', ['[a]{b}?\\'])).toBe('\\[a\\]\\{b\\}\\?\\\\');
  });
});

describe('regex.* (RE2)', () => {
  it('matches, finds, splits and replaces as Go regexp', () => {
    expect(call('regex.match', ['^[a-z]+\\d$', 'abc1'])).toBe(true);
    expect(call('regex.find_n', ['a.', 'banana', -1])).toEqual(['an', 'an']);
    expect(call('regex.find_n', ['a.', 'banana', 1])).toEqual(['an']);
    expect(call('regex.find_all_string_submatch_n', ['a(x*)b(y)?', '-ab-axxb-', -1])).toEqual([
      ['ab', '', ''],
      ['axxb', 'xx', ''],
    ]);
    expect(call('regex.split', ['a', 'banana'])).toEqual(['b', 'n', 'n', '']);
    expect(call('regex.replace', ['-wy-wxxy-', 'w(x*)y', '0'])).toBe('-0-0-');
    expect(call('regex.replace', ['foo', '(foo)', '$1$1'])).toBe('foofoo');
    expect(call('regex.replace', ['foo', '^[a-z]', 'F'])).toBe('Foo');
    expect(call('regex.replace', ['foo barx', '[a-z]{2}', '_'])).toBe('_o __');
    expect(call('regex.replace', ['ab', '(?P<x>a)', '${x}-'])).toBe('a-b');
    expect(call('regex.template_match', ['urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}'])).toBe(true);
    expect(call('regex.template_match', ['urn:foo:<[0-9]{2}>', 'urn:foo:123', '<', '>'])).toBe(false);
  });

  it('reports invalid patterns with the RE2 message and never backtracks', () => {
    expect(call('regex.is_valid', ['[a'])).toBe(false);
    expect(call('regex.is_valid', [5])).toBe(false);
    expect(callError('regex.match', ['[a', 'x']).message).toBe('error parsing regexp: missing closing ]: `[a`');
    expect(callError('regex.match', ['(?=x)', 'x']).code).toBe('eval_builtin_error');
    // catastrophic for a backtracking engine; linear for RE2
    expect(call('regex.match', ['^(a+)+$', 'a'.repeat(5000) + 'b'])).toBe(false);
  });

  it('regex.globs_match intersects two globs', () => {
    expect(call('regex.globs_match', ['a.a.[0-9]+z', '.b.b2359825792*594823z'])).toBe(true);
    expect(call('regex.globs_match', ['[a-z]+', '[0-9]*'])).toBe(false);
    expect(call('regex.globs_match', ['[a-z]*', '[0-9]*'])).toBe(true);
    expect(call('regex.globs_match', ['[a-z]+', '[0-9]+'])).toBe(false);
    expect(call('regex.globs_match', ['[a-z]+\\[[0-9]+\\]', 'foo\\[1\\]'])).toBe(true);
    expect(call('regex.globs_match', ['[a-z]+\\[[0-9]+\\]', 'foo["bar"]'])).toBe(false);
    expect(callError('regex.globs_match', ['pqrs]', '[a-b]+']).message).toBe(
      "input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is invalid",
    );
  });
});
