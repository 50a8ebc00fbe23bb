/**
 * The kubernetes pack and the server's current kube context: the real npm server
 * mcp-server-kubernetes behind `mcp-warden wrap --policy kubernetes`, with a stand-in kubectl on its
 * PATH (test/servers/fake-kubectl) that records its argv and knows the contexts staging and prod.
 * With read_only: false, kubectl_context's set (`kubectl config use-context <name>`, written to the
 * server's kubeconfig) is a permitted write; it switched the server to a context allowed_contexts
 * leaves out (every later call without a `context` argument then went there).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratch, wrapStandInKubectl, type Scratch, type StandInKubectl } from './helpers/policy-e2e.js';

describe('kubernetes pack: kubectl_context set and allowed_contexts', () => {
  let s: Scratch;
  let k: StandInKubectl;
  const runs = (): string[][] => k.runs();
  const call = (name: string, args: Record<string, unknown>): Promise<string> => k.call(name, args);

  beforeAll(async () => {
    s = await scratch();
    k = await wrapStandInKubectl(s, 'warden:\n  kubernetes:\n    read_only: false\n    allowed_namespaces: [default]\n    allowed_contexts: [staging]\n', { KUBECTL_CONTEXTS: 'staging,prod' });
  }, 120_000);
  afterAll(async () => {
    await k?.conn.close();
    await s?.remove();
  });

  it('an allowed context is set', async () => {
    expect(await call('kubectl_context', { operation: 'set', name: 'staging' })).toContain("Current context set to 'staging'");
    expect(runs()).toContainEqual(['config', 'use-context', 'staging']);
  });

  it('a context allowed_contexts leaves out is not set, and kubectl never runs', async () => {
    const before = runs().length;
    expect(await call('kubectl_context', { operation: 'set', name: 'prod' })).toBe("Denied by policy: Context 'prod' is not allowed (allowed: staging)");
    // the server switches to the part after "cluster/" (an EKS ARN's context name)
    expect(await call('kubectl_context', { operation: 'set', name: 'staging-cluster/prod' })).toContain("Context 'prod' is not allowed (allowed: staging)");
    expect(runs().length).toBe(before);
    expect(runs()).not.toContainEqual(['config', 'use-context', 'prod']);
    expect(s.toolsReceived()).toEqual(['kubectl_context']);
  });
});
