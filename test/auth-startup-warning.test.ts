/**
 * The startup warning "every HTTP request will be refused with 401" (auth with no credential
 * configured and anonymous off) is for an HTTP frontend: `serve` says it, `wrap` (a stdio client
 * only, identified locally) does not, so its log holds no false alarm. Real CLI processes.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, startServe } from './helpers/proxy.js';

const WARNING = 'every HTTP request will be refused with 401';
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
});
