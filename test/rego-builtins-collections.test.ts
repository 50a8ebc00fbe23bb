import { describe, expect, it } from 'vitest';
import { RObject, RSet, toJSON } from '../src/policy/rego/value/index.js';
import { call, callError } from './helpers/rego-builtin-call.js';

const j = (v: unknown) => toJSON(v as never);

describe('strings', () => {
  it('counts runes, not UTF-16 units', () => {
    expect(call('indexof', ['aé😀b', 'b'])).toBe(3);
    expect(call('indexof_n', ['sad sad sad', 'sad'])).toEqual([0, 4, 8]);
    expect(call('substring', ['aé😀bc', 2, 2])).toBe('😀b');
    expect(call('substring', ['abc', 1, -1])).toBe('bc');
    expect(callError('substring', ['abc', -1, 1]).message).toBe('negative offset');
    expect(call('strings.reverse', ['a😀b'])).toBe('b😀a');
    expect(call('strings.count', ['cheese', ''])).toBe(7);
    expect(call('strings.count', ['aaaa', 'aa'])).toBe(2);
  });

  it('split, replace and trim follow Go strings', () => {
    expect(call('split', ['', ''])).toEqual([]);
    expect(call('split', ['abc', ''])).toEqual(['a', 'b', 'c']);
    expect(call('strings.split_n', ['a.b.c.d', '.', -2])).toEqual(['c', 'd']);
    expect(call('replace', ['abc', '', '-'])).toBe('-a-b-c-');
    expect(call('strings.replace_n', [{ a: 'b', ab: 'x' }, 'abc'])).toBe('bbc');
    expect(callError('strings.replace_n', [RObject.fromEntries([[2, 'x']]), 'foo']).message).toBe('operand 1 non-string key found in pattern object');
    expect(call('trim', ['xxhixx', 'x'])).toBe('hi');
    expect(call('trim_left', ['aabcaa', 'ab'])).toBe('caa');
    expect(call('trim_space', ['\u00a0\t hi \n'])).toBe('hi');
    expect(call('upper', ['straße'])).toBe('STRAßE');
    expect(call('format_int', [-255.9, 16])).toBe('-ff');
    expect(call('concat', ['/', RSet.of('b', 'a')])).toBe('a/b');
    expect(callError('concat', ['/', ['a', 1]]).message).toBe('operand 2 must be array of strings but got array containing number');
    expect(call('strings.any_prefix_match', [['a/b', 'c/d'], 'c/'])).toBe(true);
    expect(call('strings.any_suffix_match', ['file.txt', RSet.of('.md', '.rs')])).toBe(false);
  });
});

