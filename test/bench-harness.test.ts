/**
 * The benchmark harness's own parts, so its figures can be trusted: the bare relay passes bytes
 * and exit codes, the raw HTTP client parses Content-Length, chunked (SSE) and empty responses
 * over one keep-alive connection, the load generators complete runs against the bench server,
 * and /proc CPU accounting sees a busy process. Functional checks only: no timing assertions.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs modules of the bench (no type declarations)
import { RawHttpConnection } from '../bench/raw-http.mjs';
// @ts-expect-error plain .mjs modules of the bench (no type declarations)
import { StdioSession } from '../bench/load-stdio.mjs';
// @ts-expect-error plain .mjs modules of the bench (no type declarations)
import { HttpSession } from '../bench/load-http.mjs';
// @ts-expect-error plain .mjs modules of the bench (no type declarations)
import { coreSpeeds } from '../bench/core-speeds.mjs';
// @ts-expect-error plain .mjs modules of the bench (no type declarations)
import { cpuNs, percentile } from '../bench/proc-stats.mjs';
// @ts-expect-error plain .mjs modules of the bench (no type declarations)
import { verdicts } from '../bench/report.mjs';
// @ts-expect-error plain .mjs modules of the bench (no type declarations)
import { startHttpTestServer } from '../scripts/lib/procs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RELAY = path.join(ROOT, 'bench', 'relay.mjs');
const BENCH_SERVER = path.join(ROOT, 'test', 'servers', 'bench-server.mjs');

type RawResult = { status: number; headers: Record<string, string>; body: string };
function rawRequest(conn: { request: Function }, method: string, body: string): Promise<RawResult> {
  return new Promise((resolve, reject) =>
    conn.request(method, '/mcp', { host: '127.0.0.1' }, body, (err: Error | undefined, status: number, headers: Record<string, string>, text: string) =>
      err ? reject(err) : resolve({ status, headers, body: text }),
    ),
  );
}

describe('bench harness', () => {
  it('the bare relay forwards JSON-RPC both ways and exits with its child code', async () => {
    const session = await new StdioSession({ command: process.execPath, args: [RELAY, process.execPath, BENCH_SERVER] }).open();
    const r = await session.run(200, 8, { tool: 'echo', args: { text: 'é ünïcode' } });
    expect(r.errors).toBe(0);
    expect(r.latenciesMs.every((v: number) => v > 0)).toBe(true);
    await session.close();

    const code = await new Promise((resolve) => {
      const p = spawn(process.execPath, [RELAY, process.execPath, '-e', 'process.exit(7)'], { stdio: 'ignore' });
      p.on('exit', resolve);
    });
    expect(code).toBe(7);
  });

  it('an open loop sends its calls on the clock, whatever is in flight (a rate), and records every answer', async () => {
    // A backend that answers no tools/call until it holds all 40 of them: a closed loop with one call
    // in flight would wait for ever; the open loop has sent them all by the clock.
    const HELD = `
      const rl = require('node:readline').createInterface({ input: process.stdin });
      const held = [];
      rl.on('line', (l) => {
        const m = JSON.parse(l);
        if (m.method === 'initialize') process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'held', version: '1' } } }) + '\\n');
        else if (m.method === 'tools/call' && held.push(m.id) === 40) for (const id of held) process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id, result: { content: [] } }) + '\\n');
      });`;
    const session = await new StdioSession({ command: process.execPath, args: ['-e', HELD] }).open();
    const r = await session.run(40, 1, { tool: 'echo', args: {} }, 2000);
    expect(r.errors).toBe(0);
    expect(r.latenciesMs.length).toBe(40);
    expect(r.latenciesMs.every((v: number) => v > 0)).toBe(true);
    // the first call waited for the last to be sent: at 2,000 calls/s that is 39 intervals of 0.5 ms at least
    expect(r.latenciesMs[0]).toBeGreaterThanOrEqual(39 * 0.5 - 1);
    await session.close();
  });

  it('goal lines of every level, the open one included, are read by runs-summary; --rate takes whole calls per second (its tag is how they are read)', async () => {
    const run = (script: string, args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, [path.join(ROOT, 'bench', script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        p.on('exit', (code) => resolve({ code, out }));
      });
    // Refused before anything starts (a scenario name that does not exist would be refused next).
    const fractional = await run('run.mjs', ['--rate', '2.5', '--only', 'no-such-scenario']);
    expect(fractional.code).not.toBe(0);
    expect(fractional.out).toContain('--rate: a whole number of calls per second');
    const whole = await run('run.mjs', ['--rate', '2500', '--only', 'no-such-scenario']);
    expect(whole.out).toContain('unknown scenario(s) no-such-scenario');
    // Goal lines as verdicts() writes them at c1, c16 and the open level, read back per level.
    const mk = (p50: number, cpu: number) => ({ p50us: p50, proxyCpuUs: cpu, roundP50us: [p50], roundProxyCpuUs: [cpu], errors: 0 });
    const results = { a: { 1: mk(11, 5), 16: mk(20, 6), r2500: mk(13, 7) }, b: { 1: mk(10, 5), 16: mk(16, 5), r2500: mk(10, 5) } };
    const goals = verdicts(results, [{ name: 'a', compare: [{ against: 'b', label: 'a vs b', p50: 1.2, cpu: 1.3 }] }], [1, 16, 'r2500']);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bench-summary-')), 'bench-x.json');
    writeFileSync(file, JSON.stringify({ results, goals }));
    const summary = await run('runs-summary.mjs', [file]);
    expect(summary.code).toBe(0);
    expect(summary.out).toMatch(/a vs b @c1\n {2}p50 median 1\.100x/);
    expect(summary.out).toMatch(/a vs b @c16\n {2}p50 median 1\.250x .*0 of 1 within 1\.2x/);
    expect(summary.out).toMatch(/a vs b @r2500\n {2}p50 median 1\.300x .*\n {2}CPU median 1\.400x/);
    rmSync(path.dirname(file), { recursive: true });
  });

  it('the raw HTTP client parses Content-Length, chunked SSE and empty responses on one connection', async () => {
    let connections = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (body === 'json') res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{"ok":"ü"}}');
        else if (body === 'sse') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('id: 1\ndata: \n\n');
          setTimeout(() => res.end('event: message\ndata: {"jsonrpc":"2.0","id":2,"result":{}}\n\n'), 5);
        } else res.writeHead(202).end();
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const conn = new RawHttpConnection('127.0.0.1', port);
    await conn.ready;
    try {
      const a = await rawRequest(conn, 'POST', 'json');
      expect(a.status).toBe(200);
      expect(JSON.parse(a.body).result.ok).toBe('ü');
      const b = await rawRequest(conn, 'POST', 'sse');
      expect(b.headers['content-type']).toBe('text/event-stream');
      expect(b.body).toContain('"id":2');
      const c = await rawRequest(conn, 'POST', 'note');
      expect(c.status).toBe(202);
      expect(c.body).toBe('');
      expect(connections).toBe(1);
    } finally {
      conn.close();
      server.close();
    }
  });

  it('the HTTP load generator runs a session against the bench server (initialize, calls, DELETE)', async () => {
    const backend = await startHttpTestServer(BENCH_SERVER);
    try {
      const session = await new HttpSession({ url: backend.url }).open();
      const r = await session.run(300, 16, { tool: 'echo', args: { text: 'x' } });
      expect(r.errors).toBe(0);
      const failing = await session.run(3, 1, { tool: 'fail', args: {} });
      expect(failing.errors).toBe(3); // isError results are counted, so denied calls cannot pass unnoticed
      expect(failing.firstError).toMatchObject({ isError: true });
      await session.close();
      const cpu = cpuNs(backend.proc.pid);
      expect(cpu).toBeGreaterThan(0);
    } finally {
      await backend.stop();
    }
  });

  it('core speeds: one figure per core, the fastest 1, each the same loop pinned to that core (or none without taskset)', () => {
    const speeds = coreSpeeds(50);
    if (spawnSync('taskset', ['-V']).error) return expect(speeds).toBeUndefined();
    expect(speeds?.map((s: { cpu: number }) => s.cpu)).toEqual(Array.from({ length: availableParallelism() }, (_, i) => i));
    const relative: number[] = speeds.map((s: { relative: number }) => s.relative);
    expect(Math.max(...relative)).toBe(1);
    for (const r of relative) expect(r).toBeGreaterThan(0);
  });

  it('percentile picks from sorted samples', () => {
    const s = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(percentile(s, 50)).toBe(5);
    expect(percentile(s, 99)).toBe(10);
    expect(percentile(s, 0)).toBe(1);
  });
});
