/**
 * Decisions reused by their cut key (src/proxy/judged-calls.ts decideCut): a call equal to a kept
 * one in all the policy observes but the members PolicyDecider.pureDecisionCut names gets the kept
 * decision when cutAgrees finds that its readers of those members have the values kept with it
 * (cutReadings). Adversarially, for every pack whose decision has a cut: pairs of calls equal but in
 * the members cut, given values of every kind (the pack's own, secrets in every spelling, numbers,
 * booleans, null, objects, arrays, absent), and whenever cutAgrees says yes, the second call's
 * decision by a separate decider must be the first one's. Through the proxy (kubernetes, then every
 * pack): calls that differ only in the members cut, compact (maybe a cut key's decision) against
 * the same call the usual way (decided afresh): the same outcome every time, reuses seen.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicyDecider, type PolicyDeciderHandle } from '../src/policy/index.js';
import { DecisionCounter } from '../src/policy/decision-counter.js';
import type { ClientIdentity, InterceptContext, ToolInfo } from '../src/types.js';
import { compactCall, outcome, receivedLine, startJudgedProxy, usualCall, type JudgedProxy } from './helpers/judged-session.js';
import { UNIVERSES, type PackUniverse } from './helpers/pack-universe.js';

let running: JudgedProxy | undefined;
let dir: string | undefined;
const deciders: PolicyDeciderHandle[] = [];
afterEach(async () => {
  await running?.close();
  running = undefined;
  for (const d of deciders.splice(0)) d.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function decider(universe: PackUniverse): Promise<PolicyDeciderHandle> {
  dir ??= await mkdtemp(join(tmpdir(), 'warden-cut-'));
  const file = join(dir, `${universe.pack}.json`);
  await writeFile(file, JSON.stringify(universe.data));
  const d = createPolicyDecider({ paths: [universe.pack], dataFiles: [file] });
  deciders.push(d);
  return d;
}

/** values a member cut is given: the pack's own, near misses of the words packs look for, every JSON kind, absent */
const SPELLINGS = ['secret', 'secrets', 'Secret', 'SECRETS', 'sEcReTs', 'secret/db', 'Secrets/x', 'secretsx', ' secrets', 'ſecrets', 'İ', ''];
const KINDS: unknown[] = [undefined, null, true, false, 0, 5, -1.5, 1e21, [], ['secrets'], ['get', 'pods'], {}, { a: 1 }, { secrets: true }];
const WORDS = ['pods', 'deployments', 'nodes', 'default', 'kube-system', 'get pods', 'delete pod web', 'get secrets', 'get pods -n kube-system', '--token=x get pods', 'logs web --all-namespaces', 'status', 'restart', 'cordon', 'drain', 'list', 'get', 'exec', 'web'];

function cutValue(universe: PackUniverse, member: string): fc.Arbitrary<unknown> {
  const own = universe.clients.flatMap((c) => universe.args(c)).flatMap((a) => (member in a ? [a[member]] : []));
  return fc.oneof(fc.constantFrom(...SPELLINGS, ...WORDS, ...own, ...KINDS), fc.string({ maxLength: 8 }), fc.integer({ min: -3, max: 1000 }).map((i) => `type-${i}`));
}

/** arguments with the members cut set to `values` (undefined: absent) over `base` */
function withCut(base: Record<string, unknown>, cut: readonly string[], values: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  cut.forEach((m, i) => {
    if (values[i] === undefined) delete out[m];
    else out[m] = values[i];
  });
  return out;
}

/** a context as the proxy makes one for a call decided on its observed members (the same client, session, backend and tool objects) */
function contextOf(client: ClientIdentity, session: InterceptContext['session'], backend: InterceptContext['backend'], tool: ToolInfo, args: unknown): InterceptContext {
  const params = { name: tool.name, arguments: args };
  return { phase: 'request', method: 'tools/call', client, session, backend, params, tool, arguments: args, resource: undefined, prompt: undefined };
}

const verdict = (d: { allowed: boolean; reasons: string[] }) => ({ allowed: d.allowed, reasons: [...d.reasons].sort() });

/** the packs whose decision is evaluated (allow-all never is) */
const EVALUATED = UNIVERSES.filter((u) => u.pack !== 'allow-all');

