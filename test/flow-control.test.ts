/**
 * Flow control through a real `mcp-warden wrap` (src/proxy/flow.ts, NdjsonTransport.onbacklog): a
 * peer that stops reading makes mcp-warden stop reading the other side, so its memory stays bounded
 * by the high-water mark instead of growing with what the other side sends; nothing is lost or
 * reordered once the peer reads again. The backend (test/servers/flood-server.mjs) writes with
 * backpressure itself, as a well-behaved server does.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/proxy.js';

const FLOOD = join(ROOT, 'test/servers/flood-server.mjs');
const MIB = 1024 * 1024;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** The pid of the flood server among the children of `parent`. */
function floodPid(parent: number): number {
  const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  const pid = children.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('flood-server'));
  if (pid === undefined) throw new Error(`no flood-server among the children of ${parent}: ${children.join(', ')}`);
  return pid;
}

/** A raw client of `wrap` over pipes, whose reading can be stopped and resumed. */
class RawClient {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly messages: Array<Record<string, unknown>> = [];
  stderr = '';
  private buffer = '';
  private waiters: Array<() => void> = [];

  constructor(args = ['wrap', '--policy', 'allow-all', '--', process.execPath, FLOOD]) {
    this.proc = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => {
      this.buffer += d;
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        this.messages.push(JSON.parse(this.buffer.slice(0, nl)) as Record<string, unknown>);
        this.buffer = this.buffer.slice(nl + 1);
        nl = this.buffer.indexOf('\n');
      }
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.proc.stdin.on('error', () => undefined);
  }

  /** Writes a line, waiting while the pipe to wrap is full (as a well-behaved client does). */
  async write(message: unknown): Promise<void> {
    if (!this.proc.stdin.write(`${JSON.stringify(message)}\n`)) await once(this.proc.stdin, 'drain');
  }

  async until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  answer(id: number): Record<string, unknown> | undefined {
    return this.messages.find((m) => m.id === id && m.method === undefined);
  }

