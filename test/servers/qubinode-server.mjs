#!/usr/bin/env node
/**
 * Test backend with the Qubinode Navigator MCP server's tool names and arguments (Airflow DAGs,
 * KVM VMs, task logs), answering with canned data and recording every call (see recording.mjs).
 *   node test/servers/qubinode-server.mjs [--sse]
 */
import { z } from 'zod';
import { newServer, registerRecordedTools, serve } from './recording.mjs';

const dags = ['qubinode_deploy', 'freeipa_deployment', 'vyos_router_deployment'];
const vms = [{ name: 'rhel9-web', state: 'running', vcpus: 2, memory_mb: 4096 }];

const tools = {
  list_dags: { description: 'List Airflow DAGs', annotations: { readOnlyHint: true }, schema: {}, run: () => dags },
  get_dag_info: {
    description: 'Details of one DAG',
    annotations: { readOnlyHint: true },
    schema: { dag_id: z.string() },
    run: ({ dag_id }) => ({ dag_id, is_paused: false, schedule: null }),
  },
  get_dag_runs: {
    description: 'Recent runs of a DAG',
    annotations: { readOnlyHint: true },
    schema: { dag_id: z.string(), limit: z.number().int().optional() },
    run: ({ dag_id }) => [{ dag_id, run_id: 'manual__1', state: 'success' }],
  },
  trigger_dag: {
    description: 'Trigger a DAG run',
    schema: { dag_id: z.string(), conf: z.record(z.string(), z.unknown()).optional() },
    run: ({ dag_id }) => ({ dag_id, run_id: 'manual__2', state: 'queued' }),
  },
  list_vms: { description: 'List KVM virtual machines', annotations: { readOnlyHint: true }, schema: {}, run: () => vms },
  get_vm_info: {
    description: 'Details of one VM',
    annotations: { readOnlyHint: true },
    schema: { vm_name: z.string() },
    run: ({ vm_name }) => ({ ...vms[0], name: vm_name }),
  },
  create_vm: {
    description: 'Create a VM with kcli',
    annotations: { destructiveHint: false },
    schema: { name: z.string(), image: z.string(), memory: z.number().int().optional(), cpus: z.number().int().optional(), disk_size: z.number().int().optional() },
    run: ({ name }) => ({ created: name }),
  },
  delete_vm: {
    description: 'Delete a VM',
    annotations: { destructiveHint: true },
    schema: { vm_name: z.string() },
    run: ({ vm_name }) => ({ deleted: vm_name }),
  },
  get_task_logs: {
    description: 'Logs of one task instance',
    annotations: { readOnlyHint: true },
    schema: { dag_id: z.string(), task_id: z.string(), dag_run_id: z.string(), try_number: z.number().int().optional() },
    run: ({ task_id }) => `[${task_id}] INFO - Task exited with return code 0`,
  },
};

await serve(() => {
  const server = newServer('qubinode-navigator');
  registerRecordedTools(server, tools);
  return server;
});
