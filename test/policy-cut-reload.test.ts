/**
 * Review: decisions reused by their cut key (src/proxy/judged-calls.ts decideCut) across a policy
 * reload, through the proxy. A session decides kubernetes calls whose resourceType (a member the
 * engine cuts) varies, so that decisions are kept by their cut key with their readers' values; then
 * the policy's files change (a reader of the member cut, reads_secrets, now also matches "pods";
 * then the data allows secrets) and the decider reloads. Every later call, compact (maybe a kept
 * decision) and the usual way (decided afresh), must get the new policy's outcome: a decision kept
 * under the old policy must never answer.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicyDecider } from '../src/policy/index.js';
import { compactCall, outcome, receivedLine, startJudgedProxy, usualCall, type JudgedProxy } from './helpers/judged-session.js';
import { ROOT } from './helpers/proxy.js';
import { UNIVERSES } from './helpers/pack-universe.js';

let running: JudgedProxy | undefined;
let dir: string | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('decisions reused by the cut key across a policy reload', () => {
  it('kubernetes: after the readers of resourceType change (policy, then data), no decision of the old policy answers', async () => {
    const universe = UNIVERSES.find((u) => u.pack === 'kubernetes')!;
    dir = mkdtempSync(join(tmpdir(), 'warden-cut-reload-'));
    const pack = join(dir, 'kubernetes');
    cpSync(join(ROOT, 'policies/kubernetes'), pack, { recursive: true });
    const dataFile = join(dir, 'data.json');
    writeFileSync(dataFile, JSON.stringify(universe.data));
    const inner = createPolicyDecider({ paths: [pack], dataFiles: [dataFile] });
    running = startJudgedProxy(inner, universe.tools, { cut: true });
    const s = await running.open(universe.clients[0]!);
    const d = running.decider;
    let id = 0;
    const TYPES = ['pods', 'nodes', 'deployments', 'secrets', 'Pods', 'services', 'pods', 'nodes'];
    /** every call both ways; returns the compact outcomes by resourceType for kubectl_get */
    const round = async (): Promise<Map<string, unknown>> => {
      const seen = new Map<string, unknown>();
      for (const name of ['kubectl_get', 'kubectl_describe']) {
        for (const namespace of ['default', 'kube-system']) {
          for (const resourceType of TYPES) {
            const params = { name, arguments: { name: 'web', namespace, resourceType } };
            const compact = await s.send(compactCall(++id, params), id);
            const fresh = await s.send(usualCall(`u${++id}`, params), `u${id}`);
            expect(outcome(compact), JSON.stringify(params)).toEqual(outcome(fresh));
            if (name === 'kubectl_get' && namespace === 'default') seen.set(resourceType, receivedLine(compact) === undefined ? 'denied' : 'forwarded');
          }
        }
      }
      return seen;
    };
    await round();
    const before = await round();
    expect(before.get('pods')).toBe('forwarded');
    expect(before.get('secrets')).toBe('denied');
    expect(d.pureDecisionCut?.members).toContain('resourceType');
    expect(d.cutReuses).toBeGreaterThan(0);

    // The policy: reads_secrets now also matches "pods".
    const guards = join(pack, 'guards.rego');
    const text = readFileSync(guards, 'utf8');
    expect(text).toContain('reads_secrets if lower(args.resourceType) in {"secret", "secrets"}');
    writeFileSync(guards, text.replace('reads_secrets if lower(args.resourceType) in {"secret", "secrets"}', 'reads_secrets if lower(args.resourceType) in {"secret", "secrets", "pods"}'));
    expect(inner.reload().ok).toBe(true);
    const reusedBefore = d.cutReuses;
    const afterPolicy = await round();
    expect(afterPolicy.get('pods')).toBe('denied');
    expect(afterPolicy.get('Pods')).toBe('denied');
    expect(afterPolicy.get('nodes')).toBe('forwarded');
    await round();
    // the cut key's decisions were kept and reused again under the new policy (the path under test ran)
    expect(d.cutReuses).toBeGreaterThan(reusedBefore);

    // The data: secrets (and so "pods") allowed.
    const data = JSON.parse(JSON.stringify(universe.data)) as { warden?: { kubernetes?: Record<string, unknown> } };
    data.warden ??= {};
    data.warden.kubernetes = { ...(data.warden.kubernetes ?? {}), allow_secrets: true };
    writeFileSync(dataFile, JSON.stringify(data));
    expect(inner.reload().ok).toBe(true);
    const afterData = await round();
    expect(afterData.get('pods')).toBe('forwarded');
    expect(afterData.get('secrets')).toBe('forwarded');
    await round();
  }, 120_000);
});
