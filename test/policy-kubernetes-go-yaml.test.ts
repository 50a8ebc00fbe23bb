/**
 * The kubernetes pack in front of kubernetes-mcp-server (the real Go binary, npm devDependency
 * 0.0.66) talking to a recording fake API server (test/helpers/fake-kube-api.ts): manifests that
 * go-yaml v2 (the server's YAML reader, YAML 1.1) reads otherwise than the pack's YAML 1.2 reader.
 * Straight to the server, each writes to kube-system (the kubeconfig context's namespace here too)
 * or cluster-wide, as the API server's request paths show; through `mcp-warden wrap` with the pack
 * (writes on, namespaces restricted to default) each is denied and no write reaches the API server,
 * while a plain manifest for default still does.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from './helpers/fake-kube-api.js';
import type { StdioConnection } from './helpers/proxy.js';
import { GO_KUBERNETES, resultText, scratch, wrapGoKubernetes, type Scratch } from './helpers/policy-e2e.js';


const cm = (name: string, metadata: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${metadata}`;

/** name -> [manifest, the write the server makes of it] */
const DIFFERENTIAL: Record<string, [string, string]> = {
  merge: [cm('merge', '  namespace: default\n  <<: {namespace: kube-system}\n'), 'PATCH /api/v1/namespaces/kube-system/configmaps/merge'],
  'merge-kind': [
    'apiVersion: v1\nkind: ConfigMap\n<<: {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding}\nmetadata:\n  name: merge-kind\n  namespace: default\n  <<: {namespace: null}\n',
    'PATCH /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/merge-kind',
  ],
  tagged: [cm('tagged', '  namespace: default\n  !!merge "\\x3c\\x3c": {namespace: kube-system}\n'), 'PATCH /api/v1/namespaces/kube-system/configmaps/tagged'],
  ls: [cm('ls', '  namespace: default # c\u2028  namespace: kube-system\n'), 'PATCH /api/v1/namespaces/kube-system/configmaps/ls'],
  cr: [cm('cr', '  namespace: default # c\r  namespace: kube-system\n'), 'PATCH /api/v1/namespaces/kube-system/configmaps/cr'],
  list: ['apiVersion: example.com/v1\nkind: AccessList\nmetadata:\n  name: list\nitems: []\n', 'PATCH /apis/example.com/v1/accesslists/list'],
};

describe('kubernetes pack: manifests go-yaml reads otherwise, kubernetes-mcp-server and a recording API server', () => {
  let api: FakeKubeApi;
  let s: Scratch;
  let kubeconfig: string;
  let conn: StdioConnection;
  beforeAll(async () => {
    api = await startFakeKubeApi();
    s = await scratch();
    kubeconfig = await s.write('kubeconfig', api.kubeconfig('kube-system'));
    conn = await wrapGoKubernetes(s, kubeconfig, 'warden:\n  kubernetes:\n    read_only: false\n    allowed_namespaces: [default]\n', 'core');
  }, 120_000);
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
    await api?.close();
  });

  const apply = async (client: Client, resource: string) => {
    try {
      return resultText(await client.callTool({ name: 'resources_create_or_update', arguments: { resource } }));
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('straight to the server, each writes outside default', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [GO_KUBERNETES, '--kubeconfig', kubeconfig, '--toolsets', 'core'], env: { HOME: s.dir, PATH: process.env.PATH ?? '' }, stderr: 'ignore' });
    const direct = new Client({ name: 'direct', version: '1' });
    await direct.connect(transport);
    try {
      for (const [name, [manifest, write]] of Object.entries(DIFFERENTIAL)) {
        const before = api.writes().length;
        expect(await apply(direct, manifest), name).toMatch(/created or updated successfully/);
        expect(api.writes().slice(before), name).toEqual([write]);
      }
    } finally {
      await direct.close();
    }
  }, 60_000);

  it('through the pack, each is denied and never reaches the API server; a plain manifest for default does', async () => {
    const before = api.writes().length;
    for (const [name, [manifest]] of Object.entries(DIFFERENTIAL)) {
      expect(await apply(conn.client, manifest), name).toMatch(/^Denied by policy: Manifest: .*denied while namespaces are restricted$/);
    }
    expect(api.writes().slice(before)).toEqual([]);
    expect(await apply(conn.client, cm('plain', '  namespace: default\n'))).toMatch(/created or updated successfully/);
    expect(api.writes().slice(before)).toEqual(['PATCH /api/v1/namespaces/default/configmaps/plain']);
  }, 60_000);
});
