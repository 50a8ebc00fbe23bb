#!/usr/bin/env node
/**
 * Test backend with the AI-native orchestrator's MCP tools (nodes, workloads) and its
 * orchestrator:// resources, answering with canned data and recording every tool call and every
 * resource read (see recording.mjs). A file:// resource is exposed too, for the pack to refuse.
 *   node test/servers/orchestrator-server.mjs [--sse]
 */
import { z } from 'zod';
import { newServer, record, registerRecordedTools, serve } from './recording.mjs';

const name = { name: z.string() };
const tools = {
  list_nodes: { description: 'List nodes', annotations: { readOnlyHint: true }, schema: {}, run: () => [{ name: 'node-1', ready: true }] },
  get_node: { description: 'One node', annotations: { readOnlyHint: true }, schema: name, run: (a) => ({ name: a.name, ready: true }) },
  list_workloads: { description: 'List workloads', annotations: { readOnlyHint: true }, schema: { namespace: z.string().optional() }, run: () => [{ name: 'web', replicas: 3 }] },
  get_workload: { description: 'One workload', annotations: { readOnlyHint: true }, schema: name, run: (a) => ({ name: a.name, replicas: 3 }) },
  get_cluster_status: { description: 'Cluster health', annotations: { readOnlyHint: true }, schema: {}, run: () => ({ healthy: true }) },
  drain_node: { description: 'Drain a node', annotations: { destructiveHint: true }, schema: { ...name, force: z.boolean().optional() }, run: (a) => ({ drained: a.name }) },
  cordon_node: { description: 'Cordon a node', annotations: { destructiveHint: true }, schema: name, run: (a) => ({ cordoned: a.name }) },
  delete_workload: { description: 'Delete a workload', annotations: { destructiveHint: true }, schema: name, run: (a) => ({ deleted: a.name }) },
  scale_workload: {
    description: 'Scale a workload',
    annotations: { destructiveHint: true },
    // Deliberately loose (any JSON value): the policy, not the backend, enforces the cap.
    schema: { ...name, replicas: z.unknown() },
    run: (a) => ({ scaled: a.name, replicas: a.replicas }),
  },
};

const resources = {
  'orchestrator://cluster/status': { healthy: true, nodes: 1 },
  'orchestrator://nodes/node-1': { name: 'node-1', ready: true },
  'orchestrator://secrets/registry': { token: 'registry-token-123' },
  'file:///etc/orchestrator.conf': 'admin_password=hunter2',
};

await serve(() => {
  const server = newServer('orchestrator');
  registerRecordedTools(server, tools);
  for (const [uri, value] of Object.entries(resources)) {
    server.registerResource(uri, uri, { mimeType: 'application/json' }, async () => {
      record({ kind: 'resource', uri });
      return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value) }] };
    });
  }
  return server;
});
