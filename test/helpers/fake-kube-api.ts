/**
 * A recording fake Kubernetes API server on 127.0.0.1 (plain HTTP, a real socket) for tests that run
 * a real Kubernetes client (kubernetes-mcp-server) against it: it serves legacy discovery for a few
 * groups, answers server-side apply (PATCH with a JSON body) with the object sent, and 404 for the
 * rest, and records every request's method and path. The paths show which namespace, resource and
 * verb a call really reached.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KubeRequest {
  method: string;
  /** the path without the query */
  path: string;
}

export interface FakeKubeApi {
  url: string;
  requests: KubeRequest[];
  /** the writes received (every method but GET), as "METHOD path" */
  writes(): string[];
  /** a kubeconfig naming this server, with `namespace` as its context's namespace */
  kubeconfig(namespace: string): string;
  close(): Promise<void>;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

const resource = (name: string, kind: string, namespaced: boolean) => ({
  name,
  singularName: kind.toLowerCase(),
  namespaced,
  kind,
  verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'],
});

/** groupVersion -> resources ("v1": the core group) */
const DISCOVERY: Record<string, ApiResource[]> = {
  v1: [
    resource('pods', 'Pod', true),
    resource('configmaps', 'ConfigMap', true),
    resource('secrets', 'Secret', true),
    resource('namespaces', 'Namespace', false),
  ],
  'apps/v1': [resource('deployments', 'Deployment', true)],
  'rbac.authorization.k8s.io/v1': [
    resource('roles', 'Role', true),
    resource('clusterrolebindings', 'ClusterRoleBinding', false),
  ],
  // a custom cluster-scoped kind whose name ends in List
  'example.com/v1': [resource('accesslists', 'AccessList', false)],
};

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const requests: KubeRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      requests.push({ method: req.method ?? '', path });
      const send = (code: number, value: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (path === '/apis') {
        const groups = Object.keys(DISCOVERY)
          .filter((gv) => gv.includes('/'))
          .map((gv) => {
            const [name, version] = gv.split('/') as [string, string];
            return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
          });
        return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
      }
      const gv = path === '/api/v1' ? 'v1' : path.startsWith('/apis/') ? path.slice('/apis/'.length) : undefined;
      if (gv !== undefined && DISCOVERY[gv]) return send(200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: DISCOVERY[gv] });
      if (req.method === 'PATCH' && body.startsWith('{')) {
        try {
          return send(200, JSON.parse(body));
        } catch {
          // answered as not found below
        }
      }
      return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'fake: not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`),
    kubeconfig: (namespace) =>
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        `  cluster: {server: "${url}"}`,
        'contexts:',
        '- name: fake',
        `  context: {cluster: fake, user: nobody, namespace: ${namespace}}`,
        'current-context: fake',
        'users:',
        '- name: nobody',
        '  user: {token: not-a-real-token}',
        '',
      ].join('\n'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