  async initialize(): Promise<void> {
    await this.write({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'flow', version: '1' } } });
    await this.until(() => this.answer(0) !== undefined, 'initialize');
    await this.write({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('wrap: flow control', () => {
  let client: RawClient | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    client?.proc.kill('SIGKILL');
    client = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('a client that stops reading: wrap stops reading the backend (memory stays bounded), and every notification arrives in order once it reads again', async () => {
    client = new RawClient();
    await client.initialize();
    const before = rssBytes(client.proc.pid!);
    const count = 2000;
    const size = 64 * 1024; // 125 MiB in all
    client.proc.stdout.pause();
    await client.write({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flood', arguments: { count, size } } });
    // Long enough for the backend to have written everything many times over if nothing held it.
    await settle(2500);
    const grown = rssBytes(client.proc.pid!) - before;
    const progress = [...client.stderr.matchAll(/flood: (\d+) written/g)].map((m) => Number(m[1]));
    const writtenByBackend = progress.length > 0 ? progress[progress.length - 1]! : 0;
    const backendDone = client.stderr.includes('flood: done');
    client.proc.stdout.resume();
    await client.until(() => client!.answer(1) !== undefined, 'the flood answer');
    const seqs = client.messages.filter((m) => m.method === 'notifications/message').map((m) => (m.params as { data: { seq: number; pad: string } }).data);
    expect(seqs.length).toBe(count);
    expect(seqs.every((d, i) => d.seq === i && d.pad.length === size)).toBe(true);
    // The backend was held back: it could write about the high-water mark (8 MiB: ~130 of the 2000
    // notifications) plus what the pipes hold, not the whole flood.
    expect(backendDone).toBe(false);
    expect(writtenByBackend).toBeLessThan(400);
    // And wrap's memory grew by far less than the 125 MiB the flood would have put in it.
    expect(grown).toBeLessThan(48 * MIB);
  }, 120_000);

  it('serve --stdio: a backend restarted while the client is not reading starts paused (the new one cannot flood wrap either), and works once the client reads', async () => {
    // serve --stdio: its backends are restarted (wrap's are not: it ends with its server).
    dir = await mkdtemp(join(tmpdir(), 'warden-flow-'));
    const config = join(dir, 'warden.yaml');
    await writeFile(config, `backends:\n  - name: flood\n    transport: stdio\n    prefix: ""\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(FLOOD)}]\npolicy:\n  paths: [allow-all]\naudit:\n  enabled: false\n`);
    client = new RawClient(['serve', '--stdio', '--no-http', '--config', config]);
    await client.initialize();
    const wrapPid = client.proc.pid!;
    const childOf = (): number => {
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          // /proc/<pid>/stat: "pid (comm) state ppid ..."
          const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
          if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === wrapPid) return Number(entry);
        } catch {
          // gone meanwhile
        }
      }
      return -1;
    };
    const first = childOf();
    const before = rssBytes(wrapPid);
    const count = 2000;
    const size = 64 * 1024;
    client.proc.stdout.pause();
    await client.write({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flood', arguments: { count, size } } });
    await settle(1500);
    // The backend dies while wrap is holding it back; serve starts another (restart delay 200 ms).
    process.kill(first, 'SIGKILL');
    await settle(1500);
    expect(childOf()).not.toBe(first);
    await client.write({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'flood', arguments: { count, size } } });
    await settle(2500);
    const grown = rssBytes(wrapPid) - before;
    // Neither flood ran to its end: the new backend was not read while the client was not reading.
    expect(client.stderr).not.toContain('flood: done');
    expect(grown).toBeLessThan(48 * MIB);
    client.proc.stdout.resume();
    await client.until(() => client!.answer(1) !== undefined && client!.answer(2) !== undefined, 'answers 1 and 2');
    // And reading is not left paused: the restarted backend answers.
    let id = 3;
    for (;;) {
      await client.write({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: 'after' } } });
      await client.until(() => client!.answer(id) !== undefined, `echo ${id}`);
      if (client.answer(id)!.result !== undefined) break;
      expect(id).toBeLessThan(40);
      id++;
      await settle(250);
    }
    expect((client.answer(id)!.result as { content: Array<{ text: string }> }).content[0]!.text).toBe('5:after');
  }, 120_000);

  it('a backend that stops reading: wrap stops reading the client (memory stays bounded), and every request is answered once the backend reads again', async () => {
    client = new RawClient();
    await client.initialize();
    // Stalled until this test says (SIGUSR2), not for a time this test must fit in: a 2.5 s stall
    // ended before the 1.5 s look below on a busy host, and the backend then read everything.
    await client.write({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'stall', arguments: { ms: 120_000 } } });
    await client.until(() => client!.answer(1) !== undefined, 'stall answer');
    const backend = floodPid(client.proc.pid!);
    const before = rssBytes(client.proc.pid!);
    const count = 1500;
    const text = 'y'.repeat(64 * 1024); // 94 MiB of requests in all
    let written = 0;
    const writing = (async () => {
      for (let i = 0; i < count; i++) {
        await client!.write({ jsonrpc: '2.0', id: 100 + i, method: 'tools/call', params: { name: 'echo', arguments: { text: `${i}:${text}` } } });
        written++;
      }
    })();
    await settle(1500);
    const grown = rssBytes(client.proc.pid!) - before;
    // The client's own writes are held back: wrap is not taking them all into memory.
    expect(written).toBeLessThan(count);
    process.kill(backend, 'SIGUSR2'); // the backend reads again
    await writing;
    await client.until(() => client!.answer(100 + count - 1) !== undefined, 'the last echo', 90_000);
    for (let i = 0; i < count; i++) {
      const result = client.answer(100 + i)?.result as { content: Array<{ text: string }> } | undefined;
      expect(result?.content[0]?.text).toBe(`${text.length + String(i).length + 1}:${`${i}:${text}`.slice(0, 16)}`);
    }
    expect(grown).toBeLessThan(48 * MIB);
  }, 120_000);
});
