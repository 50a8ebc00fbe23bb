/**
 * lower and upper in generated code (codegen/emit-terms.ts: a string mapped in place with the
 * builtin's own mapCase, anything else through the builtin call path) against the interpreter, for
 * strings ASCII and not (Go's per-rune mapping: no multi-rune expansions such as ß -> SS), and for
 * values that are no string (undefined, or the builtin's type error when strict): the same values
 * or the same error.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, toJSON } from '../src/policy/rego/index.js';

const POLICY = `package c
import rego.v1
lo := lower(input.v)
up := upper(input.v)
both := [lower(x), upper(x)] if { x := input.v }
member_lo if lower(input.v) in {"secret", "secrets"}
`;
const REFS = ['data.c.lo', 'data.c.up', 'data.c.both', 'data.c.member_lo'];
const VALUES: unknown[] = ['ABC', 'Secrets', 'SECRET', 'straße', 'ǅ', 'İstanbul', 'ﬃ', 'Ωmega', '', 7, 1.5, null, true, [1], { a: 1 }];

function answer(f: () => unknown): string {
  try {
    return JSON.stringify(f());
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

describe('lower and upper, generated against interpreted', () => {
  for (const strict of [false, true]) {
    it(`strict ${strict}: the same values or the same error`, () => {
      const policy = compilePolicy([{ file: 'c.rego', source: POLICY }]);
      const gen = policy.prepareRules(REFS, { strict, codegen: true });
      expect(gen.interpreted).toBeNull();
      const interp = compilePolicy([{ file: 'c.rego', source: POLICY }]).prepareRules(REFS, { strict });
      let errors = 0;
      for (const v of VALUES) {
        const run = (p: typeof gen) => answer(() => p.eval({ v }).map((x) => (x === undefined ? null : toJSON(x))));
        const want = run(interp);
        if (want.startsWith('error')) errors++;
        expect(run(gen), JSON.stringify(v)).toBe(want);
      }
      // strict: the type errors of the values that are no string
      expect(errors > 0).toBe(strict);
    });
  }
});
