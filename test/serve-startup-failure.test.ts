/**
 * `serve` that cannot start exits with its code, instead of printing the error and living on. A
 * port already in use printed "cannot listen on ..." and then the process stayed up, not listening
 * (the audit writer thread and the policy watch kept it alive), so the documented exit code 4 never
 * came and a supervisor (systemd's Restart=on-failure) saw a running service. `serve --no-http`
 * without stdio said "nothing to serve" and hung the same way. Real processes; the old code never
 * exits (the wait below ends only in the test's timeout). The same for an auth section that cannot
 * work (a keys file that does not parse, a JWT public key that cannot be read): the error, then no
 * exit 3, since the policy and audit wired before the authenticator were left open.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, tempDir } from './helpers/proxy.js';

const started = new Set<ReturnType<typeof spawn>>();

function serve(args: string[], cwd: string, command = 'serve'): Promise<{ code: number | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' };
  delete env.MCP_WARDEN_API_KEY;
  const proc = spawn(process.execPath, [CLI, command, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  started.add(proc);
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stderr })));
}

// One that did not exit (the old code) is not left running.
afterEach(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  started.clear();
});

describe('serve startup failures exit', () => {
  let busy: net.Server;
  let port: number;
  beforeAll(async () => {
    busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    port = (busy.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => busy.close(() => r())));

  it('a port in use: the error, then exit 4 (audit on, policy watched)', async () => {
    const dir = await tempDir();
    const run = await serve(['--port', String(port)], dir);
    expect(run.stderr).toContain(`mcp-warden: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`);
    expect(run.code).toBe(4);
    expect(existsSync(join(dir, 'data/audit.db'))).toBe(true); // it had opened the audit, and closed it
  }, 60_000);

  it('--no-http without --stdio: exit 2 before opening anything', async () => {
    const dir = await tempDir();
    const run = await serve(['--no-http'], dir);
    expect(run).toEqual({ code: 2, stderr: 'mcp-warden: nothing to serve: enable the HTTP frontend or server.stdio (--stdio)\n' });
    expect(existsSync(join(dir, 'data'))).toBe(false);
  }, 60_000);

  it.each([
    ['a keys file that does not parse', 'auth: { keysFile: keys.yaml }', /keys file .*keys\.yaml: invalid YAML/],
    ['a JWT public key that cannot be read', 'auth: { jwt: { publicKey: missing.pem, audience: aud } }', /auth\.jwt\.publicKey: cannot read .*missing\.pem: ENOENT/],
  ])('%s: the error, then exit 3 (audit on, policy watched)', async (_what, auth, error) => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'keys.yaml'), 'keys: [ {id: x');
    writeFileSync(join(dir, 'warden.yaml'), `backends: [{ name: demo, transport: stdio, command: node, args: [x.js] }]\n${auth}\n`);
    const run = await serve(['--config', 'warden.yaml', '--port', '0'], dir);
    expect(run.stderr).toMatch(error);
    expect(run.code).toBe(3);
    expect(existsSync(join(dir, 'data/audit.db'))).toBe(true); // the audit had been opened, and was closed
  }, 60_000);
  it.each([
    ['wrap', ['--config', 'warden.yaml', '--', 'node', 'x.js']],
    ['serve', ['--config', 'warden.yaml', '--stdio', '--port', '0']],
  ])('%s whose stdio client is refused (API keys configured, no stdio key): the error, then exit 3', async (command, args) => {
    const dir = await tempDir();
    const hash = `sha256:${'0'.repeat(64)}`;
    writeFileSync(join(dir, 'warden.yaml'), `backends: [{ name: demo, transport: stdio, command: node, args: [x.js] }]\nauth: { apiKeys: [{ id: k1, hash: "${hash}", client: a }] }\n`);
    // Before the fix: the error, then no exit (the audit writer and the policy watch wire() opened, and serve's listener, stayed open).
    const run = await serve(args, dir, command);
    expect(run.stderr).toContain('mcp-warden: stdio client rejected: authentication required');
    expect(run.code).toBe(3);
    expect(existsSync(join(dir, 'data/audit.db'))).toBe(true); // the audit had been opened, and was closed
  }, 60_000);
});
