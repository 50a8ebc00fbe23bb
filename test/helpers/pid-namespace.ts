/**
 * "Containers" for the audit journal's tests: `mcp-warden wrap` run as PID 1 of a pid namespace of
 * its own (`unshare --pid --fork --kill-child`: SIGKILL of unshare kills the namespace), driven over
 * its stdio with the raw-audit test backend's `echo` tool.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CLI } from './audit.js';
import { ROOT } from './proxy.js';

const BACKEND = join(ROOT, 'test/servers/raw-audit-backend.mjs');

/** Why pid namespaces cannot be made here, or undefined when `unshare --pid --fork` works. */
export function noPidNamespaces(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  const r = spawnSync('unshare', ['--pid', '--fork', '--kill-child', process.execPath, '-e', 'process.exit(process.pid === 1 ? 0 : 3)'], { stdio: 'ignore' });
  return r.status === 0 ? undefined : `unshare --pid --fork is not permitted here (${r.error?.message ?? `exit ${r.status}`})`;
}

export interface ContainerWrap {
  proc: ChildProcess;
  /** Settles once initialize was answered. */
  ready: Promise<void>;
  /** Ids of the tools/call answers received, in order. */
  answered: number[];
  /** One echo call with this id; settles on its answer. */
  call(id: number): Promise<void>;
  /** `count` calls from id `first` at once; their ids once all are answered. */
  calls(first: number, count: number): Promise<number[]>;
}

/** `mcp-warden wrap --policy allow-all --audit dbPath` as PID 1 of a new pid namespace. */
export function containerWrap(dbPath: string): ContainerWrap {
  const proc = spawn('unshare', ['--pid', '--fork', '--kill-child', process.execPath, CLI, 'wrap', '--policy', 'allow-all', '--audit', dbPath, '--', process.execPath, BACKEND], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'silent' },
  });
  const waiting = new Map<number, () => void>();
  const answered: number[] = [];
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buffer.slice(0, nl)) as { id?: number };
      buffer = buffer.slice(nl + 1);
      if (typeof msg.id !== 'number') continue;
      if (msg.id > 0) answered.push(msg.id);
      waiting.get(msg.id)?.();
    }
  });
  proc.stdin!.on('error', () => undefined);
  const request = (id: number, method: string, params: unknown) =>
    new Promise<void>((resolve) => {
      waiting.set(id, resolve);
      proc.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  const ready = request(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'container', version: '1' } }).then(() => {
    proc.stdin!.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  });
  const call = (id: number) => request(id, 'tools/call', { name: 'echo', arguments: { text: `c-${id}` } });
  return {
    proc,
    ready,
    answered,
    call,
    async calls(first, count) {
      const ids = Array.from({ length: count }, (_, i) => first + i);
      await Promise.all(ids.map(call));
      return ids;
    },
  };
}
