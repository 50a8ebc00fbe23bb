/**
 * The kubernetes pack's namespaced_custom_resources setting end to end: `mcp-warden wrap --policy
 * kubernetes` with writes on and namespaces restricted, in front of the real npm server
 * mcp-server-kubernetes with a stand-in kubectl on its PATH (test/servers/fake-kubectl, which
 * records its argv). A custom resource (cert-manager's Certificate) was denied for every write while
 * namespaces are restricted, since the pack cannot know whether a custom kind is namespaced; listed
 * in the setting it is judged like a built-in namespaced kind: its writes in an allowed namespace run
 * kubectl, in another namespace (or for a kind not listed) they are denied and kubectl never runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StdioConnection } from './helpers/proxy.js';
import { KUBERNETES, RELAY, SERVERS, resultText, scratch, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

const CERT = 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: web\nspec:\n  secretName: web-tls\n';
const ISSUER = 'apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: le\n';

describe('kubernetes pack: namespaced custom resources', () => {
  let s: Scratch;
  const conns: StdioConnection[] = [];
  let record: string;
  const runs = (): string[][] => (existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []);

  const start = async (settings: string): Promise<StdioConnection> => {
    const data = await s.write(`k8s-${conns.length}.yaml`, `warden:\n  kubernetes:\n    read_only: false\n    allowed_namespaces: [default]\n${settings}`);
    const env = { PATH: `${join(SERVERS, 'fake-kubectl')}:${process.env.PATH}`, KUBECTL_RECORD_FILE: record };
    const conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, KUBERNETES], { policy: 'kubernetes', data, env });
    conns.push(conn);
    return conn;
  };
  const call = async (conn: StdioConnection, name: string, args: Record<string, unknown>): Promise<string> => {
    try {
      return resultText(await conn.client.callTool({ name, arguments: args }));
    } catch (err) {
      return (err as Error).message;
    }
  };

  beforeAll(async () => {
    s = await scratch();
    record = join(s.dir, 'kubectl.jsonl');
  });
  afterAll(async () => {
    for (const c of conns) await c.close();
    await s?.remove();
  });

  it('without the setting, writes of a custom resource are denied (the pack cannot know it is namespaced)', async () => {
    const conn = await start('');
    const before = runs().length;
    expect(await call(conn, 'kubectl_apply', { manifest: CERT, namespace: 'default' })).toBe(
      'Denied by policy: Manifest: kind Certificate is not a namespaced kind: denied while namespaces are restricted',
    );
    expect(await call(conn, 'kubectl_delete', { resourceType: 'certificates.cert-manager.io', name: 'web', namespace: 'default' })).toBe(
      "Denied by policy: Tool 'kubectl_delete': its resourceType is not a namespaced kind: denied while namespaces are restricted",
    );
    expect(runs().slice(before)).toEqual([]);
  }, 120_000);

  it('listed, they are judged as namespaced kinds: allowed namespace runs kubectl, others are denied', async () => {
    const conn = await start('    namespaced_custom_resources:\n      - {group: cert-manager.io, kind: Certificate, plural: certificates}\n');
    const before = runs().length;
    await call(conn, 'kubectl_delete', { resourceType: 'certificates.cert-manager.io', name: 'web', namespace: 'default' });
    await call(conn, 'kubectl_apply', { manifest: CERT, namespace: 'default' });
    const ran = runs().slice(before);
    expect(ran.length).toBe(2);
    expect(ran[0]).toEqual(expect.arrayContaining(['delete', 'certificates.cert-manager.io', 'web', '-n', 'default']));
    expect(ran[1]).toEqual(expect.arrayContaining(['apply', '-n', 'default']));

    const after = runs().length;
    expect(await call(conn, 'kubectl_delete', { resourceType: 'certificates.cert-manager.io', name: 'web', namespace: 'kube-system' })).toBe(
      "Denied by policy: Namespace 'kube-system' is not allowed (allowed: default)",
    );
    expect(await call(conn, 'kubectl_apply', { manifest: CERT.replace('  name: web\n', '  name: web\n  namespace: kube-system\n'), namespace: 'default' })).toBe(
      'Denied by policy: Manifest: namespace kube-system is not allowed: denied while namespaces are restricted',
    );
    expect(await call(conn, 'kubectl_apply', { manifest: ISSUER, namespace: 'default' })).toBe(
      'Denied by policy: Manifest: kind ClusterIssuer is not a namespaced kind: denied while namespaces are restricted',
    );
    // without its group kubectl resolves the name through the cluster's discovery: not matched
    expect(await call(conn, 'kubectl_delete', { resourceType: 'certificates', name: 'web', namespace: 'default' })).toBe(
      "Denied by policy: Tool 'kubectl_delete': its resourceType is not a namespaced kind: denied while namespaces are restricted",
    );
    expect(runs().slice(after)).toEqual([]);
  }, 120_000);

  it('a setting of the wrong type fails closed: every scoped write is denied with the reason', async () => {
    const conn = await start('    namespaced_custom_resources: certificates.cert-manager.io\n');
    const before = runs().length;
    const reason =
      'data.warden.kubernetes.namespaced_custom_resources must be a list of {group, kind, plural} (strings; group a custom API group): writes denied while namespaces are restricted';
    expect(await call(conn, 'kubectl_apply', { manifest: CERT, namespace: 'default' })).toContain(reason);
    expect(await call(conn, 'kubectl_delete', { resourceType: 'pods', name: 'web', namespace: 'default' })).toBe(`Denied by policy: ${reason}`);
    expect(runs().slice(before)).toEqual([]);
  }, 120_000);
});
