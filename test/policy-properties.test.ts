/**
 * Properties of list filtering over every shipped pack, several clients and many argument sets
 * (fast-check), deciding with the real packs through createPolicyDecider:
 *   1. a tool hidden from a client (denied at the list phase) is denied when that client calls it,
 *      whatever the arguments;
 *   2. a tool listed to a client is allowed for at least one plausible argument set (no tool is
 *      listed and then denied for every argument).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createPolicyDecider, type PolicyDeciderHandle } from '../src/policy/index.js';
import type { ClientIdentity } from '../src/types.js';
import { listItem, toolCall } from './helpers/contexts.js';
import { UNIVERSES, type PackUniverse } from './helpers/pack-universe.js';

const deciders: PolicyDeciderHandle[] = [];
afterAll(() => deciders.forEach((d) => d.close()));

function setup(u: PackUniverse) {
  const decider = createPolicyDecider({ paths: [u.pack], data: u.data, watch: false });
  deciders.push(decider);
  const listed = (c: ClientIdentity, tool: string) => decider.decide(listItem(tool, { client: c, annotations: u.tools[tool] })).allowed;
  const callable = (c: ClientIdentity, tool: string, args: Record<string, unknown>) =>
    decider.decide(toolCall(tool, args, { client: c, annotations: u.tools[tool] })).allowed;
  return { listed, callable };
}

const randomArgs = fc.dictionary(
  fc.constantFrom('namespace', 'name', 'command', 'username', 'replicas', 'allNamespaces', 'operation', 'path', 'job_id'),
  fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -5, max: 50 }), fc.boolean(), fc.constantFrom('default', 'kube-system', 'alice', 'bob', 'get', 'delete', '*')),
  { maxKeys: 4 },
);

describe('list filtering agrees with call-time enforcement', () => {
  for (const u of UNIVERSES) {
    const toolNames = Object.keys(u.tools);

    it(`${u.pack}: a hidden tool is never callable`, () => {
      const { listed, callable } = setup(u);
      const argsFor = (c: ClientIdentity) => fc.oneof(fc.constantFrom(...u.args(c)), randomArgs);
      let hiddenSeen = 0;
      fc.assert(
        fc.property(
          fc.constantFrom(...u.clients).chain((c) => fc.tuple(fc.constant(c), fc.constantFrom(...toolNames), argsFor(c))),
          ([c, tool, args]) => {
            if (listed(c, tool)) return true;
            hiddenSeen++;
            return !callable(c, tool, args);
          },
        ),
        { numRuns: 300 },
      );
      if (u.pack !== 'allow-all') expect(hiddenSeen).toBeGreaterThan(0);
    });

    it(`${u.pack}: a listed tool is callable with some arguments`, () => {
      const { listed, callable } = setup(u);
      let listedSeen = 0;
      for (const c of u.clients) {
        const pool = u.args(c);
        for (const tool of toolNames) {
          if (!listed(c, tool)) continue;
          listedSeen++;
          const witness = pool.find((args) => callable(c, tool, args));
          expect(witness, `${u.pack}: ${tool} is listed to ${c.id} but no argument set in the pool is allowed`).toBeDefined();
        }
      }
      expect(listedSeen).toBeGreaterThan(0);
    });
  }
});
