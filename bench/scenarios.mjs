/**
 * Benchmark scenarios: each starts one client session to one path (direct, relay, wrap, serve...)
 * and says which process is the proxy (whose CPU is measured) and which is the backend. To add a
 * scenario, append to the list in `scenarios()`: give it a name, a transport, the tools/call it
 * sends, the ratios it is compared on, and `start()`; `unavailable()` returns a reason to skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALLOW_ALL_REGO, ROOT, WARDEN_CLI, profileArgs, startHttpTestServer, startServe } from '../scripts/lib/procs.mjs';
import { HttpSession } from './load-http.mjs';
import { StdioSession } from './load-stdio.mjs';
import { peersUnavailable, startPeer } from './peers.mjs';
import { childPids } from './proc-stats.mjs';

const BENCH_SERVER = path.join(ROOT, 'test', 'servers', 'bench-server.mjs');
const RELAY = path.join(ROOT, 'bench', 'relay.mjs');
const ECHO = { tool: 'echo', args: { text: 'hello from mcp-warden bench' } };
const KUBECTL_GET = { tool: 'kubectl_get', args: { resourceType: 'pods', namespace: 'default' } };
/**
 * kubectl_get with a distinct pod `name` in every call: no two calls have the same params bytes. The
 * pack reads `name` only to check it (a string, not starting with '-': policies/kubernetes/argv.rego),
 * so the engine evaluates those few rules again and reuses the kept decision when they agree.
 */
const KUBECTL_GET_VARIED = { tool: 'kubectl_get', args: { resourceType: 'pods', namespace: 'default' }, vary: 'name' };

/**
 * kubectl_get with a distinct resourceType in every call: a member the kubernetes pack reads, so no
 * decision can be reused (the true miss; the pod `name` of KUBECTL_GET_VARIED is only checked by the pack).
 */
const KUBECTL_GET_MISS = { tool: 'kubectl_get', args: { namespace: 'default', name: 'web' }, vary: 'resourceType' };

/** Scratch dir for generated policy files and audit databases, removed by cleanup(). */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-'));
const allowAllPolicy = path.join(scratch, 'allow-all.rego');
writeFileSync(allowAllPolicy, ALLOW_ALL_REGO);
/** Memory-backed scratch (tmpfs) for wrap-audit-tmpfs, made on first use; undefined where there is none. */
let memoryScratch;
function memoryDir() {
  if (memoryScratch === undefined && existsSync('/dev/shm')) memoryScratch = mkdtempSync('/dev/shm/warden-bench-');
  return memoryScratch;
}
export function cleanup() {
  rmSync(scratch, { recursive: true, force: true });
  if (memoryScratch !== undefined) rmSync(memoryScratch, { recursive: true, force: true });
}

