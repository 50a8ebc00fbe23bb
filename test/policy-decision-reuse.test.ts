/**
 * Judged tools/call lines taken as bytes, and decisions reused (src/proxy/judged-calls.ts), in
 * process with the real policy decider and a real backend child that answers with the request line
 * it received. A property test over random calls of every pack that is evaluated (observed and
 * unobserved argument members, non-object arguments, a fresh _meta.progressToken): the same call
 * sent the usual way (decided afresh), then compactly twice (the first often reusing the decision
 * of other params equal in what the pack observes: the projected key; the second reusing) always
 * gets the same outcome, and an allowed compact call reaches the backend as the client's own bytes.
 * A reload (changed data) and a changed tool definition are new inputs; a line with a duplicate key
 * at any depth is never reused nor forwarded as bytes; a policy whose footprint is unbounded is
 * keyed on the exact params bytes; an impure policy (time) is decided on every call.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicyDecider } from '../src/policy/index.js';
import { BYPASS_AFTER, MAX_ENTRIES, SAMPLE_EVERY } from '../src/proxy/judged-calls.js';
import type { Decision, InterceptContext, PolicyDecider } from '../src/types.js';
import type { PolicyDeciderHandle } from '../src/policy/index.js';
import { client } from './helpers/contexts.js';
import { compactCall, outcome, receivedLine, startJudgedProxy, usualCall, type JudgedProxy, type Message } from './helpers/judged-session.js';
import { UNIVERSES } from './helpers/pack-universe.js';

let running: JudgedProxy | undefined;
let dir: string | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function scratchFile(name: string, text: string): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), 'warden-reuse-'));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** The line the backend received, its id taken out (the proxy writes its own). */
const withoutId = (line: string): string => line.replace(/^\{"jsonrpc":"2\.0","id":\d+,/, '{"jsonrpc":"2.0",');

const isDeny = (m: Message): boolean => receivedLine(m) === undefined;

// allow-all is never evaluated (PolicyDecider.unconditionalAllow): nothing to reuse
for (const universe of UNIVERSES.filter((u) => u.pack !== 'allow-all')) {
  const packName = universe.pack;
  describe(`${packName}: a reused decision equals a fresh evaluation`, () => {
    it('usual way, compact (maybe reused: projected key), compact again (reused): same outcome; allowed compact calls reach the backend as sent', async () => {
      const dataFile = await scratchFile('data.json', JSON.stringify(universe.data));
      running = startJudgedProxy(createPolicyDecider({ paths: [packName], dataFiles: [dataFile] }), universe.tools);
      expect(running.decider.pureDecisionEpoch).toBeDefined();
      // Every pack's footprint is bounded: calls equal in what it observes share a decision.
      const footprint = running.decider.pureDecisionFootprint!;
      expect(footprint).toBeDefined();
      const sessions = await Promise.all(universe.clients.slice(0, 2).map((c) => running!.open(c)));
      const toolNames = Object.keys(universe.tools);
      const argPool = universe.clients.flatMap((c) => universe.args(c));
      const value = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constantFrom('default', 'kube-system', 'get pods -n kube-system', 'secrets', 'bob', 'alice'));
      // observed and unobserved members alike (the pool's values are what the policy reads)
      const keys = fc.constantFrom(...footprint.arguments, 'namespace', 'name', 'resourceType', 'command', 'path', 'flags', 'é', 'x', 'pod', 'limit');
      const extra = fc.dictionary(keys, value, { maxKeys: 3 });
      const unobserved = fc.dictionary(fc.constantFrom('name', 'pod', 'limit', 'path', 'x', 'labels').filter((k) => !footprint.arguments.includes(k)), value, { maxKeys: 3 });
      const args = fc.oneof(
        fc.constantFrom(...argPool),
        extra,
        fc.tuple(fc.constantFrom(...argPool), extra).map(([a, b]) => ({ ...a, ...b })),
        // a few observed parts, often repeated, with unobserved members that change
        { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...argPool.slice(0, 4)), unobserved).map(([a, b]) => ({ ...a, ...b })) },
        fc.constantFrom('not an object', null, [1]),
      );
      const meta = fc.option(fc.record({ progressToken: fc.integer() }), { nil: undefined, freq: 2 });
      const tool = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...toolNames) }, { weight: 1, arbitrary: fc.constantFrom('not_a_listed_tool', 'get_unknown') });
      let n = 1000;
      let reused = 0;
      let projectedHits = 0;
      const sent = new Set<string>();
      const seen = { allowed: 0, denied: 0 };
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: sessions.length - 1 }), tool, args, meta, async (which, name, a, m) => {
          const session = sessions[which]!;
          const params: Record<string, unknown> = { name, arguments: a };
          if (m !== undefined) params._meta = m;
          const d = running!.decider;
          const before = d.toolCalls;
          const fresh = await session.send(usualCall(`u${n}`, params), `u${n}`);
          expect(d.toolCalls).toBe(before + 1);
          const line = compactCall(++n, params);
          const first = await session.send(line, n);
          const afterFirst = d.toolCalls;
          // decided by a call of other params that agreed in all the policy observes
          const key = `${which} ${JSON.stringify(params)}`;
          if (afterFirst === before + 1 && !sent.has(key)) projectedHits++;
          sent.add(key);
          const again = compactCall(++n, params);
          const second = await session.send(again, n);
          expect(outcome(first)).toEqual(outcome(fresh));
          expect(outcome(second)).toEqual(outcome(fresh));
          seen[isDeny(fresh) ? 'denied' : 'allowed']++;
          if (name in universe.tools) {
            // A listed tool: the second compact call reused the decision (no evaluation).
            expect(d.toolCalls).toBe(afterFirst);
            reused++;
            if (!isDeny(second)) expect(withoutId(receivedLine(second)!)).toBe(withoutId(again));
          }
          n++;
        }),
        { numRuns: 120, seed: 5150 },
      );
      expect(reused).toBeGreaterThan(60);
      // Decisions were reused across params that differ in what the policy does not observe.
      expect(projectedHits).toBeGreaterThan(10);
      // Both outcomes were exercised (allow-all denies nothing).
      expect(seen.denied).toBeGreaterThan(5);
      expect(seen.allowed).toBeGreaterThan(5);
    }, 120_000);
  });
}

