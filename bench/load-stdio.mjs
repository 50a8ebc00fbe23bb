/**
 * Load generator over a child's stdio pipes: raw newline-delimited JSON-RPC (no SDK Client),
 * one `initialize` per session, then tools/call requests kept `concurrency` deep (the same call each
 * time, or with one argument distinct in every call: `vary`). Records each call's latency from
 * write to the arrival of its response line.
 */
import { spawn } from 'node:child_process';

export class StdioSession {
  /** @param {{ command: string, args: string[], env?: Record<string,string> }} spec */
  constructor(spec) {
    this.spec = spec;
    this.nextId = 1;
    this.buf = '';
    this.stderr = [];
    this.waiters = new Map(); // id -> (msg) => void, for the handshake
    this.onResponse = undefined; // (id, msg) during a run
  }

  async open() {
    const { command, args, env } = this.spec;
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.pid = this.proc.pid;
    this.exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (c) => {
      this.stderr.push(c);
      if (this.stderr.length > 50) this.stderr.shift();
    });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk) => this.#onData(chunk));
    this.proc.stdin.on('error', () => {});
    const init = await this.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'mcp-warden-bench', version: '1.0.0' },
    });
    if (!init.result) throw new Error(`initialize failed: ${JSON.stringify(init.error ?? init)}\n${this.stderr.join('')}`);
    this.proc.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    return this;
  }

  #onData(chunk) {
    this.buf += chunk;
    let nl;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.length === 0) continue;
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        continue; // not ours to judge here
      }
      if (msg.id === undefined || msg.method !== undefined) continue; // notifications, server requests
      const waiter = this.waiters.get(msg.id);
      if (waiter) {
        this.waiters.delete(msg.id);
        waiter(msg);
      } else if (this.onResponse) this.onResponse(msg.id, msg);
    }
  }

  request(method, params, timeoutMs = 20_000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} timed out\n${this.stderr.join('')}`)), timeoutMs);
      this.waiters.set(id, (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      this.proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  /**
   * `n` tools/call requests, `concurrency` in flight (closed loop: the next call leaves when an
   * answer arrives). With `rate` (calls per second) the loop is open instead: calls leave on a clock,
   * whatever is in flight, in the 1 ms ticks Node's timers give (at 4,000/s about 4 per tick), so
   * a slower proxy gets the same arrivals and its extra time shows as latency, not as fewer calls.
   * A call's latency runs from its own write either way (the tick's lateness is not the proxy's).
   * @returns {Promise<{ latenciesMs: Float64Array, elapsedMs: number, errors: number, firstError?: unknown }>}
   */
  run(n, concurrency, { tool, args, vary }, rate) {
    const base = this.nextId;
    this.nextId += n;
    // vary: the name of an argument given a distinct string value in every call of the session
    // (`<vary>-<sequence>`), written between two fixed parts (one string concatenation per call).
    let tail = `,"method":"tools/call","params":${JSON.stringify({ name: tool, arguments: args })}}\n`;
    let middle = '';
    if (vary !== undefined) {
      const marker = '\u0001vary\u0001';
      const [before, after] = JSON.stringify({ name: tool, arguments: { ...args, [vary]: marker } }).split(JSON.stringify(marker));
      middle = `,"method":"tools/call","params":${before}"${vary}-`;
      tail = `"${after}}\n`;
      this.varySeq ??= 0;
    }
    const starts = new Float64Array(n);
    const latenciesMs = new Float64Array(n);
    const stdin = this.proc.stdin;
    let sent = 0;
    let done = 0;
    let errors = 0;
    let firstError;
    const send = () => {
      const i = sent++;
      starts[i] = performance.now();
      if (vary === undefined) stdin.write(`{"jsonrpc":"2.0","id":${base + i}${tail}`);
      else stdin.write(`{"jsonrpc":"2.0","id":${base + i}${middle}${this.varySeq++}${tail}`);
    };
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const timer = setTimeout(() => reject(new Error(`run stalled at ${done}/${n}\n${this.stderr.join('')}`)), 120_000);
      this.onResponse = (id, msg) => {
        const i = id - base;
        if (i < 0 || i >= n) return;
        latenciesMs[i] = performance.now() - starts[i];
        if (msg.error || msg.result?.isError) {
          errors++;
          firstError ??= msg.error ?? msg.result;
        }
        if (++done === n) {
          clearTimeout(timer);
          this.onResponse = undefined;
          resolve({ latenciesMs, elapsedMs: performance.now() - t0, errors, firstError });
        } else if (rate === undefined && sent < n) send();
      };
      if (rate !== undefined) {
        // open loop: by each tick, as many calls sent as the clock says are due since t0
        const tick = () => {
          const due = Math.min(n, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
          while (sent < due) send();
          if (sent < n) setTimeout(tick, 1);
        };
        tick();
        return;
      }
      const first = Math.min(concurrency, n);
      for (let k = 0; k < first; k++) send();
    });
  }

  async close() {
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGTERM'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}
