/**
 * A client that closes its input right after writing its requests (`printf '…' | mcp-warden wrap --
 * server`) gets their answers, as it does from the server connected directly: the session stays
 * open until nothing is in flight (src/proxy/flow.ts, closeWhenSettled), then wrap ends its child
 * and exits 0. Real pipes, the real server-everything from npm and our test backend.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { CLI, EVERYTHING, isAlive, ROOT, TEST_BACKEND } from './helpers/proxy.js';

const FLOOD = join(ROOT, 'test/servers/flood-server.mjs');

const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'eof', version: '1' } } };
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };

/** Writes `messages` and closes stdin at once; resolves with the lines read and the exit code. */
function runToEnd(command: string[], messages: unknown[]): Promise<{ lines: Array<Record<string, unknown>>; code: number | null; stderr: string; childPid?: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, command, { cwd: ROOT, env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`did not exit; stdout:\n${out}\nstderr:\n${stderr}`));
    }, 100_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ lines, code, stderr });
    });
    proc.stdin.end(messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
  });
}

const byId = (lines: Array<Record<string, unknown>>) => new Map(lines.filter((l) => l.id !== undefined && l.method === undefined).map((l) => [l.id, l]));

describe('wrap: the client closes its input with requests in flight', () => {
  it('server-everything: the same answers as a direct connection, then wrap exits 0', async () => {
    const messages = [INIT, INITIALIZED, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'piped' } } }];
    const direct = await runToEnd([EVERYTHING], messages);
    const wrapped = await runToEnd([CLI, 'wrap', '--policy', 'allow-all', '--no-audit', '--', process.execPath, EVERYTHING], messages);
    expect(wrapped.code).toBe(0);
    const d = byId(direct.lines);
    const w = byId(wrapped.lines);
    expect([...w.keys()].sort()).toEqual([0, 1, 2]);
    expect([...d.keys()].sort()).toEqual([0, 1, 2]);
    expect(w.get(2)!.result).toEqual(d.get(2)!.result);
    expect(JSON.stringify(w.get(2))).toContain('piped');
    expect((w.get(1)!.result as { tools: unknown[] }).tools.length).toBe((d.get(1)!.result as { tools: unknown[] }).tools.length);
  }, 120_000);

  it('a slow call in flight at the end of input is answered when it completes; then the child is ended', async () => {
    const messages = [
      INIT,
      INITIALIZED,
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: { ms: 600 } } },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
    ];
    const started = Date.now();
    const run = await runToEnd([CLI, 'wrap', '--policy', 'allow-all', '--no-audit', '--', process.execPath, TEST_BACKEND], messages);
    expect(run.code).toBe(0);
    const answers = byId(run.lines);
    expect(JSON.stringify(answers.get(1)?.result)).toMatch(/slow done after \d+ steps/);
    expect(answers.get(1)?.error).toBeUndefined();
    const who = JSON.stringify(answers.get(2)?.result);
    const pid = Number(/pid[^0-9]*(\d+)/.exec(who)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  }, 120_000);

  it('a client that reads slowly after closing its input gets all of it before wrap exits (what waits in its pipe is not dropped)', async () => {
    const proc = spawn(process.execPath, [CLI, 'wrap', '--policy', 'allow-all', '--no-audit', '--', process.execPath, FLOOD], {
      cwd: ROOT,
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const count = 200; // 64 KiB each: 12.5 MiB, more than wrap holds for a client that does not read (8 MiB)
    const flood = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flood', arguments: { count, size: 64 * 1024 } } };
    proc.stdout.pause();
    proc.stdin.end([INIT, INITIALIZED, flood].map((m) => `${JSON.stringify(m)}\n`).join(''));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Reads in small steps, with pauses: wrap gets the flood's answer while megabytes still wait for us.
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      proc.stdout.pause();
      setTimeout(() => proc.stdout.resume(), 30);
    });
    proc.stdout.resume();
    const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));
    const complete = out.slice(0, out.lastIndexOf('\n') + 1);
    const lines = complete.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(code).toBe(0);
    expect(out.length - complete.length, 'bytes of a line cut short').toBe(0);
    expect(lines.filter((l) => l.method === 'notifications/message').length).toBe(count);
    expect(JSON.stringify(byId(lines).get(1)?.result), stderr).toContain(`flooded ${count}`);
  }, 120_000);

  it('a request of the server to the client after its input ended (sampling) is answered with an error at once: wrap does not wait for a timeout', async () => {
    const init = { ...INIT, params: { ...INIT.params, capabilities: { sampling: {} } } };
    const sample = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } } };
    const started = Date.now();
    const run = await runToEnd([CLI, 'wrap', '--policy', 'allow-all', '--no-audit', '--', process.execPath, EVERYTHING], [init, INITIALIZED, sample]);
    expect(run.code).toBe(0);
    // The client can no longer answer the sampling request: the server got an error instead, and says so.
    const answer = byId(run.lines).get(1);
    expect(JSON.stringify(answer)).toMatch(/closed its input/);
    // Not the SDK's 60 s request timeout, nor the backend's.
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 120_000);

  it('a sampling request the client got before closing its input, unanswered: the server gets an error at once', async () => {
    const proc = spawn(process.execPath, [CLI, 'wrap', '--policy', 'allow-all', '--no-audit', '--', process.execPath, EVERYTHING], {
      cwd: ROOT,
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    const asked = new Promise<void>((resolve) => {
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"sampling/createMessage"')) resolve();
      });
    });
    const init = { ...INIT, params: { ...INIT.params, capabilities: { sampling: {} } } };
    const sample = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } } };
    proc.stdin.write([init, INITIALIZED, sample].map((m) => `${JSON.stringify(m)}\n`).join(''));
    await asked;
    const started = Date.now();
    proc.stdin.end();
    const code = await exited;
    expect(code).toBe(0);
    const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(JSON.stringify(byId(lines).get(1))).toMatch(/closed its input/);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 120_000);
});