describe('decisions reused: what makes a new input', () => {
  it('a reload flushes: changed data decides the same bytes again (and differently)', async () => {
    const dataFile = await scratchFile('k8s.json', JSON.stringify({ warden: { kubernetes: { allowed_namespaces: ['default'] } } }));
    const inner = createPolicyDecider({ paths: ['kubernetes'], dataFiles: [dataFile] });
    running = startJudgedProxy(inner, { kubectl_get: { readOnlyHint: true } });
    const s = await running.open(client('local', [], {}, 'local'));
    const params = { name: 'kubectl_get', arguments: { resourceType: 'pods', namespace: 'default' } };
    const d = running.decider;
    expect(isDeny(await s.send(compactCall(1, params), 1))).toBe(false);
    expect(isDeny(await s.send(compactCall(2, params), 2))).toBe(false);
    expect(d.toolCalls).toBe(1);
    // The same policy reloaded (nothing changed): still a new epoch, decided again.
    expect(inner.reload()).toMatchObject({ ok: true, changed: false });
    expect(isDeny(await s.send(compactCall(3, params), 3))).toBe(false);
    expect(d.toolCalls).toBe(2);
    await writeFile(dataFile, JSON.stringify({ warden: { kubernetes: { allowed_namespaces: ['monitoring'] } } }));
    expect(inner.reload()).toMatchObject({ ok: true, changed: true });
    const denied = await s.send(compactCall(4, params), 4);
    expect(isDeny(denied)).toBe(true);
    expect(JSON.stringify(denied.result)).toContain('default');
    expect(d.toolCalls).toBe(3);
    expect(isDeny(await s.send(compactCall(5, params), 5))).toBe(true);
    expect(d.toolCalls).toBe(3);
  });

  it('a changed tool definition (tools/list_changed) is decided again with the new definition', async () => {
    running = startJudgedProxy(createPolicyDecider({ paths: ['read-only'] }), { frob: { readOnlyHint: true }, redefine: { readOnlyHint: true } });
    const s = await running.open(client('local', [], {}, 'local'));
    const params = { name: 'frob', arguments: { x: 1 } };
    const d = running.decider;
    expect(isDeny(await s.send(compactCall(1, params), 1))).toBe(false);
    expect(isDeny(await s.send(compactCall(2, params), 2))).toBe(false);
    expect(d.toolCalls).toBe(1);
    const redefined = await s.request(3, 'tools/call', { name: 'redefine', arguments: { tool: 'frob', annotations: { readOnlyHint: false, destructiveHint: true } } });
    expect(isDeny(redefined)).toBe(false);
    const after = d.toolCalls;
    const denied = await s.send(compactCall(4, params), 4);
    expect(isDeny(denied)).toBe(true);
    expect(d.toolCalls).toBe(after + 1);
    expect(isDeny(await s.send(compactCall(5, params), 5))).toBe(true);
  });

  it('tool definitions the client lists again are new definitions: the next call is decided again', async () => {
    running = startJudgedProxy(createPolicyDecider({ paths: ['read-only'] }), { frob: { readOnlyHint: true } });
    const s = await running.open(client('local', [], {}, 'local'));
    const params = { name: 'frob', arguments: {} };
    const d = running.decider;
    await s.send(compactCall(1, params), 1);
    await s.send(compactCall(2, params), 2);
    expect(d.toolCalls).toBe(1);
    await s.request(3, 'tools/list', {});
    await s.send(compactCall(4, params), 4);
    expect(d.toolCalls).toBe(2);
    await s.send(compactCall(5, params), 5);
    expect(d.toolCalls).toBe(2);
  });

  it('a line with a duplicate key at any depth is never reused and never forwarded as bytes', async () => {
    running = startJudgedProxy(createPolicyDecider({ paths: ['kubernetes'], data: { warden: { kubernetes: { allowed_namespaces: ['default'] } } } }), { kubectl_get: { readOnlyHint: true } });
    const s = await running.open(client('local', [], {}, 'local'));
    const d = running.decider;
    // JSON.parse keeps the last namespace (allowed); a first-wins reader of the same bytes would see kube-system.
    const dup = (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"kubectl_get","arguments":{"resourceType":"pods","namespace":"kube-system","namespace":"default"}}}`;
    const deep = (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"kubectl_get","arguments":{"resourceType":"pods","namespace":"default","labels":[{"app":"web","app":"db"}]}}}`;
    for (const [k, line] of [dup(1), dup(2), deep(3), deep(4)].entries()) {
      const answer = await s.send(line, k + 1);
      const received = receivedLine(answer);
      expect(received, line).toBeDefined();
      // Re-serialized from the parsed request (the form the policy judged): one namespace, one app.
      expect(withoutId(received!)).not.toBe(withoutId(line));
      expect(received!.match(/"namespace"/g)).toHaveLength(1);
      expect(received!.match(/"app"/g) ?? []).toHaveLength(line.includes('"app"') ? 1 : 0);
      expect(d.toolCalls).toBe(k + 1);
    }
  });

  it('the key is the bytes of what the policy observes: unobserved members spelled any way share a decision; an observed one spelled otherwise is decided on its own; an escaped name is never taken as bytes', async () => {
    running = startJudgedProxy(createPolicyDecider({ paths: ['kubernetes'], data: { warden: { kubernetes: { allowed_namespaces: ['default'] } } } }), { kubectl_get: { readOnlyHint: true } });
    const s = await running.open(client('local', [], {}, 'local'));
    const d = running.decider;
    const spellings = [
      (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"kubectl_get","arguments":{"resourceType":"pods","namespace":"default","limit":100}}}`,
      (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"kubectl_get","arguments":{"labelSelector":"app=web-${id}","limit":1e2,"namespace":"default","resourceType":"pods"},"_meta":{"progressToken":${id}}}}`,
      (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{ "name" : "kubectl_get", "arguments" : {"resourceType":"pods", "namespace":"default","limit":100.0} }}`,
    ];
    let id = 0;
    for (const spelled of spellings) {
      for (let twice = 0; twice < 2; twice++) {
        const line = spelled(++id);
        const answer = await s.send(line, id);
        expect(withoutId(receivedLine(answer)!)).toBe(withoutId(line));
      }
    }
    // One decision for all: the tool name, resourceType and namespace written alike (the pack reads no labelSelector nor limit).
    expect(d.toolCalls).toBe(1);
    // An observed member spelled otherwise (an escape in its value): decided on its own, then reused.
    const other = (n: number) => `{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":"kubectl_get","arguments":{"resourceType":"p\\u006fds","namespace":"default"}}}`;
    for (const n of [50, 51]) expect(withoutId(receivedLine(await s.send(other(n), n))!)).toBe(withoutId(other(n)));
    expect(d.toolCalls).toBe(2);
    // A member name written with an escape could spell a duplicate: parsed, judged, serialized again.
    const escaped = `{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"kubectl_get","arguments":{"resourceType":"pods","\\u006eamespace":"default"}}}`;
    expect(escaped).toContain('\\u006eamespace');
    const answer = await s.send(escaped, 99);
    expect(receivedLine(answer)).toContain('"namespace":"default"');
    expect(d.toolCalls).toBe(3);
  });

  it('a policy whose footprint is unbounded (it counts the arguments) is keyed on the exact params bytes', async () => {
    const policy = await scratchFile('count.rego', 'package mcp.authz\n\nimport rego.v1\n\nallow if input.method != "tools/call"\n\nallow if count(input.arguments) < 3\n');
    const inner = createPolicyDecider({ paths: [policy] });
    expect(inner.pureDecisionEpoch).toBeDefined();
    expect(inner.pureDecisionFootprint).toBeUndefined();
    running = startJudgedProxy(inner, { frob: {} });
    const s = await running.open(client('local', [], {}, 'local'));
    const d = running.decider;
    const call = (id: number, args: unknown) => s.send(compactCall(id, { name: 'frob', arguments: args }), id);
    expect(isDeny(await call(1, { a: 1, b: 2 }))).toBe(false);
    expect(isDeny(await call(2, { a: 1, b: 2 }))).toBe(false);
    expect(d.toolCalls).toBe(1);
    // another member: another key (and here another decision)
    expect(isDeny(await call(3, { a: 1, b: 2, c: 3 }))).toBe(true);
    expect(isDeny(await call(4, { a: 1, b: 3 }))).toBe(false);
    expect(d.toolCalls).toBe(3);
  });

  it('an impure policy (time.now_ns) is never reused; its allowed calls still go as bytes', async () => {
    const policy = await scratchFile('clock.rego', 'package mcp.authz\n\nimport rego.v1\n\nallow if input.method != "tools/call"\n\nallow if {\n\ttime.now_ns() > 0\n\tinput.tool.name == "frob"\n}\n');
    const inner = createPolicyDecider({ paths: [policy] });
    expect(inner.pureDecisionEpoch).toBeUndefined();
    running = startJudgedProxy(inner, { frob: {} });
    const s = await running.open(client('local', [], {}, 'local'));
    for (let id = 1; id <= 3; id++) {
      // A spelling JSON.stringify would not give (an escape, 1.0): only a byte copy keeps it.
      const line = `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"frob","arguments":{"text":"caf\\u00e9","n":1.0}}}`;
      const answer = await s.send(line, id);
      expect(withoutId(receivedLine(answer)!)).toBe(withoutId(line));
    }
    expect(running.decider.toolCalls).toBe(3);
  });

  it('policy.reuseDecisions: false: a pure pack evaluates every call, identical ones included, and decides as with reuse', async () => {
    // kubectl_get of two label selectors (the pack does not read labelSelector: one projection), kubectl_delete (denied)
    const call = (id: number) =>
      compactCall(id, { name: id % 3 === 0 ? 'kubectl_delete' : 'kubectl_get', arguments: { resourceType: 'pods', namespace: 'default', labelSelector: `app=web-${id % 2}` } });
    const tools = { kubectl_get: { readOnlyHint: true }, kubectl_delete: { destructiveHint: true } };
    const verdicts: string[][] = [];
    for (const reuseDecisions of [true, false]) {
      const inner = createPolicyDecider({ paths: ['kubernetes'], reuseDecisions });
      expect(inner.pureDecisionEpoch === undefined).toBe(!reuseDecisions);
      running = startJudgedProxy(inner, tools);
      const s = await running.open(client('local', [], {}, 'local'));
      const seen: string[] = [];
      for (let id = 1; id <= 6; id++) seen.push(isDeny(await s.send(call(id), id)) ? 'denied' : 'reached the backend');
      // with reuse: one evaluation per projection (get, delete); without: one per call
      expect(running.decider.toolCalls).toBe(reuseDecisions ? 2 : 6);
      verdicts.push(seen);
      await running.close();
      running = undefined;
    }
    expect(verdicts[0]).toEqual(['reached the backend', 'reached the backend', 'denied', 'reached the backend', 'reached the backend', 'denied']);
    expect(verdicts[1]).toEqual(verdicts[0]);
  });

  it('keeps at most MAX_ENTRIES decisions per session (the oldest forgotten first)', async () => {
    running = startJudgedProxy(createPolicyDecider({ paths: ['kubernetes'] }), { kubectl_get: { readOnlyHint: true } });
    const s = await running.open(client('local', [], {}, 'local'));
    const d = running.decider;
    // a namespace the pack reads: one key per k
    const call = (id: number, k: number) => s.send(compactCall(id, { name: 'kubectl_get', arguments: { resourceType: 'pods', namespace: `ns-${k}` } }), id);
    let id = 0;
    for (let k = 0; k <= MAX_ENTRIES; k++) await call(++id, k);
    expect(d.toolCalls).toBe(MAX_ENTRIES + 1);
    await call(++id, MAX_ENTRIES); // the newest: kept
    expect(d.toolCalls).toBe(MAX_ENTRIES + 1);
    await call(++id, 0); // the oldest: forgotten
    expect(d.toolCalls).toBe(MAX_ENTRIES + 2);
  });

  it('a stream of true misses bypasses the kept decisions but for a sample: every call decided as afresh, reuse back at the first sampled hit', async () => {
    running = startJudgedProxy(createPolicyDecider({ paths: ['kubernetes'] }), { kubectl_get: { readOnlyHint: true } });
    const s = await running.open(client('local', [], {}, 'local'));
    const d = running.decider;
    const call = (id: number, resourceType: string) => s.send(compactCall(id, { name: 'kubectl_get', arguments: { resourceType, namespace: 'default' } }), id);
    // "secrets" in a case of its own each time (a new key, denied by the pack's lower(resourceType)), among new resource types (allowed)
    const secrets = (k: number): string => [...'secrets'].map((c, i) => ((k >> i) & 1 ? c.toUpperCase() : c)).join('');
    let id = 0;
    const misses = BYPASS_AFTER + 3 * SAMPLE_EVERY;
    for (let k = 0; k < misses; k++) {
      const denied = k % 5 === 0;
      const answer = await call(++id, denied ? secrets(k / 5) : `type-${k}`);
      expect(isDeny(answer), `call ${k}`).toBe(denied);
    }
    expect(d.toolCalls).toBe(misses);
    // Bypassing: one call repeated is decided afresh until a sampled call finds the decision a sampled call kept.
    const before = d.toolCalls;
    for (let k = 0; k < 2 * SAMPLE_EVERY + 2; k++) expect(isDeny(await call(++id, 'pods'))).toBe(false);
    const evaluated = d.toolCalls - before;
    expect(evaluated).toBeGreaterThan(1);
    expect(evaluated).toBeLessThanOrEqual(2 * SAMPLE_EVERY);
    // Reuse is back: kept decisions are found again, a denied one included.
    for (let k = 0; k < 3; k++) expect(isDeny(await call(++id, 'pods'))).toBe(false);
    expect(d.toolCalls - before).toBe(evaluated);
    expect(isDeny(await call(++id, 'secrets'))).toBe(true);
    expect(isDeny(await call(++id, 'secrets'))).toBe(true);
    expect(d.toolCalls - before).toBe(evaluated + 1);
  });
});

