/**
 * A raw newline-delimited JSON-RPC client for a spawned process: write any bytes, read answers
 * line by line. For tests of bad input, exit codes and signals, where the SDK's Client would get in
 * the way.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI, ROOT } from './proxy.js';

export class LineClient {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  private buffer = '';
  private readonly lines: string[] = [];
  private waiters: Array<() => void> = [];

  constructor(args: string[], env: Record<string, string> = {}) {
    this.proc = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Decoded across chunks: a character split between two reads is not mangled.
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => {
      this.buffer += d;
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        this.lines.push(this.buffer.slice(0, nl));
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
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  write(text: string): void {
    this.proc.stdin.write(text);
  }

  send(message: unknown): void {
    this.write(JSON.stringify(message) + '\n');
  }

  /** The next message line (skipping notifications unless asked for), parsed. */
  async next(timeoutMs = 30_000, includeNotifications = false): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const msg = JSON.parse(await this.lineBy(deadline, timeoutMs)) as Record<string, unknown>;
      if (includeNotifications || !('method' in msg) || 'id' in msg) return msg;
    }
  }

  /** The next line as the process wrote it (notifications included), unparsed. */
  nextLine(timeoutMs = 30_000): Promise<string> {
    return this.lineBy(Date.now() + timeoutMs, timeoutMs);
  }

  private async lineBy(deadline: number, timeoutMs: number): Promise<string> {
    for (;;) {
      if (this.lines.length > 0) return this.lines.shift()!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a request and returns its answer (matching id). */
  async request(id: number | string, method: string, params?: unknown): Promise<Record<string, unknown>> {
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    for (;;) {
      const msg = await this.next();
      if (msg.id === id) return msg;
    }
  }

  async initialize(): Promise<Record<string, unknown>> {
    const answer = await this.request(0, 'initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'line-client', version: '1' },
    });
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return answer;
  }
}
