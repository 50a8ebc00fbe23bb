/**
 * The carry's check that the stable roots are the objects its values were computed from
 * (src/policy/rego/topdown/carry.ts sameKeys, generated per root list for a plain input): a root
 * replaced by another object, a function, or gone, ends the epoch, for roots of any name (also
 * toString and __proto__, which a plain object inherits) and for inputs that are not plain objects
 * (an RObject, an object with a member named constructor).
 * Each answer is compared with a policy evaluated without stable roots (nothing carried).
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, fromJS, toJSON } from '../src/policy/rego/index.js';

const SOURCE = `package t
import rego.v1
a := input.tool.name
b := input.session.x
c := input.toString.y
e := input.phase
`;
const STABLE = ['tool', 'session', 'toString', '__proto__'];
const REFS = ['data.t.a', 'data.t.b', 'data.t.c', 'data.t.e'];

describe('carry: the stable roots checked at the start of each query', () => {
  it('notices a root replaced, whatever its name', () => {
    // two policies: evaluators of one policy share its rule nodes (a value one computes is not the other's carry)
    const carried = compilePolicy([{ file: 't.rego', source: SOURCE }]).prepareRules(REFS, { stable: STABLE });
    const fresh = compilePolicy([{ file: 't.rego', source: SOURCE }]).prepareRules(REFS, {});
    const tools = [{ name: 't1' }, { name: 't2' }];
    const sessions = [{ x: 1 }, { x: 2 }];
    const strs = [{ y: 'a' }, { y: 'b' }];
    const protos = [JSON.parse('{"__proto__": {"z": "p1"}}').__proto__, JSON.parse('{"__proto__": {"z": "p2"}}').__proto__];
    const inputs: unknown[] = [];
    // runs of the same objects, then each root replaced in turn, removed, or a function
    for (let i = 0; i < 40; i++) {
      const input: Record<string, unknown> = JSON.parse('{}');
      input.phase = i % 7 === 0 ? 'list' : 'request';
      input.tool = tools[Math.floor(i / 3) % 2];
      input.session = sessions[Math.floor(i / 5) % 2];
      // a member named constructor makes the input no plain object (read root by root); Object.assign
      // sets these own members as the assignments would (the names type as Object's own members)
      if (i % 17 === 16) Object.assign(input, { constructor: sessions[0] });
      Object.assign(input, { toString: i % 11 === 10 ? (() => 1) : strs[Math.floor(i / 4) % 2] });
      if (i % 13 !== 12) Object.defineProperty(input, '__proto__', { value: protos[Math.floor(i / 6) % 2], enumerable: true, writable: true, configurable: true });
      if (i % 9 === 8) delete input.tool;
      inputs.push(input);
    }
    inputs.push(fromJS(new Map<string, unknown>([['tool', tools[0]], ['phase', 'request']])));
    inputs.push({ tool: tools[1], phase: 'request' });
    let changes = 0;
    let last = '';
    for (const input of inputs) {
      const got = JSON.stringify(carried.eval(input).map((v) => (v === undefined ? null : toJSON(v))));
      const want = JSON.stringify(fresh.eval(input).map((v) => (v === undefined ? null : toJSON(v))));
      expect(got).toBe(want);
      if (got !== last) changes++;
      last = got;
    }
    expect(changes).toBeGreaterThan(15);
  });
});
