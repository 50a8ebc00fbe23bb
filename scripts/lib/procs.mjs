/**
 * Process plumbing shared by the conformance runner and the benchmarks: start our test servers
 * and `mcp-warden serve` on free 127.0.0.1 ports, wait until they listen, and stop them (whole
 * process group, no orphans).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WARDEN_CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** A port the OS just handed out on 127.0.0.1 (closed again; for processes that cannot report port 0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port, timeoutMs = 15_000, proc) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited with code ${proc.exitCode} before listening on ${port}`);
    const ok = await new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Keeps the last lines of a stream for error messages. */
function tail(stream, lines) {
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    for (const l of chunk.split('\n')) if (l) lines.push(l);
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  });
}

/**
 * Spawn a process in its own process group. `stderrLines` collects its recent stderr.
 * @returns {{ proc: import('node:child_process').ChildProcess, stderrLines: string[], stop: () => Promise<void> }}
 */
export function startProcess(command, args, { env, stdio = ['ignore', 'pipe', 'pipe'], cwd = ROOT } = {}) {
  const proc = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio, detached: true });
  const stderrLines = [];
  if (proc.stderr) tail(proc.stderr, stderrLines);
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
  };
  return { proc, stderrLines, stop };
}

/** Start a test server in HTTP mode (`--http 0`) and read the `MCP_URL=` line it prints. */
export async function startHttpTestServer(script, extraArgs = []) {
  const handle = startProcess(process.execPath, [script, '--http', '0', ...extraArgs]);
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not print MCP_URL in 15 s: ${handle.stderrLines.join('\n')}`)), 15_000);
    handle.proc.stdout.setEncoding('utf8');
    handle.proc.stdout.on('data', (chunk) => {
      buf += chunk;
      const m = /MCP_URL=(\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    handle.proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${handle.stderrLines.join('\n')}`));
    });
  });
  handle.proc.stdout.resume();
  return { ...handle, url };
}

/**
 * Node flags for a measured proxy process: with MCP_WARDEN_BENCH_PROFILE=<dir> (bench --profile)
 * it writes a V8 CPU profile named after `label` into that directory when it exits.
 */
export function profileArgs(label) {
  const dir = process.env.MCP_WARDEN_BENCH_PROFILE;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${label}.cpuprofile`] : [];
}

/** Resolves with the first capture of `pattern` in the process's stderr. */
function waitForLine({ proc, stderrLines }, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const check = () => {
      for (const line of stderrLines) {
        const m = pattern.exec(line);
        if (m) return done(undefined, m[1]);
      }
    };
    const onData = () => setImmediate(check);
    const onExit = (code) => done(new Error(`process exited with code ${code}`));
    const timer = setTimeout(() => done(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    const done = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      proc.stderr.off('data', onData);
      proc.off('exit', onExit);
      if (err) reject(err);
      else resolve(value);
    };
    proc.stderr.on('data', onData);
    proc.once('exit', onExit);
    check();
  });
}

/** A Rego policy that allows everything (for measuring and conformance without policy effects). */
export const ALLOW_ALL_REGO = 'package mcp.authz\n\ndefault allow := true\n';

/**
 * Start `mcp-warden serve` with a generated warden.yaml (one backend, no name prefix, anonymous
 * clients, allow-all policy, audit off unless `audit` is given) on a free port.
 * @param {object} backend  a `backends:` entry without name/prefix
 * @param {{ audit?: object, policy?: object, server?: object, label?: string }} [overrides]
 */
export async function startServe(backend, overrides = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-harness-'));
  const policyFile = path.join(dir, 'allow-all.rego');
  await writeFile(policyFile, ALLOW_ALL_REGO);
  const config = {
    server: { host: '127.0.0.1', port: 0, ...overrides.server },
    backends: [{ name: 'backend', prefix: '', ...backend }],
    policy: overrides.policy ?? { paths: [policyFile], watch: false },
    auth: { anonymous: true },
    audit: overrides.audit ?? { enabled: false, path: path.join(dir, 'audit.db') },
    log: { level: 'warn' },
  };
  const configFile = path.join(dir, 'warden.yaml');
  await writeFile(configFile, toYaml(config));
  const label = overrides.label ?? 'serve';
  const handle = startProcess(process.execPath, [...profileArgs(label), WARDEN_CLI, 'serve', '--config', configFile]);
  let url;
  try {
    // Port 0: serve reports the bound address ("mcp-warden: listening on http://127.0.0.1:N/mcp").
    url = await waitForLine(handle, /listening on (http:\/\/\S+)/, 20_000);
  } catch (err) {
    await handle.stop();
    throw new Error(`mcp-warden serve did not start: ${err.message}\n${handle.stderrLines.join('\n')}`);
  }
  const stop = async () => {
    await handle.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return { ...handle, url, dir, stop };
}
