/**
 * The kubernetes pack in front of kubernetes-mcp-server (the Go server, npm devDependency
 * kubernetes-mcp-server 0.0.66), end to end: real `mcp-warden wrap` (built CLI), a recording relay,
 * and the real server binary with a kubeconfig naming a cluster at https://127.0.0.1:1 (nothing
 * listens there). A call the pack allows reaches the server, which answers with its own connection
 * error; a denied one is answered by mcp-warden with the pack's reason and never reaches it. The
 * tools/list the server gave (v0.0.66, toolsets core, config, helm) is recorded in
 * test/fixtures/kubernetes-mcp-server/: every tool of it is judged here at the list phase, so a
 * tool the pack maps wrongly (or a new one of a later version) shows.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicyDecider } from '../src/policy/index.js';
import { client, listItem } from './helpers/contexts.js';
import { CLI, ROOT, type StdioConnection } from './helpers/proxy.js';
import { callToolOrError, resultText, scratch, wrapGoKubernetes, type Scratch } from './helpers/policy-e2e.js';

const FIXTURE = join(ROOT, 'test/fixtures/kubernetes-mcp-server/tools-v0.0.66.json');

interface Fixture {
  serverInfo: { version: string };
  single: { tools: Array<{ name: string; inputSchema: { properties?: Record<string, unknown> } }> };
  multi: { tools: Array<{ name: string; inputSchema: { properties?: Record<string, unknown> } }> };
}
const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
contexts:
- name: nowhere
  context: {cluster: nowhere, user: nobody, namespace: kube-system}
current-context: nowhere
users:
- name: nobody
  user: {token: not-a-real-token}
`;

const READS = [
  'configuration_contexts_list', 'events_list', 'helm_list', 'namespaces_list', 'nodes_log', 'nodes_stats_summary', 'nodes_top', 'pods_get',
  'pods_list', 'pods_list_in_namespace', 'pods_log', 'pods_top', 'projects_list', 'resources_get', 'resources_list', 'resources_scale',
];
const WRITES = ['helm_install', 'helm_uninstall', 'pods_delete', 'pods_run', 'resources_create_or_update', 'resources_delete'];
/** Read tools that read every namespace whatever their arguments. */
const EVERY_NAMESPACE = ['nodes_log', 'nodes_stats_summary', 'pods_list'];

describe('kubernetes pack: the recorded tools/list of kubernetes-mcp-server', () => {
  const visible = (settings: object, clientId = 'local') => {
    const decider = createPolicyDecider({ paths: ['kubernetes'], data: { warden: { kubernetes: settings } }, watch: false });
    try {
      return fixture.multi.tools.map((t) => t.name).filter((name) => decider.decide(listItem(name, { client: client(clientId) })).allowed).sort();
    } finally {
      decider.close();
    }
  };

  it('records v0.0.66 with the tools the pack maps (one context: no configuration_contexts_list, no context argument)', () => {
    expect(fixture.serverInfo.version).toBe('v0.0.66');
    const multi = fixture.multi.tools.map((t) => t.name).sort();
    expect(multi).toEqual([...READS, ...WRITES, 'configuration_view', 'pods_exec'].sort());
    expect(fixture.single.tools.map((t) => t.name).sort()).toEqual(multi.filter((n) => n !== 'configuration_contexts_list'));
    expect(fixture.multi.tools.find((t) => t.name === 'pods_get')!.inputSchema.properties).toHaveProperty('context');
  });

  it('read-only (the default) lists the read tools; writes, exec and configuration_view are hidden', () => {
    expect(visible({})).toEqual(READS);
  });

  it('with writes on, exec on and secrets allowed, every tool is listed', () => {
    expect(visible({ read_only: false, allow_exec: true, allow_secrets: true })).toEqual(fixture.multi.tools.map((t) => t.name).sort());
  });

  it('while namespaces are restricted, tools that could never pass are hidden (every-namespace reads, Helm writes)', () => {
    expect(visible({ allowed_namespaces: ['default'] })).toEqual(READS.filter((n) => !EVERY_NAMESPACE.includes(n)));
    const writer = visible({ allowed_namespaces: ['default'], read_only: false });
    expect(writer).toEqual([...READS.filter((n) => !EVERY_NAMESPACE.includes(n)), ...WRITES.filter((n) => !n.startsWith('helm_'))].sort());
    // per client: one allowed every namespace sees them
    expect(visible({ allowed_namespaces: ['default'], clients: { ops: { allowed_namespaces: ['*'] } } }, 'ops')).toEqual(READS);
  });
});

