/**
 * Helpers for the proxy tests: start `mcp-warden wrap` / `serve` from the built CLI (dist/) as real
 * processes, connect the SDK's Client to them (stdio pipes or Streamable HTTP) or to an in-process
 * WardenProxy (in-memory pipes), and small process
 * utilities (is a pid alive, wait for it to go).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { stdioBackendSchema, type StdioBackendConfig } from '../../src/config/backends.js';
import type { WardenProxy } from '../../src/proxy/proxy.js';
import { NdjsonTransport } from '../../src/transport/ndjson.js';
import type { ClientSessionInfo } from '../../src/transport/types.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');
export const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const FILESYSTEM = join(ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
export const TEST_BACKEND = join(ROOT, 'test/servers/proxy-backend.mjs');

/**
 * A stdio backend's config as a config file gives it: `fields` parsed by the config's own schema
 * (its defaults filled, a wrong field refused), for tests that build a WardenProxy in-process.
 */
export function stdioBackend(fields: { name: string; command: string } & Partial<StdioBackendConfig>): StdioBackendConfig {
  return stdioBackendSchema.parse({ transport: 'stdio', ...fields });
}

/** An SDK client that answers sampling, elicitation and roots/list like a real host would. */
export function testClient(name = 'proxy-test'): Client {
  const client = new Client(
    { name, version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } } },
  );
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
    role: 'assistant',
    model: 'test-model',
    content: { type: 'text', text: `sampled: ${req.params.messages.length} message(s)` },
    stopReason: 'endTurn',
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada', check: true } }));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp', name: 'tmp' }] }));
  return client;
}

export interface StdioConnection {
  client: Client;
  transport: StdioClientTransport;
  /** pid of the mcp-warden process. */
  pid: number;
  stderr: () => string;
  close(): Promise<void>;
}

/** Runs `mcp-warden <args>` with stdio and connects an SDK Client to it. */
export async function connectCli(args: string[], client: Client = testClient(), env?: Record<string, string>): Promise<StdioConnection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...args],
    env: { ...(process.env as Record<string, string>), MCP_WARDEN_LOG_LEVEL: 'warn', ...env },
    stderr: 'pipe',
    cwd: ROOT,
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await client.connect(transport);
  return {
    client,
    transport,
    pid: transport.pid!,
    stderr: () => err,
    close: () => client.close(),
  };
}

export function connectWrap(command: string[], options: string[] = [], client?: Client): Promise<StdioConnection> {
  // These tests exercise the proxy, not policy: allow everything unless a test names a policy.
  const policy = options.includes('--policy') ? [] : ['--policy', 'allow-all'];
  return connectCli(['wrap', '--no-audit', ...policy, ...options, '--', ...command], client);
}

export interface ServeProcess {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  sseUrl: string;
  dir: string;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'warden-proxy-'));
}

/** The policy section the proxy tests run with: the proxy itself under test, so nothing is denied. */
export const ALLOW_ALL_POLICY = 'policy: { paths: [allow-all], watch: false }\n';

/** Writes a warden.yaml into a fresh temp dir and starts `mcp-warden serve` on a free port. */
/** detached: serve leads its own process group (kill(-pid) then signals it and its backends, as Ctrl-C or systemd do). */
/** dir: write warden.yaml there (a folder the test prepared, e.g. with files the config names by relative path); removed by stop() too. */
export async function startServe(yaml: string, extraArgs: string[] = [], options: { detached?: boolean; dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess> {
  const dir = options.dir ?? (await tempDir());
  const file = join(dir, 'warden.yaml');
  await writeFile(file, yaml);
  const proc = spawn(process.execPath, [CLI, 'serve', '--config', file, '--port', '0', ...extraArgs], {
    cwd: dir,
    // Info level (the default) unless the yaml sets log.level: tests read info lines from serve's log.
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  let err = '';
  const urls = await new Promise<{ url: string; sseUrl: string }>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${err}`)), 90_000);
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+) \(legacy SSE: (\S+)\)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolveUrl({ url: m[1]!, sseUrl: m[2]! });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${err}`));
    });
  });
  return {
    proc,
    ...urls,
    dir,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
        proc.kill(signal);
        const code = await exited;
        await rm(dir, { recursive: true, force: true });
        return code;
      }
      await rm(dir, { recursive: true, force: true });
      return proc.exitCode;
    },
  };
}

export async function connectHttp(url: string, client: Client = testClient()): Promise<Client> {
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Text of the first content item of a tool result. */
export function firstText(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  return content?.[0]?.text ?? '';
}

/** Direct child pids of a process (from /proc). */
export async function childPids(pid: number): Promise<number[]> {
  const { readFile } = await import('node:fs/promises');
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Checks progress values seen by the SDK Client for an operation of `steps` steps: in order, from 1,
 * and all of them but possibly the last. The SDK Client handles a notification one microtask after
 * a response read in the same chunk, so the last progress, sent just before the answer, is often
 * dropped by the client itself (direct connections lose it more often than mcp-warden does).
 */
export function expectProgress(seen: number[], steps: number): void {
  const expected = Array.from({ length: steps }, (_, i) => i + 1);
  if (seen.length < steps - 1 || seen.join() !== expected.slice(0, seen.length).join()) {
    throw new Error(`progress ${JSON.stringify(seen)} is not 1..${steps} (the last one may be missing)`);
  }
}

/** An SDK Client on a session of an in-process WardenProxy, and the in-memory pipes between them. */
export interface InProcessConnection {
  client: Client;
  toProxy: PassThrough;
  toClient: PassThrough;
}

/**
 * Opens a session of `proxy` (a WardenProxy made in the test) over in-memory pipes, newline-delimited
 * as on stdio, for the client `info` names, and connects an SDK Client named `name` to it.
 */
export async function connectInProcess(proxy: WardenProxy, info: ClientSessionInfo, name: string): Promise<InProcessConnection> {
  const toProxy = new PassThrough();
  const toClient = new PassThrough();
  await proxy.openSession(new NdjsonTransport(toProxy, toClient, { answerInvalid: true }), info);
  const client = new Client({ name, version: '1' });
  await client.connect(new NdjsonTransport(toClient, toProxy));
  return { client, toProxy, toClient };
}
