/**
 * For the policy property test: per pack, the tools it is meant for (real names and annotations),
 * the settings (data) it runs with, the clients that use it, and a pool of plausible arguments per
 * client (values the settings allow and values they do not) to search for a call that passes.
 */
import type { ClientIdentity } from '../../src/types.js';
import { client } from './contexts.js';

export interface PackUniverse {
  pack: string;
  data: Record<string, unknown>;
  tools: Record<string, Record<string, unknown>>;
  clients: ClientIdentity[];
  args(client: ClientIdentity): Array<Record<string, unknown>>;
}

const ro = { readOnlyHint: true };
const rw = { readOnlyHint: false, destructiveHint: true };

const filesystemAndEverything = {
  read_file: ro, read_text_file: ro, read_multiple_files: ro, write_file: rw, edit_file: rw,
  create_directory: { readOnlyHint: false }, list_directory: ro, directory_tree: ro, move_file: rw,
  search_files: ro, get_file_info: ro, echo: ro, 'get-sum': ro, 'trigger-long-running-operation': ro,
  'toggle-simulated-logging': { readOnlyHint: false }, 'gzip-file-as-resource': { readOnlyHint: false },
  getStatus: {}, deleteAll: {}, frobnicate: {},
};

const kubernetesTools = {
  kubectl_get: ro, kubectl_describe: ro, kubectl_logs: ro, kubectl_apply: rw, kubectl_delete: rw,
  kubectl_create: {}, kubectl_scale: rw, kubectl_patch: rw, kubectl_rollout: rw, kubectl_context: ro,
  kubectl_reconnect: { readOnlyHint: false }, explain_resource: ro, install_helm_chart: rw,
  upgrade_helm_chart: rw, uninstall_helm_chart: rw, node_management: rw, port_forward: {},
  stop_port_forward: {}, exec_in_pod: rw, list_api_resources: ro, kubectl_generic: rw, ping: ro, cleanup: rw,
};

const CONFIG_MAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n';
const CERTIFICATE = 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: web\n';
const CLUSTER_ISSUER = 'apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: le\n';

const names = (list: string[]) => Object.fromEntries(list.map((n) => [n, {}]));

function product(base: Record<string, unknown[]>): Array<Record<string, unknown>> {
  let rows: Array<Record<string, unknown>> = [{}];
  for (const [key, values] of Object.entries(base)) {
    rows = rows.flatMap((row) => values.map((v) => (v === undefined ? row : { ...row, [key]: v })));
  }
  return rows;
}

const local = client('local', [], {}, 'local');