describe('kubernetes pack: kubernetes-mcp-server end to end', () => {
  let s: Scratch;
  let conn: StdioConnection;
  let db: string;
  beforeAll(async () => {
    s = await scratch();
    db = join(s.dir, 'audit.db');
    const kubeconfig = await s.write('kubeconfig', KUBECONFIG);
    conn = await wrapGoKubernetes(s, kubeconfig, 'warden:\n  kubernetes:\n    allowed_namespaces: [default, monitoring]\n', 'core,config,helm', ['--audit', db, '--name', 'k8s']);
  }, 120_000);
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
  });

  const call = (name: string, args: Record<string, unknown>) => callToolOrError(conn, name, args);

  it('lists the read tools of the allowed namespaces only', async () => {
    const names = (await conn.client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(READS.filter((n) => n !== 'configuration_contexts_list' && !EVERY_NAMESPACE.includes(n)));
  });

  it('allowed reads reach the server, which fails on its own (no cluster at 127.0.0.1:1)', async () => {
    const get = await call('pods_get', { name: 'web', namespace: 'default' });
    expect(get).toEqual({ isError: true, text: expect.stringMatching(/^failed to get pod web in namespace default: .*127\.0\.0\.1:1.*connection refused/) });
    expect((await call('resources_list', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'monitoring' })).text).toMatch(/connection refused/);
    expect((await call('events_list', { namespace: 'default' })).text).toMatch(/connection refused/);
    expect(s.toolsReceived()).toEqual(['pods_get', 'resources_list', 'events_list']);
  });

  it('denied calls get the reason and never reach the server', async () => {
    const before = s.received().length;
    const denied = async (name: string, args: Record<string, unknown>) => (await call(name, args)).text;
    expect(await denied('pods_delete', { name: 'web', namespace: 'default' })).toBe("Denied by policy: Operation 'delete' is not allowed in read-only mode");
    expect(await denied('resources_create_or_update', { resource: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\n' })).toBe(
      "Denied by policy: Operation 'apply' is not allowed in read-only mode",
    );
    expect(await denied('resources_scale', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default', scale: 0 })).toBe(
      "Denied by policy: Operation 'scale' is not allowed in read-only mode",
    );
    expect(await denied('pods_exec', { name: 'web', namespace: 'default', command: ['cat', '/etc/shadow'] })).toBe(
      "Denied by policy: Operation 'exec' is disabled (set data.warden.kubernetes.allow_exec to true to enable it)",
    );
    expect(await denied('pods_get', { name: 'web', namespace: 'kube-system' })).toBe("Denied by policy: Namespace 'kube-system' is not allowed (allowed: default, monitoring)");
    // the server would use its kubeconfig's namespace (kube-system here): the pack cannot know it
    expect(await denied('pods_log', { name: 'web' })).toBe(
      "Denied by policy: Tool 'pods_log' without a namespace works in the server's configured namespace, which the pack cannot check: denied while namespaces are restricted (allowed: default, monitoring; give namespace)",
    );
    expect(await denied('resources_list', { apiVersion: 'v1', kind: 'Pod' })).toBe('Denied by policy: All namespaces (--all-namespaces) is not allowed (allowed: default, monitoring)');
    expect(await denied('pods_list', {})).toBe('Denied by policy: All namespaces (--all-namespaces) is not allowed (allowed: default, monitoring)');
    expect(await denied('resources_get', { apiVersion: 'v1', kind: 'Secret', name: 'db', namespace: 'default' })).toBe(
      'Denied by policy: Reading secrets is not allowed (set data.warden.kubernetes.allow_secrets to true to allow it)',
    );
    expect(await denied('configuration_view', { minified: true })).toBe(
      "Denied by policy: Reading the kubeconfig is not allowed: configuration_view shows the server's credentials (set data.warden.kubernetes.allow_secrets to true to allow it)",
    );
    expect(s.received().length).toBe(before);
  });

  it('a case variant of a declared argument (Namespace) is refused: a Go server may bind it', async () => {
    const before = s.received().length;
    const refused = await call('pods_get', { name: 'web', Namespace: 'kube-system' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('Namespace');
    expect(refused.text).toMatch(/only in case/);
    expect(s.received().length).toBe(before);
  });

  it('the audit records the forwarded calls as allowed and the denied ones with the reason', async () => {
    await conn.close();
    const rows = (tool: string) =>
      JSON.parse(execFileSync(process.execPath, [CLI, 'audit', 'query', '--db', db, '--tool', tool, '--json', '--asc'], { encoding: 'utf8' })) as Array<Record<string, unknown>>;
    const get = rows('pods_get');
    expect(get[0]).toMatchObject({ decision: 'allow' });
    expect(get[1]).toMatchObject({ decision: 'deny', reasons: ["Namespace 'kube-system' is not allowed (allowed: default, monitoring)"] });
    expect(rows('pods_delete')).toEqual([expect.objectContaining({ decision: 'deny', reasons: ["Operation 'delete' is not allowed in read-only mode"] })]);
  });
});

describe('kubernetes pack: kubernetes-mcp-server with writes on, namespaces restricted', () => {
  let s: Scratch;
  let conn: StdioConnection;
  beforeAll(async () => {
    s = await scratch();
    const kubeconfig = await s.write('kubeconfig', KUBECONFIG);
    conn = await wrapGoKubernetes(s, kubeconfig, 'warden:\n  kubernetes:\n    read_only: false\n    allowed_namespaces: [default]\n', 'core,config,helm');
  }, 120_000);
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
  });

  it('lists the namespaced writes, not Helm installs; a write in an allowed namespace is forwarded, a cluster-scoped one is not', async () => {
    const names = (await conn.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['pods_delete', 'pods_run', 'resources_create_or_update', 'resources_delete']));
    for (const hidden of ['helm_install', 'helm_uninstall', 'pods_exec', 'pods_list', 'configuration_view']) expect(names).not.toContain(hidden);

    const apply = async (resource: string) => {
      try {
        return resultText(await conn.client.callTool({ name: 'resources_create_or_update', arguments: { resource } }));
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(await apply('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: default}\n')).toMatch(/connection refused/);
    expect(await apply('apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: pwn}\n')).toBe(
      'Denied by policy: Manifest: kind ClusterRoleBinding is not a namespaced kind: denied while namespaces are restricted',
    );
    expect(s.received().map((r) => r.arguments?.resource)).toEqual(['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: default}\n']);
  });
});