/** A pure decider that allows everything by evaluating; flip() gives it a response phase. */
class FlippingPureDecider implements PolicyDecider {
  readonly seen: InterceptContext[] = [];
  readonly pureDecisionEpoch = {};
  wantsResponsePhase = false;
  decide(ctx: InterceptContext): Decision {
    this.seen.push({ ...ctx });
    return { allowed: true, reasons: [], mode: 'enforce', policyVersion: 'flipping', micros: 0 };
  }
  flip(): void {
    this.wantsResponsePhase = true;
  }
}

describe('a reused decision and a response phase that comes in mid-call', () => {
  it('judges the answer with the tool and arguments, completed from the request bytes', async () => {
    const decider = new FlippingPureDecider();
    const handle = Object.assign(decider, { version: 'flipping', reload: () => ({ ok: true, version: 'flipping', changed: false }), close: () => undefined });
    running = startJudgedProxy(handle as unknown as PolicyDeciderHandle, {});
    const s = await running.open(client('local', [], {}, 'local'));
    // The answer comes 3 s after the backend has the call: the flip below (100 ms after sending it)
    // comes first even on a host that stalls this process for seconds.
    const params = { name: 'slow', arguments: { ms: 3000 } };
    await s.send(compactCall(1, params), 1);
    expect(running.decider.toolCalls).toBe(1);
    const second = s.send(compactCall(2, params), 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(running.decider.toolCalls).toBe(1); // reused
    decider.flip();
    expect(isDeny(await second)).toBe(false);
    const response = decider.seen.find((ctx) => ctx.phase === 'response' && ctx.method === 'tools/call');
    expect(response?.tool?.name).toBe('slow');
    expect(response?.arguments).toEqual({ ms: 3000 });
    expect(response?.params).toEqual(params);
  });
});
