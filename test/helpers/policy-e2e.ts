/**
 * For the policy end-to-end tests: run `mcp-warden wrap --policy ...` (built CLI) in front of a
 * backend whose every received call is appended to a record file (our guide test servers record
 * themselves; real npm servers sit behind test/servers/recording-relay.mjs), and read that file back
 * to prove which calls reached the backend.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectCli, ROOT, testClient, type StdioConnection } from './proxy.js';

export const SERVERS = join(ROOT, 'test/servers');
export const RELAY = join(SERVERS, 'recording-relay.mjs');
export const KUBERNETES = join(ROOT, 'node_modules/mcp-server-kubernetes/dist/index.js');
/** kubernetes-mcp-server (the Go server, npm devDependency). */
export const GO_KUBERNETES = join(ROOT, 'node_modules/kubernetes-mcp-server/bin/index.js');

export interface Received {
  kind: 'tool' | 'resource';
  name?: string;
  arguments?: Record<string, unknown>;
  uri?: string;
}

/** A scratch folder with a record file; remove() when done. */
export interface Scratch {
  dir: string;
  recordFile: string;
  /** Every call the backend received, in order. */
  received(): Received[];
  /** Names of the tools the backend received calls for. */
  toolsReceived(): string[];
  write(name: string, content: string | object): Promise<string>;
  remove(): Promise<void>;
}

export async function scratch(): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-policy-e2e-'));
  const recordFile = join(dir, 'received.jsonl');
  const received = (): Received[] =>
    existsSync(recordFile)
      ? readFileSync(recordFile, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Received)
      : [];
  return {
    dir,
    recordFile,
    received,
    toolsReceived: () => received().filter((r) => r.kind === 'tool').map((r) => r.name!),
    async write(name, content) {
      const path = join(dir, name);
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface WrapPolicyOptions {
  policy?: string;
  data?: string;
  config?: string;
  /** Presented as MCP_WARDEN_API_KEY (the stdio way to present an API key). */
  apiKey?: string;
  extra?: string[];
  client?: Client;
  env?: Record<string, string>;
}

/** `mcp-warden wrap --policy P [--data F] [--config C] --no-audit -- <command...>` with recording on. */
export function wrapWithPolicy(s: Scratch, command: string[], options: WrapPolicyOptions = {}): Promise<StdioConnection> {
  const args = ['wrap'];
  if (options.policy) args.push('--policy', options.policy);
  if (options.data) args.push('--data', options.data);
  if (options.config) args.push('--config', options.config);
  if (!options.extra?.some((a) => a.startsWith('--audit'))) args.push('--no-audit');
  args.push(...(options.extra ?? []), '--', ...command);
  const env: Record<string, string> = { MCP_RECORD_FILE: s.recordFile };
  if (options.apiKey) env.MCP_WARDEN_API_KEY = options.apiKey;
  Object.assign(env, options.env);
  return connectCli(args, options.client ?? testClient(), env);
}

/** The text of a tool result (all text items joined). */
export function resultText(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

/** A tool call's result text and isError, or the JSON-RPC error answered instead (its message, isError true). */
export async function callToolOrError(conn: StdioConnection, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
  try {
    const result = await conn.client.callTool({ name, arguments: args });
    return { isError: result.isError === true, text: resultText(result) };
  } catch (err) {
    return { isError: true, text: (err as Error).message };
  }
}

/**
 * `wrap --policy kubernetes` with `settings` (the data file's YAML) in front of the recording relay
 * and kubernetes-mcp-server on `kubeconfig` with `toolsets` (HOME is the scratch directory, so no
 * kubeconfig of this machine's is read).
 */
export async function wrapGoKubernetes(s: Scratch, kubeconfig: string, settings: string, toolsets: string, extra?: string[]): Promise<StdioConnection> {
  const data = await s.write('k8s.yaml', settings);
  return wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, GO_KUBERNETES, '--kubeconfig', kubeconfig, '--toolsets', toolsets], {
    policy: 'kubernetes',
    data,
    extra,
    env: { HOME: s.dir },
  });
}

/** `wrap --policy kubernetes` in front of the real mcp-server-kubernetes whose kubectl is the stand-in recorder (test/servers/fake-kubectl). */
export interface StandInKubectl {
  conn: StdioConnection;
  /** Every argv kubectl was run with, in order. */
  runs(): string[][];
  /** A tool call's result text, or the JSON-RPC error's message answered instead. */
  call(name: string, args: Record<string, unknown>): Promise<string>;
}

/**
 * Starts mcp-server-kubernetes behind the recording relay and `wrap --policy kubernetes` with
 * `settings` (the data file's YAML), its PATH finding the stand-in kubectl, which records every argv
 * (and knows the contexts in `env.KUBECTL_CONTEXTS`, when given).
 */
export async function wrapStandInKubectl(s: Scratch, settings: string, env: Record<string, string> = {}): Promise<StandInKubectl> {
  const record = join(s.dir, 'kubectl.jsonl');
  const data = await s.write('k8s.yaml', settings);
  const conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, KUBERNETES], {
    policy: 'kubernetes',
    data,
    env: { PATH: `${join(SERVERS, 'fake-kubectl')}:${process.env.PATH}`, KUBECTL_RECORD_FILE: record, ...env },
  });
  return {
    conn,
    runs: () => (existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
    call: async (name, args) => (await callToolOrError(conn, name, args)).text,
  };
}
