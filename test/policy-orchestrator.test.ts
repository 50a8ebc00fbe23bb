/**
 * The orchestrator pack end to end: our orchestrator test server (nodes, workloads, orchestrator://
 * resources; recording every tool call and resource read) behind `mcp-warden wrap --config`, once
 * as a viewer and once as an operator (auth.stdioClient roles).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StdioConnection } from './helpers/proxy.js';
import { resultText, scratch, SERVERS, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

function config(id: string, roles: string[]): string {
  return `
backends: [{ name: ignored, transport: stdio, command: unused }]
auth:
  stdioClient: { id: ${id}, roles: [${roles.join(', ')}] }
policy:
  paths: [orchestrator]
  data: { warden: { orchestrator: { max_replicas: 20 } } }
audit: { enabled: false }
`;
}

describe('orchestrator pack: orchestrator test server', () => {
  let s: Scratch;
  let viewer: StdioConnection;
  let operator: StdioConnection;
  const server = [process.execPath, `${SERVERS}/orchestrator-server.mjs`];

  beforeAll(async () => {
    s = await scratch();
    viewer = await wrapWithPolicy(s, server, { config: await s.write('viewer.yaml', config('agent', ['viewer'])) });
    operator = await wrapWithPolicy(s, server, { config: await s.write('operator.yaml', config('sre', ['operator'])) });
  });
  afterAll(async () => {
    await viewer?.close();
    await operator?.close();
    await s?.remove();
  });

  it('a viewer sees read tools only; an operator sees the destructive ones too', async () => {
    expect((await viewer.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['get_cluster_status', 'get_node', 'get_workload', 'list_nodes', 'list_workloads']);
    expect((await operator.client.listTools()).tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['drain_node', 'cordon_node', 'delete_workload', 'scale_workload']),
    );
  });

  it('destructive operations are refused to a viewer without reaching the server', async () => {
    for (const name of ['drain_node', 'cordon_node', 'delete_workload']) {
      const result = await viewer.client.callTool({ name, arguments: { name: 'node-1' } });
      expect(resultText(result)).toBe(`Denied by policy: Operation '${name}' requires the 'operator' role`);
    }
    expect(s.toolsReceived()).toEqual([]);
  });

  it('an operator drains a node and scales within the cap; above the cap is refused', async () => {
    await operator.client.callTool({ name: 'drain_node', arguments: { name: 'node-1', force: true } });
    const scaled = await operator.client.callTool({ name: 'scale_workload', arguments: { name: 'web', replicas: 20 } });
    expect(resultText(scaled)).toContain('"replicas":20');
    const tooMany = await operator.client.callTool({ name: 'scale_workload', arguments: { name: 'web', replicas: 500 } });
    expect(resultText(tooMany)).toBe('Denied by policy: scale_workload: replicas must be a whole number from 0 to 20 (got 500)');
    const notANumber = await operator.client.callTool({ name: 'scale_workload', arguments: { name: 'web', replicas: '5; rm -rf /' } });
    expect(notANumber.isError).toBe(true);
    expect(s.received().map((r) => [r.name, r.arguments])).toEqual([
      ['drain_node', { name: 'node-1', force: true }],
      ['scale_workload', { name: 'web', replicas: 20 }],
    ]);
  });

  it('resources: orchestrator:// is listed and readable, secrets need the operator role, other URIs are refused', async () => {
    const listed = (await viewer.client.listResources()).resources.map((r) => r.uri).sort();
    expect(listed).toEqual(['orchestrator://cluster/status', 'orchestrator://nodes/node-1']);
    const before = s.received().length;
    const status = await viewer.client.readResource({ uri: 'orchestrator://cluster/status' });
    expect(JSON.stringify(status.contents)).toContain('healthy');
    await expect(viewer.client.readResource({ uri: 'orchestrator://secrets/registry' })).rejects.toThrow(
      "Denied by policy: Resource 'orchestrator://secrets/registry' requires the 'operator' role",
    );
    await expect(operator.client.readResource({ uri: 'file:///etc/orchestrator.conf' })).rejects.toThrow(
      "Resource 'file:///etc/orchestrator.conf' is not an orchestrator:// resource: denied",
    );
    const secret = await operator.client.readResource({ uri: 'orchestrator://secrets/registry' });
    expect(JSON.stringify(secret.contents)).toContain('registry-token');
    expect(s.received().slice(before).map((r) => r.uri)).toEqual(['orchestrator://cluster/status', 'orchestrator://secrets/registry']);
  });

  it('a secret spelled as a URL parser reads it (a tab or newline in it, which new URL() drops: the SDK server looks resources up so) is refused to a viewer', async () => {
    const before = s.received().length;
    for (const uri of ['orchestrator://secre\tts/registry', 'orchestrator://\nsecrets/registry', 'orchestrator://secrets\r/registry']) {
      await expect(viewer.client.readResource({ uri }), JSON.stringify(uri)).rejects.toThrow('Denied by policy');
    }
    expect(s.received().slice(before)).toEqual([]);
  });
});
