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

  // A built-in name is Kubernetes' own only in its own group: kubectl deletes pods.evil.example.com
  // (a CRD's, maybe cluster-scoped) and applies a Role of evil.example.com/v1 in that group. The old
  // pack judged both as the built-in namespaced kind and ran kubectl.
  const EVIL_ROLE = 'apiVersion: evil.example.com/v1\nkind: Role\nmetadata:\n  name: web\n';
  const RBAC_ROLE = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: web\n';

  it('a built-in name of another group is a custom resource: denied unless listed', async () => {
    const conn = await start('');
    const before = runs().length;
    for (const resourceType of ['pods.evil.example.com', 'roles.v1.evil.example.com', 'deployments.v9.apps']) {
      expect(await call(conn, 'kubectl_delete', { resourceType, name: 'web', namespace: 'default' }), resourceType).toBe(
        "Denied by policy: Tool 'kubectl_delete': its resourceType is not a namespaced kind: denied while namespaces are restricted",
      );
    }
    expect(await call(conn, 'kubectl_apply', { manifest: EVIL_ROLE, namespace: 'default' })).toBe(
      "Denied by policy: Manifest: kind Role of apiVersion evil.example.com/v1 is not a namespaced kind of Kubernetes' own API (nor a listed custom resource): denied while namespaces are restricted",
    );
    expect(runs().slice(before)).toEqual([]);

    // the built-in kinds, in their own groups however spelled, still run kubectl
    for (const resourceType of ['pods.', 'pods.v1.', 'deployments.v1.apps', 'roles.rbac.authorization.k8s.io']) {
      await call(conn, 'kubectl_delete', { resourceType, name: 'web', namespace: 'default' });
    }
    await call(conn, 'kubectl_apply', { manifest: RBAC_ROLE, namespace: 'default' });
    const ran = runs().slice(before);
    expect(ran.map((argv) => argv.slice(0, 2))).toEqual([
      ['delete', 'pods.'],
      ['delete', 'pods.v1.'],
      ['delete', 'deployments.v1.apps'],
      ['delete', 'roles.rbac.authorization.k8s.io'],
      ['apply', '-f'],
    ]);

    // listed, that group's Role is judged as the listed custom resource
    const listed = await start('    namespaced_custom_resources:\n      - {group: evil.example.com, kind: Role, plural: roles}\n');
    const after = runs().length;
    await call(listed, 'kubectl_delete', { resourceType: 'roles.evil.example.com', name: 'web', namespace: 'default' });
    await call(listed, 'kubectl_apply', { manifest: EVIL_ROLE, namespace: 'default' });
    expect(runs().slice(after).map((argv) => argv.slice(0, 2))).toEqual([
      ['delete', 'roles.evil.example.com'],
      ['apply', '-f'],
    ]);
    expect(await call(listed, 'kubectl_delete', { resourceType: 'pods.evil.example.com', name: 'web', namespace: 'default' })).toBe(
      "Denied by policy: Tool 'kubectl_delete': its resourceType is not a namespaced kind: denied while namespaces are restricted",
    );
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
