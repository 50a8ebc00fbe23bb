/**
 * Policy.isPure (src/policy/rego/topdown/pure.ts), the analysis behind PolicyDecider.pureDecisionEpoch:
 * input reads and deterministic `with` are pure; a volatile builtin (time, rand, uuid, http.send,
 * net lookups, print, opa.runtime, JWT verification against the clock) reached through rules,
 * functions, data refs, comprehensions or put in place of a function by `with` is not; and the
 * shipped packs are pure (their decisions may be reused).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PACKS_DIR, createPolicyDecider } from '../src/policy/index.js';
import { compilePolicy } from '../src/policy/rego/index.js';

const compile = (...sources: string[]) => compilePolicy(sources.map((source, i) => ({ file: `m${i}.rego`, source })));
const HEAD = 'package p\n\nimport rego.v1\n\n';
const pure = (body: string, ...others: string[]): boolean => compile(HEAD + body, ...others).isPure(['p'], ['allow', 'deny']);

describe('Policy.isPure', () => {
  it('input reads, data, functions, comprehensions and deterministic with are pure', () => {
    expect(pure('allow if input.x == 1\n')).toBe(true);
    expect(pure('allow if helper\n\nhelper if count([x | some x in input.items; x > data.q.min]) > 0\n', 'package q\n\nmin := 1\n')).toBe(true);
    expect(pure('allow if f(input.x)\n\nf(x) if regex.match(`^a`, x)\n')).toBe(true);
    expect(pure('allow if helper with input.y as 1\n\nhelper if input.y == 1\n')).toBe(true);
    expect(pure('allow if f(1) with f as g\n\nf(x) := x\n\ng(x) := x + 1\n')).toBe(true);
    expect(pure('deny contains sprintf("%v", [input.x]) if input.x\n')).toBe(true);
    expect(pure('allow if true\n', 'package q\n\nnow := time.now_ns()\n')).toBe(true); // not reached
  });

  it('a volatile builtin reached any way is impure', () => {
    expect(pure('allow if time.now_ns() > 0\n')).toBe(false);
    expect(pure('allow if helper\n\nhelper if rand.intn("k", 10) > 1\n')).toBe(false);
    expect(pure('deny contains uuid.rfc4122("k") if input.x\n')).toBe(false);
    expect(pure('allow if f(1)\n\nf(x) if http.send({"method": "get", "url": "http://127.0.0.1:1"}).status_code == x\n')).toBe(false);
    expect(pure('allow if count(net.lookup_ip_addr("localhost")) > 0\n')).toBe(false);
    expect(pure('allow if print("x")\n')).toBe(false);
    expect(pure('allow if opa.runtime().env\n')).toBe(false);
    expect(pure('allow if io.jwt.decode_verify(input.t, {"secret": "s"})[0]\n')).toBe(false);
    expect(pure('allow if data.q.now > 0\n', 'package q\n\nnow := time.now_ns()\n')).toBe(false);
    expect(pure('allow if count(data) > 0\n', 'package q\n\nnow := time.now_ns()\n')).toBe(false);
    expect(pure('allow if [x | x := time.now_ns()][0] > 0\n')).toBe(false);
    // a volatile builtin put in place of a function by `with`
    expect(pure('allow if f(1) with f as g\n\nf(x) := x\n\ng(x) := time.now_ns()\n')).toBe(false);
    expect(pure('allow if f(1) > 0 with f as time.now_ns\n\nf(x) := x\n')).toBe(false);
  });

  it('every shipped pack is pure', () => {
    const packs = readdirSync(BUILTIN_PACKS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(packs).toContain('kubernetes');
    for (const pack of packs) {
      const d = createPolicyDecider({ paths: [pack] });
      expect(d.pureDecisionEpoch, pack).toBeDefined();
      d.close();
    }
  });
});
