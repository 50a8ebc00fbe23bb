/**
 * The kubernetes pack end to end against the real npm server mcp-server-kubernetes, through
 * `mcp-warden wrap` (built CLI), with a recording relay between mcp-warden and the server. There is
 * no cluster here: an allowed call reaches the server and comes back with the server's own error,
 * a denied call is answered by mcp-warden with the reason and the relay never sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StdioConnection } from './helpers/proxy.js';
import { callToolOrError, KUBERNETES, RELAY, scratch, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

describe('kubernetes pack: mcp-server-kubernetes', () => {
  let s: Scratch;
  let conn: StdioConnection;
  beforeAll(async () => {
    s = await scratch();
    const data = await s.write('k8s.yaml', 'warden:\n  kubernetes:\n    allowed_namespaces: [default, monitoring]\n');
    conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, KUBERNETES], { policy: 'kubernetes', data });
  }, 120_000);
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
  });

  const call = (name: string, args: Record<string, unknown>) => callToolOrError(conn, name, args);

  it('lists the read tools and hides the write ones', async () => {
    const names = (await conn.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['kubectl_get', 'kubectl_describe', 'kubectl_logs', 'kubectl_generic', 'ping']));
    for (const hidden of ['kubectl_delete', 'kubectl_apply', 'kubectl_scale', 'kubectl_patch', 'kubectl_create', 'exec_in_pod', 'node_management', 'install_helm_chart']) {
      expect(names).not.toContain(hidden);
    }
  });

  it('allowed verbs reach the server (which fails on its own: no cluster here)', async () => {
    const get = await call('kubectl_get', { resourceType: 'pods', namespace: 'default' });
    expect(get.text).not.toContain('Denied by policy');
    expect(get.text).toMatch(/kubectl|cluster|connect|config/i);
    await call('kubectl_describe', { resourceType: 'pod', name: 'web', namespace: 'monitoring' });
    await call('kubectl_logs', { resourceType: 'pod', name: 'web', namespace: 'default' });
    await call('kubectl_generic', { command: 'top', resourceType: 'pods', namespace: 'monitoring' });
    expect(s.toolsReceived()).toEqual(['kubectl_get', 'kubectl_describe', 'kubectl_logs', 'kubectl_generic']);
  });

  it('write verbs are denied with the message, and never reach the server', async () => {
    const before = s.received().length;
    expect(await call('kubectl_delete', { resourceType: 'pod', name: 'web', namespace: 'default' })).toEqual({
      isError: true,
      text: "Denied by policy: Operation 'delete' is not allowed in read-only mode",
    });
    expect((await call('kubectl_scale', { name: 'web', replicas: 0, namespace: 'default' })).text).toBe(
      "Denied by policy: Operation 'scale' is not allowed in read-only mode",
    );
    expect((await call('kubectl_generic', { command: 'edit', resourceType: 'deployment', name: 'web', namespace: 'default' })).text).toBe(
      "Denied by policy: Operation 'edit' is not allowed in read-only mode",
    );
    expect((await call('kubectl_generic', { command: 'auth', subCommand: 'can-i', args: ['*', '*'], namespace: 'default' })).text).toBe(
      "Denied by policy: Operation 'auth' is not recognized: denied",
    );
    expect(s.received().length).toBe(before);
  });

  it('namespaces are enforced on arguments and on kubectl command lines', async () => {
    const before = s.received().length;
    expect((await call('kubectl_get', { resourceType: 'pods', namespace: 'kube-system' })).text).toBe(
      "Denied by policy: Namespace 'kube-system' is not allowed (allowed: default, monitoring)",
    );
    expect((await call('kubectl_get', { resourceType: 'pods', allNamespaces: true })).text).toContain(
      'All namespaces (--all-namespaces) is not allowed (allowed: default, monitoring)',
    );
    expect((await call('kubectl_generic', { command: 'get', args: ['pods', '-n', 'kube-system'] })).text).toContain(
      "Namespace 'kube-system' is not allowed",
    );
    expect((await call('kubectl_generic', { command: 'top pods --all-namespaces' })).text).toContain('All namespaces (--all-namespaces) is not allowed');
    expect(s.received().length).toBe(before);
  });

  it('secrets and identity-changing flags are refused even with a read verb', async () => {
    expect((await call('kubectl_get', { resourceType: 'secrets', namespace: 'default' })).text).toBe(
      'Denied by policy: Reading secrets is not allowed (set data.warden.kubernetes.allow_secrets to true to allow it)',
    );
    expect((await call('kubectl_generic', { command: 'get', args: ['pods', '--as=system:admin'], namespace: 'default' })).text).toBe(
      "Denied by policy: Flag '--as' is not allowed (it changes kubectl's identity or cluster)",
    );
    expect(s.toolsReceived().filter((n) => n === 'kubectl_get' || n === 'kubectl_generic')).toEqual(['kubectl_get', 'kubectl_generic']);
  });

  it('exec is off unless enabled', async () => {
    const result = await call('exec_in_pod', { name: 'web', namespace: 'default', command: ['cat', '/etc/shadow'] });
    expect(result.text).toBe('Denied by policy: Operation \'exec\' is disabled (set data.warden.kubernetes.allow_exec to true to enable it)');
    expect(s.toolsReceived()).not.toContain('exec_in_pod');
  });
});
