import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { nativeAffordable, toNativeRegex } from '../src/policy/rego/builtins/regex-native.js';

// RE2 patterns from a small grammar over an alphabet where RE2 and JS could disagree
// (newline vs '.', \s without \v, classes, anchors, lazy and counted repetition).
const atom = fc.constantFrom('a', 'b', '\\.', '.', '[ab]', '[^a]', '\\d', '\\s', '\\S', '\\w', '[a-c\\d]', '\\x41', '-', '\\-', '#', ']', '}');
const quant = fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,3}', '*?', '+?');
const piece = fc.tuple(atom, quant).map(([a, q]) => a + q);
const seq = fc.array(piece, { minLength: 1, maxLength: 4 }).map((x) => x.join(''));
const pattern = fc
  .tuple(fc.constantFrom('', '^', '(?i)', '(?s)'), seq, fc.option(seq), fc.constantFrom('', '$'), fc.boolean())
  .map(([pre, a, b, post, group]) => {
    const body = b === null ? a : group ? `(${a}|${b})` : `${a}|${b}`;
    return pre + body + post;
  });
const input = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '1', ' ', '\n', '\r', '\v', '.', '-', '#', ']', '}', 'é'), maxLength: 12 });

describe('native RegExp fast path agrees with RE2', () => {
  it('gives the same boolean match on generated patterns and inputs', () => {
    fc.assert(
      fc.property(pattern, input, (p, s) => {
        let re2: { match(s: string): boolean };
        try {
          re2 = RE2JS.compile(p).re2() as unknown as { match(s: string): boolean };
        } catch {
          return; // not valid RE2: the builtin reports the RE2 error before any fast path
        }
        const n = toNativeRegex(p);
        if (n === null) return;
        expect(n.re.test(s), `pattern ${JSON.stringify(p)} on ${JSON.stringify(s)}`).toBe(re2.match(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('declines syntax without an exact JS equivalent and nested repetition', () => {
    for (const p of ['\\pL', '[[:alpha:]]', '\\Qa.b\\E', 'a\\z', '(?m)^a', 'x(?i)a', '(a+)+', '(a|ab)*', '\\123']) {
      expect(toNativeRegex(p), p).toBeNull();
    }
  });

  it('bounds backtracking cost by input length', () => {
    const one = toNativeRegex('^[a-z]+x$')!;
    expect(nativeAffordable(one, 100)).toBe(true);
    expect(nativeAffordable(one, 100_000)).toBe(false);
    const three = toNativeRegex('a.*b.*c.*d')!;
    expect(three.quantifiers).toBe(3);
    expect(nativeAffordable(three, 20)).toBe(true);
    expect(nativeAffordable(three, 200)).toBe(false);
  });
});