export const UNIVERSES: PackUniverse[] = [
  {
    pack: 'allow-all',
    data: {},
    tools: filesystemAndEverything,
    clients: [local],
    args: () => [{}],
  },
  {
    pack: 'read-only',
    data: {},
    tools: filesystemAndEverything,
    clients: [local, client('alice', ['viewer'])],
    args: () => [{}, { path: '/tmp/x' }],
  },
  {
    pack: 'default',
    data: {},
    tools: filesystemAndEverything,
    clients: [local],
    args: () => [{}, { path: '/tmp/x' }],
  },
  {
    pack: 'kubernetes',
    data: { warden: { kubernetes: { allowed_namespaces: ['default', 'monitoring'], clients: { 'sre-bot': { allowed_namespaces: ['payments'] } } } } },
    tools: kubernetesTools,
    clients: [local, client('sre-bot'), client('viewer')],
    args: (c) => [
      ...product({
        namespace: [undefined, 'default', 'monitoring', 'payments', 'kube-system'],
        command: [undefined, 'get', 'top pods', 'delete pod web', 'get pods -n kube-system', 'logs web --all-namespaces', 'auth can-i'],
        subCommand: [undefined, 'status', 'restart'],
      }),
      ...product({ operation: ['list', 'get', 'set', 'cordon', 'drain'], namespace: [undefined, c.id === 'sre-bot' ? 'payments' : 'default'] }),
      { allNamespaces: true },
    ],
  },
  {
    // writes on, namespaces restricted, a custom resource listed as namespaced (scope.rego, custom_resources.rego)
    pack: 'kubernetes',
    data: {
      warden: {
        kubernetes: { read_only: false, allowed_namespaces: ['default'], namespaced_custom_resources: [{ group: 'cert-manager.io', kind: 'Certificate', plural: 'certificates' }] },
      },
    },
    tools: kubernetesTools,
    clients: [local, client('sre-bot')],
    args: () => [
      ...product({
        resourceType: ['pods', 'deployment', 'certificates.cert-manager.io', 'certificate.v1.cert-manager.io', 'certificates', 'clusterroles'],
        name: ['web'],
        namespace: [undefined, 'default', 'kube-system'],
      }),
      ...product({ manifest: [CONFIG_MAP, CERTIFICATE, CLUSTER_ISSUER], namespace: [undefined, 'default'] }),
      { subCommand: 'status', resourceType: 'deployment', name: 'web' },
      { operation: 'list' },
      { command: 'get', resourceType: 'pods' },
      // kubectl_generic names its namespace while namespaces are restricted (namespaces.rego)
      { command: 'get', resourceType: 'pods', namespace: 'default' },
    ],
  },
  {
    pack: 'qubinode',
    data: { warden: { qubinode: { clients: { 'ops-team': { categories: ['dags', 'vms', 'logs'] }, dashboard: { categories: ['dags', 'logs'], read_only: true }, root: { categories: ['*'] } } } } },
    tools: names(['list_dags', 'get_dag_info', 'get_dag_runs', 'trigger_dag', 'list_vms', 'get_vm_info', 'create_vm', 'delete_vm', 'get_task_logs', 'reboot_host']),
    clients: [client('ops-team'), client('dashboard'), client('root'), client('stranger')],
    args: () => [{}, { dag_id: 'qubinode_deploy' }, { vm_name: 'rhel9-web' }, { name: 'db', image: 'rhel9' }],
  },
  {
    pack: 'nomad',
    data: { warden: { nomad: { clients: { 'team-a': { namespaces: ['team-a'] }, ops: { namespaces: ['*'] } } } } },
    tools: names(['list_nomad_jobs', 'get_job_status', 'get_job_logs', 'get_allocation_status', 'get_job_evaluations', 'stop_job', 'restart_job', 'create_job', 'submit_job_file', 'force_evaluate_job', 'purge_everything']),
    clients: [client('team-a', ['developer']), client('ops', ['operator']), client('stranger'), client('team-a', ['operator'])],
    args: () => product({ namespace: [undefined, 'default', 'team-a', 'team-b'], job_id: [undefined, 'web', 'web?namespace=team-b', '../web'] }),
  },
  {
    pack: 'orchestrator',
    data: {},
    tools: names(['list_nodes', 'get_node', 'list_workloads', 'get_workload', 'get_cluster_status', 'drain_node', 'cordon_node', 'delete_workload', 'scale_workload', 'rm_rf']),
    clients: [client('agent', ['viewer']), client('sre', ['operator']), client('anon', [], {}, 'anonymous')],
    args: () => product({ name: [undefined, 'web'], replicas: [undefined, 0, 3, 10, 11, 2.5, '5'] }),
  },
  {
    pack: 'containarium',
    data: {},
    tools: names(['list_containers', 'get_container', 'get_metrics', 'create_container', 'delete_container', 'start_container', 'stop_container', 'shell']),
    clients: [client('u-root', ['admin'], { username: 'root' }, 'jwt'), client('u-alice', ['user'], { username: 'alice' }, 'jwt'), client('u-nobody', ['user'], {}, 'jwt'), client('anon', [], {}, 'anonymous')],
    args: (c) => product({ username: [undefined, 'bob', (c.claims as { username?: string }).username ?? 'alice'] }),
  },
];
