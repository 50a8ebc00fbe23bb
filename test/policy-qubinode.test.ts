/**
 * The qubinode pack end to end: our Qubinode Navigator test server (its real tool names and
 * arguments, recording every call) behind `mcp-warden wrap --config`, with one API key per client
 * (presented the stdio way, MCP_WARDEN_API_KEY) and tool categories enabled per client in data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/identity/api-keys.js';
import type { StdioConnection } from './helpers/proxy.js';
import { resultText, scratch, SERVERS, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

const OPS_KEY = 'mcpw_ops_0123456789abcdef0123456789abcdef0123';
const DASHBOARD_KEY = 'mcpw_dash_0123456789abcdef0123456789abcdef012';

function config(): string {
  return `
backends: [{ name: ignored, transport: stdio, command: unused }]
auth:
  apiKeys:
    - { id: ops-key, hash: "${hashApiKey(OPS_KEY)}", client: ops-team }
    - { id: dashboard-key, hash: "${hashApiKey(DASHBOARD_KEY)}", client: dashboard }
policy:
  paths: [qubinode]
  data:
    warden:
      qubinode:
        clients:
          ops-team: { categories: [dags, vms, logs] }
          dashboard: { categories: [dags, logs], read_only: true }
audit: { enabled: false }
`;
}

describe('qubinode pack: Qubinode Navigator test server, API key per client', () => {
  let s: Scratch;
  let ops: StdioConnection;
  let dashboard: StdioConnection;
  const server = [process.execPath, `${SERVERS}/qubinode-server.mjs`];

  beforeAll(async () => {
    s = await scratch();
    const cfg = await s.write('warden.yaml', config());
    ops = await wrapWithPolicy(s, server, { config: cfg, apiKey: OPS_KEY, extra: ['--name', 'qubinode'] });
    dashboard = await wrapWithPolicy(s, server, { config: cfg, apiKey: DASHBOARD_KEY, extra: ['--name', 'qubinode'] });
  });
  afterAll(async () => {
    await ops?.close();
    await dashboard?.close();
    await s?.remove();
  });

  it('each client sees the categories enabled for it', async () => {
    expect((await ops.client.listTools()).tools.map((t) => t.name).sort()).toEqual(
      ['create_vm', 'delete_vm', 'get_dag_info', 'get_dag_runs', 'get_task_logs', 'get_vm_info', 'list_dags', 'list_vms', 'trigger_dag'],
    );
    expect((await dashboard.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['get_dag_info', 'get_dag_runs', 'get_task_logs', 'list_dags']);
  });

  it('the operator key creates a VM and triggers a DAG: both reach the server', async () => {
    const vm = await ops.client.callTool({ name: 'create_vm', arguments: { name: 'rhel9-db', image: 'rhel9', memory: 4096, cpus: 2 } });
    expect(resultText(vm)).toContain('rhel9-db');
    await ops.client.callTool({ name: 'trigger_dag', arguments: { dag_id: 'freeipa_deployment' } });
    expect(s.received().map((r) => [r.name, r.arguments])).toEqual([
      ['create_vm', { name: 'rhel9-db', image: 'rhel9', memory: 4096, cpus: 2 }],
      ['trigger_dag', { dag_id: 'freeipa_deployment' }],
    ]);
  });

  it('the read-only dashboard key keeps listing and logs, and is refused trigger and VM operations', async () => {
    const before = s.received().length;
    await dashboard.client.callTool({ name: 'list_dags', arguments: {} });
    await dashboard.client.callTool({ name: 'get_task_logs', arguments: { dag_id: 'qubinode_deploy', task_id: 'kcli', dag_run_id: 'manual__1' } });
    expect(s.toolsReceived().slice(before)).toEqual(['list_dags', 'get_task_logs']);

    const trigger = await dashboard.client.callTool({ name: 'trigger_dag', arguments: { dag_id: 'qubinode_deploy' } });
    expect(trigger.isError).toBe(true);
    expect(resultText(trigger)).toBe("Denied by policy: Operation 'trigger_dag' is not allowed in read-only mode");
    const del = await dashboard.client.callTool({ name: 'delete_vm', arguments: { vm_name: 'rhel9-web' } });
    // Two reasons: the category is not enabled for it, and it is read-only.
    expect(resultText(del)).toBe(
      "Denied by policy: Client 'dashboard' is not allowed VM operations (category 'vms' is not enabled for it); Operation 'delete_vm' is not allowed in read-only mode",
    );
    expect(s.toolsReceived().slice(before)).toEqual(['list_dags', 'get_task_logs']);
  });
});
