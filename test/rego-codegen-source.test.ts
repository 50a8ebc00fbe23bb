/**
 * The code generator (src/policy/rego/codegen/) never splices text of the policy into the source it
 * builds: strings, object keys, numbers and names that would break out of a JS string, comment or
 * template (quotes, backticks, `${`, `*\/`, newlines, U+2028/U+2029, backslashes) are passed in the
 * constants array. The results equal the interpreter's, and the generated source contains none of
 * the policy's strings (each carries the marker ZQX, which must not occur in the source).
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, toJSON, type Value } from '../src/policy/rego/index.js';

const NASTY = ['ZQX"a', "ZQX'b", 'ZQX`c', 'ZQX${process.exit(1)}', 'ZQX*/ d /*', 'ZQX\ne', 'ZQX\u2028f', 'ZQX\u2029g', 'ZQX\\h', 'ZQX</script>'];

/** a Rego string literal (JSON escapes are Rego escapes) */
const lit = (s: string) => JSON.stringify(s);

const POLICY = `package p
import rego.v1

names := {${NASTY.map(lit).join(', ')}}

labels := {${NASTY.map((s, i) => `${lit(s)}: ${i}`).join(', ')}}

allow if input.user in names

deny contains sprintf("ZQX denied %s", [input.user]) if not input.user in names

deny contains k if {
	some k, v in labels
	v == input.level
}

deny contains x if {
	x := input[${lit(NASTY[2]!)}]
	x != ${lit(NASTY[5]!)}
}

msg := concat(${lit(NASTY[3]!)}, [input.user, ${lit(NASTY[4]!)}]) if input.user

keys := {k | some k, _ in input.obj; startswith(k, ${lit(NASTY[0]!)})}

count_of := n if n := 1e300 * 2

nested := {${lit(NASTY[6]!)}: {${lit(NASTY[7]!)}: [${NASTY.map(lit).join(', ')}]}}
`;

const REFS = ['data.p.allow', 'data.p.deny', 'data.p.msg', 'data.p.keys', 'data.p.count_of', 'data.p.nested', 'data.p.labels'];

const json = (vs: (Value | undefined)[]) => vs.map((v) => (v === undefined ? 'UNDEFINED' : toJSON(v)));

describe('generated source holds no policy text', () => {
  const policy = compilePolicy([{ file: 'nasty.rego', source: POLICY }]);
  const gen = policy.prepareRules(REFS, { codegen: true });
  const interp = policy.prepareRules(REFS);

  it('the query compiles', () => {
    expect(gen.interpreted).toBeNull();
    expect(gen.generated).not.toBeNull();
  });

  it('no string of the policy is in the source, and it has none of the characters that could end a literal', () => {
    const src = gen.generated!.source;
    expect(src).not.toContain('ZQX');
    for (const s of NASTY) expect(src).not.toContain(s);
    // the generator's own literals are "use strict" and the typeof names: no other quote
    const own = src.replace(/'(object|string|boolean)'/g, '');
    expect(own).not.toMatch(/[`'\u2028\u2029\\]/);
    expect(own.split('"').length - 1).toBe(2);
    expect(gen.generated!.consts).toContain(NASTY[3]);
  });

  it('results equal the interpreter for inputs made of the same strings', () => {
    const inputs: unknown[] = [
      ...NASTY.map((user, level) => ({ user, level, obj: Object.fromEntries(NASTY.map((k, i) => [k, i])), [NASTY[2]!]: NASTY[(level + 5) % NASTY.length] })),
      { user: 'nobody', level: 99 },
      {},
      undefined,
    ];
    for (const input of inputs) expect(json(gen.eval(input))).toStrictEqual(json(interp.eval(input)));
    expect(json(gen.eval({ user: NASTY[3] }))[0]).toBe(true);
  });

  it('a query body with such strings compiles to a source without them too', () => {
    const q = `x := data.p.labels[${lit(NASTY[1]!)}]; y := ${lit(NASTY[8]!)}`;
    const js = policy.compileJS(q);
    if ('reason' in js) throw new Error(js.reason);
    expect(js.source).not.toContain('ZQX');
    expect(js.run(undefined)).toStrictEqual(policy.eval(q));
  });
});

describe('where code cannot be generated from strings', () => {
  it('node --disallow-code-generation-from-strings: the query runs on the interpreter, with the reason', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = `
      const { compilePolicy } = await import(${JSON.stringify(new URL('../src/policy/rego/index.ts', import.meta.url).href)});
      const p = compilePolicy([{ file: 'a.rego', source: 'package p\\nimport rego.v1\\nallow if input.x == 1' }]);
      const q = p.prepareRules(['data.p.allow'], { codegen: true });
      console.log(JSON.stringify({ reason: q.interpreted, allow: q.eval({ x: 1 })[0] }));`;
    const out = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const got = JSON.parse(out.trim().split('\n').pop()!) as { reason: string; allow: boolean };
    expect(got.allow).toBe(true);
    expect(got.reason).toMatch(/not accepted/);
  });
});
