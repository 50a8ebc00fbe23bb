/**
 * The kubernetes pack and the server's current kube context: the real npm server
 * mcp-server-kubernetes behind `mcp-warden wrap --policy kubernetes`, with a stand-in kubectl on its
 * PATH (test/servers/fake-kubectl) that records its argv and knows the contexts staging and prod.
 * With read_only: false, kubectl_context's set (`kubectl config use-context <name>`, written to the
 * server's kubeconfig) is a permitted write; it switched the server to a context allowed_contexts
 * leaves out (every later call without a `context` argument then went there).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StdioConnection } from './helpers/proxy.js';
import { KUBERNETES, RELAY, SERVERS, resultText, scratch, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

describe('kubernetes pack: kubectl_context set and allowed_contexts', () => {
  let s: Scratch;
  let conn: StdioConnection;
  let record: string;
  /** every argv kubectl was run with, in order */
  const runs = (): string[][] => (existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []);

  beforeAll(async () => {
    s = await scratch();
    record = join(s.dir, 'kubectl.jsonl');
    const data = await s.write('k8s.yaml', 'warden:\n  kubernetes:\n    read_only: false\n    allowed_namespaces: [default]\n    allowed_contexts: [staging]\n');
    const env = { PATH: `${join(SERVERS, 'fake-kubectl')}:${process.env.PATH}`, KUBECTL_RECORD_FILE: record, KUBECTL_CONTEXTS: 'staging,prod' };
    conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, KUBERNETES], { policy: 'kubernetes', data, env });
  }, 120_000);
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
  });

  const call = async (name: string, args: Record<string, unknown>): Promise<string> => {
    try {
      return resultText(await conn.client.callTool({ name, arguments: args }));
    } catch (err) {
      return (err as Error).message;
    }
  };

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