describe('object.* / array.* / json.filter / json.remove / json.patch', () => {
  it('object builtins', () => {
    expect(j(call('object.union_n', [[{ a: { b: 2 } }, { a: 4 }, { a: { c: 3 } }]]))).toEqual({ a: { c: 3 } });
    expect(j(call('object.union', [{ a: { b: 1, c: 2 } }, { a: { b: 3 } }]))).toEqual({ a: { b: 3, c: 2 } });
    expect(call('object.get', [{ a: { b: [1, 2] } }, ['a', 'b', 1], 'd'])).toBe(2);
    expect(call('object.get', [{ a: 1 }, 'z', 'd'])).toBe('d');
    expect(j(call('object.remove', [{ a: 1, b: 2 }, ['a']]))).toEqual({ b: 2 });
    expect(j(call('object.filter', [{ a: 1, b: 2 }, RSet.of('a', 'x')]))).toEqual({ a: 1 });
    expect(callError('object.remove', [{ a: 1 }, 'a']).message).toBe('operand 2 must be one of {object, set, array} but got string');
    expect(call('object.subset', [{ a: { b: 1, c: 2 }, d: [1, 2, 3] }, { a: { b: 1 }, d: [2, 3] }])).toBe(true);
    expect(call('object.subset', [[1, 2, 3], RSet.of(3, 1)])).toBe(true);
    expect(callError('object.subset', [1, 2]).message).toBe('both arguments object.subset must be of the same type or array and set');
    expect(j(call('object.keys', [{ b: 1, a: 2 }]))).toEqual(['a', 'b']);
  });

  it('array builtins and numbers.range', () => {
    expect(call('array.slice', [[1, 2, 3, 4], -1, 2])).toEqual([1, 2]);
    expect(call('array.slice', [[1, 2, 3], 2, 1])).toEqual([]);
    expect(call('array.flatten', [[1, [2, [3, [4]]]]])).toEqual([1, 2, [3, [4]]]);
    expect(call('array.reverse', [[1, 2, 3]])).toEqual([3, 2, 1]);
    expect(call('numbers.range', [3, 1])).toEqual([3, 2, 1]);
    expect(call('numbers.range_step', [10, 1, 3])).toEqual([10, 7, 4, 1]);
    expect(callError('numbers.range_step', [1, 10, 0]).message).toBe('step must be a positive integer');
    expect(callError('numbers.range', [1.5, 2]).message).toBe('operand 1 must be integer number but got floating-point number');
  });

  it('json.filter / json.remove / json.patch', () => {
    expect(j(call('json.filter', [{ a: { b: { c: 7, d: 8 } }, e: 9 }, ['a/b/c', 'e']]))).toEqual({ a: { b: { c: 7 } }, e: 9 });
    expect(j(call('json.filter', [{ a: [{ b: 7, c: 8 }, { d: 9 }] }, RSet.of('a/0/b', 'a/1')]))).toEqual({ a: [{ b: 7 }, { d: 9 }] });
    expect(j(call('json.remove', [{ a: [{ '1': ['b', 'c', 'd'] }, { x: 'y' }] }, RSet.of('a/0/1/2')]))).toEqual({ a: [{ '1': ['b', 'c'] }, { x: 'y' }] });
    expect(callError('json.remove', [{}, RSet.of(1)]).message).toBe(
      'operand 2 must be one of {set, array} containing string paths or array of path segments but got number',
    );
    expect(j(call('json.patch', [{ a: [1, 2] }, [{ op: 'add', path: '/a/-', value: 3 }, { op: 'replace', path: '/a/0', value: 0 }]]))).toEqual({ a: [0, 2, 3] });
    expect(j(call('json.patch', [{ a: 1 }, [{ op: 'move', from: '/a', path: '/b' }, { op: 'copy', from: '/b', path: '/c' }]]))).toEqual({ b: 1, c: 1 });
    expect(call('json.patch', [{ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]])).toBeUndefined();
    expect(j(call('json.patch', [RSet.of([1]), [{ op: 'add', path: [[1], 1], value: 2 }]]))).toEqual([[1, 2]]);
  });

  it('graph.reachable and reachable_paths', () => {
    const g = { a: ['b'], b: RSet.of('c'), c: [], d: ['a'] };
    expect(j(call('graph.reachable', [g, ['a']]))).toEqual(['a', 'b', 'c']);
    expect(j(call('graph.reachable_paths', [{ a: ['b', 'c'], b: ['c'], c: [] }, ['a']]))).toEqual([
      ['a', 'b', 'c'],
      ['a', 'c'],
    ]);
  });
});

describe('json.patch (RFC 6902 suite edge cases)', () => {
  const patch = (doc: unknown, ops: unknown[]) => {
    const r = call('json.patch', [doc as never, ops as never]);
    return r === undefined ? undefined : j(r);
  };
  it('follows the RFC 6902 test suite', () => {
    expect(patch({ foo: 'bar' }, [{ op: 'replace', path: '', value: { baz: 'qux' } }])).toEqual({ baz: 'qux' });
    expect(patch('foo', [{ op: 'replace', path: '', value: 'bar' }])).toBe('bar');
    expect(patch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }])).toEqual({ foo: ['all', 'cows', 'eat', 'grass'] });
    expect(patch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }])).toEqual({ '/': 9, '~1': 10 });
    expect(patch({}, [{ op: 'add', path: '/', value: 1 }])).toEqual({ '': 1 });
    expect(patch([1, 2, [3, [4, 5]]], [{ op: 'add', path: '/2/1/-', value: 6 }])).toEqual([1, 2, [3, [4, 5, 6]]]);
    expect(patch({ baz: [{ qux: 'hello' }], bar: 1 }, [{ op: 'move', from: '/baz/0/qux', path: '/baz/1' }])).toEqual({ baz: [{}, 'hello'], bar: 1 });
    for (const bad of [
      [{ op: 'add', path: '/a/b', value: 1 }],
      [{ op: 'test', path: '/00', value: 'foo' }],
      [{ op: 'add', path: '/bar/-1', value: 5 }],
      [{ op: 'add', path: null, value: 'bar' }],
      [{ op: 'test', path: '/0' }],
      [{ op: 'spam', path: '/foo', value: 1 }],
      [{ op: 'remove', path: '/missing1/missing2' }],
    ]) {
      expect(patch(bad[0]!.path === '/00' ? ['foo', 'bar'] : { bar: [1, 2] }, bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
