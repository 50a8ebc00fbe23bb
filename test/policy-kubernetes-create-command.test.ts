/**
 * The kubernetes pack and kubectl_create's job and cronjob with a command: the real npm server
 * mcp-server-kubernetes behind `mcp-warden wrap --policy kubernetes` (writes on, namespaces restricted
 * to default), with a stand-in kubectl on its PATH (test/servers/fake-kubectl) that records its argv.
 * The server writes `kubectl create job <name> --image=<image> -- <command...>` and only then
 * `-n <namespace>`, which kubectl reads as words of the container's command: the job is created in
 * kubectl's kubeconfig context namespace, whatever namespace the pack judged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratch, wrapStandInKubectl, type Scratch, type StandInKubectl } from './helpers/policy-e2e.js';

describe('kubernetes pack: kubectl_create of a job with a command', () => {
  let s: Scratch;
  let k: StandInKubectl;
  const runs = (): string[][] => k.runs();
  const call = (name: string, args: Record<string, unknown>): Promise<string> => k.call(name, args);

  beforeAll(async () => {
    s = await scratch();
    k = await wrapStandInKubectl(s, 'warden:\n  kubernetes:\n    read_only: false\n    allowed_namespaces: [default]\n');
  }, 120_000);
  afterAll(async () => {
    await k?.conn.close();
    await s?.remove();
  });

  it('without a command, -n default is kubectl\'s flag: kubectl runs', async () => {
    await call('kubectl_create', { resourceType: 'job', name: 'x', image: 'busybox', namespace: 'default' });
    expect(runs()).toEqual([['create', 'job', 'x', '--image=busybox', '-n', 'default', '-o', 'yaml']]);
  });

  it('with a command (-n would come after its --) it is denied and kubectl never runs', async () => {
    const before = runs().length;
    const reason =
      `Denied by policy: Tool 'kubectl_create': a job or cronjob with a command is created in kubectl's current context namespace (the server puts -n after the command's --), which the pack cannot check: denied while namespaces are restricted`;
    expect(await call('kubectl_create', { resourceType: 'job', name: 'x', image: 'busybox', command: 'sh', namespace: 'default' })).toBe(reason);
    expect(await call('kubectl_create', { resourceType: 'cronjob', name: 'x', image: 'busybox', schedule: '* * * * *', command: 'sh', namespace: 'default' })).toBe(reason);
    expect(runs().slice(before)).toEqual([]);
  });
});
