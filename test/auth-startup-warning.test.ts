/**
 * The startup warning "every HTTP request will be refused with 401" (auth with no credential
 * configured and anonymous off) is for an HTTP frontend: `serve` says it, `wrap` (a stdio client
 * only, identified locally) does not, so its log holds no false alarm. And `serve` warns when
 * anonymous clients are allowed on a listener bound beyond loopback (the Host check stops browsers,
 * not a client that writes its own Host header): the container's demo config is such a case. Real
 * CLI processes.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CLI, ROOT, startServe, tempDir } from './helpers/proxy.js';

const WARNING = 'every HTTP request will be refused with 401';
const EXPOSED = 'auth.anonymous is true and server.host is not a loopback address';
const BACKEND = join(ROOT, 'test/servers/raw-audit-backend.mjs');

describe('auth startup warning', () => {
  it('wrap: answers over stdio and logs no HTTP 401 warning', async () => {
    const wrap = spawn(process.execPath, [CLI, 'wrap', '--policy', 'allow-all', '--no-audit', '--', process.execPath, BACKEND], {
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'info' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    wrap.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    wrap.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    wrap.stdin.end('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n');
    await new Promise((resolve) => wrap.once('close', resolve));
    expect(stdout).toContain('"id":1');
    expect(stderr).toContain('auth: client identification configured');
    expect(stderr).not.toContain(WARNING);
  });

  it('serve: warns when nothing identifies HTTP clients', async () => {
    const serve = await startServe(`backends:\n  - name: demo\n    transport: stdio\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(BACKEND)}]\npolicy: { paths: [allow-all], watch: false }\naudit: { enabled: false }\n`);
    try {
      expect(serve.stderr()).toContain(WARNING);
    } finally {
      await serve.stop();
    }
  });

  it('serve: warns when anonymous clients are allowed on a non-loopback bind address, not on loopback', async () => {
    const yaml = (host: string) =>
      `server: { host: ${JSON.stringify(host)} }\nbackends:\n  - name: demo\n    transport: stdio\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(BACKEND)}]\nauth: { anonymous: true }\npolicy: { paths: [allow-all], watch: false }\naudit: { enabled: false }\n`;
    const exposed = await startServe(yaml('0.0.0.0'));
    try {
      await vi.waitFor(() => expect(exposed.stderr()).toContain(EXPOSED), { timeout: 10_000, interval: 20 });
      expect(exposed.stderr()).toMatch(/"host":"0\.0\.0\.0"/);
    } finally {
      await exposed.stop();
    }
    const local = await startServe(yaml('127.0.0.1'));
    await local.stop(); // its whole log, flushed at shutdown
    expect(local.stderr()).toContain('listening on');
    expect(local.stderr()).not.toContain(EXPOSED);
  });

  it('serve: the startup line says how many API keys it loaded (a count, not "[redacted]")', async () => {
    // The logger redacts any field named apiKeys (it may hold key hashes); the count was logged under that name.
    const dir = await tempDir();
    const keysFile = join(dir, 'keys.yaml');
    const hash = (n: number) => `sha256:${String(n).repeat(64)}`;
    await writeFile(keysFile, `keys:\n  - { id: k_a, hash: "${hash(1)}", client: a }\n  - { id: k_b, hash: "${hash(2)}", client: b }\n`, { mode: 0o600 });
    const serve = await startServe(
      `backends:\n  - name: demo\n    transport: stdio\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(BACKEND)}]\nauth:\n  keysFile: ${JSON.stringify(keysFile)}\n  apiKeys: [{ id: inline, hash: "${hash(3)}", client: c }]\npolicy: { paths: [allow-all], watch: false }\naudit: { enabled: false }\n`,
    );
    await serve.stop();
    const line = serve.stderr().split('\n').find((l) => l.includes('auth: client identification configured'));
    expect(JSON.parse(line!)).toMatchObject({ apiKeyCount: 3, keysFile });
  });
});