describe('cutAgrees: a call equal but in the members cut, whose readers agree, gets the kept decision', () => {
  for (const universe of EVALUATED) {
    it(`${universe.pack}: whenever the readers agree, a separate decider decides the second call as the first`, async () => {
      const d = await decider(universe);
      const oracle = await decider(universe);
      const session = { id: 's', transport: 'stdio' as const };
      const backend = { name: 'backend', transport: 'stdio' };
      const tools = Object.entries(universe.tools).map(([name, annotations]): ToolInfo => ({ name, backendName: name, annotations }));
      const pool = universe.clients.flatMap((c) => universe.args(c));
      // the cut is chosen by the engine as calls are decided: decide the pool once first
      for (const c of universe.clients) for (const t of tools) for (const a of pool.slice(0, 12)) d.decide(contextOf(c, session, backend, t, { ...a }));
      const cut = d.pureDecisionCut;
      if (universe.pack === 'kubernetes') expect(cut?.members).toContain('resourceType');
      if (cut === undefined) return;
      const members = cut.members;
      const values = fc.tuple(...members.map((m) => cutValue(universe, m)));
      // the second call's cut members: the first's with one changed (mostly), or all of them anew
      const change = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: members.length - 1 }) }, { weight: 1, arbitrary: fc.constant(-1) });
      let agreed = 0;
      let disagreed = 0;
      let denied = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...universe.clients), fc.constantFrom(...tools), fc.constantFrom(...pool), values, values, change, async (client, tool, base, va, other, i) => {
          const vb = i < 0 ? other : va.map((v, j) => (j === i ? other[j] : v));
          const a = contextOf(client, session, backend, tool, withCut(base, members, va));
          const b = contextOf(client, session, backend, tool, withCut(base, members, vb));
          const kept = d.decide(a);
          // as the proxy keeps it: the cut still the one asked about, a decision without error
          if (d.pureDecisionCut !== cut || kept.error !== undefined) return;
          const readings = d.cutReadings(a, cut);
          if (readings === undefined) return;
          if (!d.cutAgrees(b, cut, readings)) {
            disagreed++;
            return;
          }
          agreed++;
          const first = verdict(oracle.decide(a));
          if (!first.allowed) denied++;
          expect(verdict(oracle.decide(b)), JSON.stringify({ a: a.arguments, b: b.arguments, tool: tool.name })).toEqual(first);
          // and the kept decision is the first one's, as the proxy hands it out
          expect(verdict(kept)).toEqual(first);
        }),
        { numRuns: 400, seed: 8080 },
      );
      console.log(`${universe.pack}: cut ${members.join(', ')}; readers agreed ${agreed}, disagreed ${disagreed}, denied among agreed ${denied}`);
      expect(agreed).toBeGreaterThan(0);
      if (universe.pack === 'kubernetes') {
        expect(agreed).toBeGreaterThan(20);
        // readers that disagree (secrets against pods, a kind of its own) were met too, and denied calls reused
        expect(disagreed).toBeGreaterThan(20);
        expect(denied).toBeGreaterThan(5);
      }
    }, 60_000);
  }

  it('a grown or foreign cut, and readings of another kind, never agree', async () => {
    const universe = EVALUATED.find((u) => u.pack === 'kubernetes')!;
    const d = await decider(universe);
    const session = { id: 's', transport: 'stdio' as const };
    const backend = { name: 'backend', transport: 'stdio' };
    const tool: ToolInfo = { name: 'kubectl_get', backendName: 'kubectl_get', annotations: { readOnlyHint: true } };
    const c = universe.clients[0]!;
    for (let i = 0; i < 4; i++) d.decide(contextOf(c, session, backend, tool, { resourceType: `t${i}`, namespace: 'default' }));
    const cut = d.pureDecisionCut!;
    expect(cut).toBeDefined();
    const a = contextOf(c, session, backend, tool, { resourceType: 'pods', namespace: 'default' });
    const readings = d.cutReadings(a, cut);
    expect(readings).toBeDefined();
    expect(d.cutAgrees(a, cut, readings)).toBe(true);
    expect(d.cutAgrees(a, { members: [...cut.members] }, readings)).toBe(false);
    expect(d.cutReadings(a, { members: [...cut.members] })).toBeUndefined();
    for (const foreign of [undefined, null, {}, { keyed: {} }, 'x', 1, { ...(readings as object), keyed: {} }]) expect(d.cutAgrees(a, cut, foreign)).toBe(false);
    // serve's counting wrapper passes the cut through (what it reuses is not counted, as other reused decisions)
    const counted = new DecisionCounter(d);
    expect(counted.pureDecisionCut).toBe(cut);
    expect(counted.cutAgrees(a, cut, counted.cutReadings(a, cut))).toBe(true);
    expect(counted.snapshot()).toEqual([]);
    // a reload makes a new cut: the old one is foreign
    d.reload();
    expect(d.cutAgrees(a, cut, readings)).toBe(false);
  });
});