let helpCache;
/** `mcp-warden wrap --help` text, or undefined when the CLI (dist/) has no wrap command yet. */
function wrapHelp() {
  if (helpCache === undefined) {
    try {
      helpCache = execFileSync(process.execPath, [WARDEN_CLI, 'wrap', '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      helpCache = '';
    }
  }
  return helpCache || undefined;
}
const needsWrap = (...flags) => () => {
  const help = wrapHelp();
  if (!help) return 'mcp-warden wrap is not built (npm run build) or not implemented yet';
  const missing = flags.filter((f) => !help.includes(f));
  return missing.length ? `wrap has no ${missing.join(', ')} option yet` : undefined;
};

/** Open a stdio session; the spawned process is the proxy unless `direct`. */
async function stdioStart(command, args, { direct = false, env } = {}) {
  const session = await new StdioSession({ command, args, env }).open();
  const proxyPid = direct ? undefined : session.pid;
  const backendPid = direct ? session.pid : childPids(session.pid)[0];
  return { session, proxyPid, backendPid, stop: () => session.close() };
}

/** Arguments for `mcp-warden wrap` with a policy and (optionally) an audit database. */
function wrapArgs(label, { policy = ['--policy', allowAllPolicy], audit, cli = WARDEN_CLI, dir = scratch } = {}) {
  const auditArgs = audit ? ['--audit', path.join(dir, `${audit}.db`)] : wrapHelp()?.includes('--no-audit') ? ['--no-audit'] : [];
  return [...profileArgs(label), cli, 'wrap', ...policy, ...auditArgs, '--', process.execPath, BENCH_SERVER];
}

/** Another build's CLI (BENCH_ALT_CLI=/path/to/dist/cli/main.js) for an A/B of wrap-audit in the same run (wrap-audit-alt). */
const ALT_CLI = process.env.BENCH_ALT_CLI;

let httpBackend;
/** One HTTP bench server shared by the HTTP scenarios (started on first use). */
async function sharedHttpBackend() {
  httpBackend ??= startHttpTestServer(BENCH_SERVER);
  return httpBackend;
}
export async function stopSharedBackends() {
  if (httpBackend) await (await httpBackend).stop();
}

/** @typedef {{ name: string, transport: 'stdio'|'http', call: {tool:string,args:object,vary?:string}, note: string,
 *   callScale?: number, peer?: boolean,
 *   compare?: { against: string, p50?: number, cpu?: number, info?: boolean, label: string }[], unavailable?: () => string|undefined,
 *   start: () => Promise<{ session: any, proxyPid?: number, backendPid?: number, stop: () => Promise<void> }> }} Scenario */

/** @returns {Scenario[]} */
export function scenarios() {
  return [
    {
      name: 'stdio-direct',
      transport: 'stdio',
      call: ECHO,
      note: 'client -> bench server (stdio)',
      start: () => stdioStart(process.execPath, [BENCH_SERVER], { direct: true }),
    },
    {
      name: 'stdio-relay',
      transport: 'stdio',
      call: ECHO,
      note: 'client -> bare byte relay -> bench server',
      start: () => stdioStart(process.execPath, [...profileArgs('stdio-relay'), RELAY, process.execPath, BENCH_SERVER]),
    },
    {
      name: 'stdio-relay-b',
      transport: 'stdio',
      call: ECHO,
      note: 'a second bare relay, same as stdio-relay: the A/A control (how far two identical paths differ in this run)',
      compare: [{ against: 'stdio-relay', info: true, label: 'noise floor: a second bare relay vs the first (A/A, identical paths)' }],
      start: () => stdioStart(process.execPath, [...profileArgs('stdio-relay-b'), RELAY, process.execPath, BENCH_SERVER]),
    },
    {
      name: 'wrap',
      transport: 'stdio',
      call: ECHO,
      note: 'client -> mcp-warden wrap (allow-all, no audit) -> bench server',
      compare: [{ against: 'stdio-relay', p50: 1.1, cpu: 1.3, label: 'issue 3: wrap vs bare relay' }],
      unavailable: needsWrap('--policy'),
      start: () => stdioStart(process.execPath, wrapArgs('wrap')),
    },
    {
      name: 'wrap-allow-k8s',
      transport: 'stdio',
      call: KUBECTL_GET,
      note: 'wrap (allow-all) calling kubectl_get: baseline for the kubernetes pack',
      unavailable: needsWrap('--policy'),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-allow-k8s')),
    },
    {
      name: 'wrap-kubernetes',
      transport: 'stdio',
      call: KUBECTL_GET,
      note: 'wrap --policy kubernetes (allowed_namespaces: default) calling kubectl_get',
      compare: [{ against: 'wrap-allow-k8s', p50: 1.1, cpu: 1.15, label: 'issue 5: kubernetes pack vs allow-all (one identical call repeated: its decision is reused)' }],
      unavailable: () => needsWrap('--policy', '--data')() ?? kubernetesPackMissing(),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-kubernetes', { policy: kubernetesPolicyArgs() })),
    },
    {
      name: 'wrap-allow-k8s-varied',
      transport: 'stdio',
      call: KUBECTL_GET_VARIED,
      note: 'wrap (allow-all) calling kubectl_get, a distinct pod name per call: baseline of the cache-miss case',
      unavailable: needsWrap('--policy'),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-allow-k8s-varied')),
    },
    {
      name: 'wrap-kubernetes-varied',
      transport: 'stdio',
      call: KUBECTL_GET_VARIED,
      note: 'wrap --policy kubernetes, a distinct pod name per call (a member the pack reads only by class: the decision kept for its class is reused, no parse, no evaluation)',
      compare: [{ against: 'wrap-allow-k8s-varied', p50: 1.1, cpu: 1.15, label: 'issue 5, distinct pod name per call (only checked by the pack): kubernetes pack vs allow-all' }],
      unavailable: () => needsWrap('--policy', '--data')() ?? kubernetesPackMissing(),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-kubernetes-varied', { policy: kubernetesPolicyArgs() })),
    },
    {
      name: 'wrap-kubernetes-varied-alt',
      transport: 'stdio',
      call: KUBECTL_GET_VARIED,
      note: 'wrap-kubernetes-varied run by another build (BENCH_ALT_CLI), for an A/B of class keys in the same run',
      compare: [{ against: 'wrap-allow-k8s-varied', info: true, label: 'issue 5, distinct pod name per call, other build (BENCH_ALT_CLI): kubernetes pack vs allow-all' }],
      unavailable: () => (ALT_CLI === undefined || !existsSync(ALT_CLI) ? 'set BENCH_ALT_CLI to another build\'s dist/cli/main.js' : kubernetesPackMissing()),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-kubernetes-varied-alt', { policy: kubernetesPolicyArgs(), cli: ALT_CLI })),
    },
    {
      name: 'wrap-allow-k8s-miss',
      transport: 'stdio',
      call: KUBECTL_GET_MISS,
      note: 'wrap (allow-all) calling kubectl_get, a distinct resourceType per call: baseline of the true-miss case',
      unavailable: needsWrap('--policy'),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-allow-k8s-miss')),
    },
    {
      name: 'wrap-kubernetes-miss',
      transport: 'stdio',
      call: KUBECTL_GET_MISS,
      note: 'wrap --policy kubernetes, a distinct resourceType per call (a member the pack reads: every decision evaluated, the true miss)',
      compare: [{ against: 'wrap-allow-k8s-miss', info: true, label: 'issue 5, true miss (what the pack reads changes every call): kubernetes pack vs allow-all' }],
      unavailable: () => needsWrap('--policy', '--data')() ?? kubernetesPackMissing(),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-kubernetes-miss', { policy: kubernetesPolicyArgs() })),
    },
    {
      name: 'wrap-kubernetes-miss-codegen',
      transport: 'stdio',
      call: KUBECTL_GET_MISS,
      note: 'wrap-kubernetes-miss with the decision rules run as generated JavaScript (MCP_WARDEN_REGO_CODEGEN=1)',
      compare: [{ against: 'wrap-allow-k8s-miss', info: true, label: 'issue 5, true miss, generated JavaScript: kubernetes pack vs allow-all' }],
      unavailable: () => needsWrap('--policy', '--data')() ?? kubernetesPackMissing(),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-kubernetes-miss-codegen', { policy: kubernetesPolicyArgs() }), { env: { MCP_WARDEN_REGO_CODEGEN: '1' } }),
    },
    {
      name: 'wrap-kubernetes-miss-interp',
      transport: 'stdio',
      call: KUBECTL_GET_MISS,
      note: 'wrap-kubernetes-miss with the decision rules run on the Rego interpreter (MCP_WARDEN_REGO_CODEGEN=0)',
      compare: [{ against: 'wrap-allow-k8s-miss', info: true, label: 'issue 5, true miss, Rego interpreter: kubernetes pack vs allow-all' }],
      unavailable: () => needsWrap('--policy', '--data')() ?? kubernetesPackMissing(),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-kubernetes-miss-interp', { policy: kubernetesPolicyArgs() }), { env: { MCP_WARDEN_REGO_CODEGEN: '0' } }),
    },
    {
      name: 'wrap-kubernetes-miss-alt',
      transport: 'stdio',
      call: KUBECTL_GET_MISS,
      note: 'wrap-kubernetes-miss run by another build (BENCH_ALT_CLI), for an A/B of the judged path in the same run',
      compare: [{ against: 'wrap-allow-k8s-miss', info: true, label: 'issue 5, true miss, other build (BENCH_ALT_CLI): kubernetes pack vs allow-all' }],
      unavailable: () => (ALT_CLI === undefined || !existsSync(ALT_CLI) ? 'set BENCH_ALT_CLI to another build\'s dist/cli/main.js' : kubernetesPackMissing()),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-kubernetes-miss-alt', { policy: kubernetesPolicyArgs(), cli: ALT_CLI })),
    },
    {
      name: 'wrap-audit',
      transport: 'stdio',
      call: ECHO,
      note: 'wrap (allow-all) with the SQLite audit recorder on',
      compare: [{ against: 'wrap', p50: 1.05, label: 'issue 7: audit on vs off' }],
      unavailable: needsWrap('--policy', '--audit'),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-audit', { audit: `audit-${Date.now()}` })),
    },
    {
      name: 'wrap-audit-js',
      transport: 'stdio',
      call: ECHO,
      note: 'wrap-audit with the raw path checked by the JavaScript scans (MCP_WARDEN_RAW_NATIVE=off: not native/raw_check.c)',
      compare: [{ against: 'wrap', info: true, label: 'issue 7, JS raw checks: audit on vs off' }],
      unavailable: needsWrap('--policy', '--audit'),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-audit-js', { audit: `audit-js-${Date.now()}` }), { env: { MCP_WARDEN_RAW_NATIVE: 'off' } }),
    },
    {
      name: 'wrap-audit-alt',
      transport: 'stdio',
      call: ECHO,
      note: 'wrap-audit run by another build (BENCH_ALT_CLI), for an A/B in the same run',
      compare: [{ against: 'wrap', info: true, label: 'issue 7, other build (BENCH_ALT_CLI): audit on vs off' }],
      unavailable: () => (ALT_CLI === undefined || !existsSync(ALT_CLI) ? 'set BENCH_ALT_CLI to another build\'s dist/cli/main.js' : undefined),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-audit-alt', { audit: `audit-alt-${Date.now()}`, cli: ALT_CLI })),
    },
    {
      name: 'wrap-audit-tmpfs',
      transport: 'stdio',
      call: ECHO,
      note: 'wrap-audit with the database and its journal in memory (/dev/shm): what the disk\'s writeback (fsync at checkpoints, the kernel\'s flushing) adds to the writer\'s own CPU',
      compare: [{ against: 'wrap', info: true, label: 'issue 7: audit on (database on tmpfs) vs off' }],
      unavailable: () => needsWrap('--policy', '--audit')() ?? (existsSync('/dev/shm') ? undefined : 'no /dev/shm (tmpfs) here'),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-audit-tmpfs', { audit: `audit-tmpfs-${Date.now()}`, dir: memoryDir() })),
    },
    {
      name: 'wrap-audit-jswriter',
      transport: 'stdio',
      call: ECHO,
      note: 'wrap-audit with the JS audit writer (MCP_WARDEN_NATIVE_WRITER=off; wrap-audit runs native/writer\'s C loop when built)',
      compare: [{ against: 'wrap', info: true, label: 'issue 7: audit on vs off, JS writer' }],
      unavailable: needsWrap('--policy', '--audit'),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-audit-jswriter', { audit: `audit-jsw-${Date.now()}` }), { env: { MCP_WARDEN_NATIVE_WRITER: 'off' } }),
    },
    {
      name: 'wrap-audit-write',
      transport: 'stdio',
      call: ECHO,
      note: 'wrap-audit with the journal written by one write() per batch (MCP_WARDEN_AUDIT_JOURNAL=write; the fallback when segments cannot be mapped)',
      compare: [{ against: 'wrap', info: true, label: 'issue 7, write() journal: audit on (fallback journal) vs off' }],
      unavailable: needsWrap('--policy', '--audit'),
      start: () => stdioStart(process.execPath, wrapArgs('wrap-audit-write', { audit: `audit-write-${Date.now()}` }), { env: { MCP_WARDEN_AUDIT_JOURNAL: 'write' } }),
    },
    {
      name: 'http-direct',
      transport: 'http',
      call: ECHO,
      note: 'client -> bench server (Streamable HTTP)',
      start: async () => {
        const backend = await sharedHttpBackend();
        const session = await new HttpSession({ url: backend.url }).open();
        return { session, backendPid: backend.proc.pid, stop: () => session.close() };
      },
    },
    {
      name: 'serve',
      transport: 'http',
      call: ECHO,
      note: 'client -> mcp-warden serve (HTTP, allow-all, no audit) -> bench server (HTTP)',
      unavailable: () => (serveBuilt() ? undefined : 'mcp-warden serve is not built (npm run build) or not implemented yet'),
      start: async () => {
        const backend = await sharedHttpBackend();
        const serve = await startServe({ transport: 'streamable-http', url: backend.url }, { label: 'serve' });
        const session = await new HttpSession({ url: serve.url }).open();
        return {
          session,
          proxyPid: serve.proc.pid,
          backendPid: backend.proc.pid,
          stop: async () => {
            await session.close();
            await serve.stop();
          },
        };
      },
    },
    {
      name: 'serve-stdio',
      transport: 'http',
      call: ECHO,
      note: 'client -> mcp-warden serve (HTTP, allow-all, no audit) -> bench server (stdio)',
      unavailable: () => (serveBuilt() ? undefined : 'mcp-warden serve is not built (npm run build) or not implemented yet'),
      start: async () => {
        const serve = await startServe({ transport: 'stdio', command: process.execPath, args: [BENCH_SERVER] }, { label: 'serve-stdio' });
        const session = await new HttpSession({ url: serve.url }).open();
        return {
          session,
          proxyPid: serve.proc.pid,
          backendPid: childPids(serve.proc.pid)[0],
          stop: async () => {
            await session.close();
            await serve.stop();
          },
        };
      },
    },
    ...['mcp-proxy', 'supergateway'].map((peer) => ({
      name: `peer-${peer}`,
      transport: 'http',
      peer: true,
      callScale: 0.25, // several times slower per call than the others
      call: ECHO,
      note: `client -> ${peer} (npm, Streamable HTTP) -> bench server (stdio): compare with serve-stdio`,
      unavailable: peersUnavailable,
      start: () => startPeer(peer, [process.execPath, BENCH_SERVER]),
    })),
  ];
}

function serveBuilt() {
  try {
    execFileSync(process.execPath, [WARDEN_CLI, 'serve', '--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function kubernetesPackMissing() {
  return existsSync(path.join(ROOT, 'policies', 'kubernetes')) ? undefined : 'policies/kubernetes does not exist yet';
}

function kubernetesPolicyArgs() {
  const data = path.join(scratch, 'kubernetes-data.json');
  writeFileSync(data, JSON.stringify({ warden: { kubernetes: { allowed_namespaces: ['default'] } } }));
  return ['--policy', 'kubernetes', '--data', data];
}