describe('decisions reused by the cut key, through the proxy: the same outcome as the usual way', () => {
  it('kubernetes: resourceType in every spelling and kind, over namespaces and tools; reuses seen, secrets always denied', async () => {
    const universe = EVALUATED.find((u) => u.pack === 'kubernetes')!;
    running = startJudgedProxy(await decider(universe), universe.tools, { cut: true });
    deciders.pop(); // closed by running.close()
    const s = await running.open(universe.clients[0]!);
    const d = running.decider;
    let id = 0;
    const values: unknown[] = ['pods', ...SPELLINGS, ...KINDS, 'pods', 'secrets', 'nodes', 'SECRETS'];
    let secretsDenied = 0;
    for (let round = 0; round < 2; round++) {
      for (const name of ['kubectl_get', 'kubectl_describe', 'kubectl_generic', 'kubectl_delete']) {
        for (const namespace of ['default', 'kube-system', undefined]) {
          const order = round === 0 ? values : [...values].reverse();
          for (const resourceType of order) {
            const args: Record<string, unknown> = { name: 'web' };
            if (namespace !== undefined) args.namespace = namespace;
            if (resourceType !== undefined) args.resourceType = resourceType;
            if (name === 'kubectl_generic') args.command = 'get';
            const params = { name, arguments: args };
            const fresh = await s.send(usualCall(`u${++id}`, params), `u${id}`);
            const compact = await s.send(compactCall(++id, params), id);
            expect(outcome(compact), JSON.stringify(params)).toEqual(outcome(fresh));
            if (typeof resourceType === 'string' && /^secrets?$/i.test(resourceType) && name === 'kubectl_get') {
              expect(receivedLine(compact)).toBeUndefined();
              secretsDenied++;
            }
          }
        }
      }
    }
    expect(secretsDenied).toBeGreaterThan(10);
    expect(d.cutReuses).toBeGreaterThan(50);
    expect(d.cutChecks).toBeGreaterThan(d.cutReuses);
  }, 120_000);

  for (const universe of EVALUATED) {
    it(`${universe.pack}: calls that differ only in the members cut (random values), compact against the usual way`, async () => {
      running = startJudgedProxy(await decider(universe), universe.tools, { cut: true });
      deciders.pop();
      const sessions = await Promise.all(universe.clients.slice(0, 2).map((c) => running!.open(c)));
      const pool = universe.clients.flatMap((c) => universe.args(c));
      const toolNames = Object.keys(universe.tools);
      let id = 0;
      // decide the pool once, compactly: the engine chooses its cut
      for (const name of toolNames.slice(0, 6)) for (const a of pool.slice(0, 6)) await sessions[0]!.send(compactCall(++id, { name, arguments: a }), id);
      const cut = running.decider.pureDecisionCut;
      if (universe.pack === 'kubernetes') expect(cut).toBeDefined();
      if (cut === undefined) return;
      // one member cut given a value (the others as in the pool's call): calls of one cut key meet often
      const members = cut.members;
      const one = fc.integer({ min: 0, max: members.length - 1 }).chain((i) => cutValue(universe, members[i]!).map((v) => [members[i]!, v] as const));
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: sessions.length - 1 }), fc.constantFrom(...toolNames.slice(0, 6)), fc.constantFrom(...pool.slice(0, 4)), one, async (which, name, base, [member, v]) => {
          const args: Record<string, unknown> = { ...base };
          if (v === undefined) delete args[member];
          else args[member] = v;
          const params = { name, arguments: args };
          const session = sessions[which]!;
          const fresh = await session.send(usualCall(`u${++id}`, params), `u${id}`);
          const compact = await session.send(compactCall(++id, params), id);
          expect(outcome(compact), JSON.stringify(params)).toEqual(outcome(fresh));
        }),
        { numRuns: 150, seed: 4242 },
      );
      if (universe.pack === 'kubernetes') expect(running.decider.cutReuses).toBeGreaterThan(10);
    }, 120_000);
  }
});
