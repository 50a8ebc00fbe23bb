/**
 * `echo '<initialize>' | mcp-warden wrap -- nonexistent-command` exits 127, as documented (README,
 * docs/proxy.md: 127 when the command cannot be found), whether the client's end of input or the
 * backend's failure to start is handled first. It exited 0: the spawn error and stdin's EOF were
 * read in one turn of the event loop, and the shutdown for the end of input (exit 0) ran before the
 * one the backend's exit had scheduled (127). With stdin held open it was 127. Real wrap processes,
 * stdin closed at once; run several times because which of the two comes first depends on timing.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/proxy.js';

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'eof', version: '1' } } };

/** Runs wrap on a command that does not exist, writes `input` and closes stdin at once. */
function wrapMissing(input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'wrap', '--no-audit', '--', 'nonexistent-command-xyz-mcp-warden'], {
      cwd: ROOT,
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'error' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`wrap did not exit; stderr:\n${stderr}`));
    }, 60_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    proc.stdin.end(input);
  });
}

describe('wrap: a command that cannot be found, the client closing stdin at once', () => {
  it('exits 127 every time, after answering the initialize with why', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await wrapMissing(`${JSON.stringify(INIT)}\n`);
      expect(r.stderr).toContain("mcp-warden: cannot start 'nonexistent-command-xyz-mcp-warden'");
      expect({ run: i, code: r.code }).toEqual({ run: i, code: 127 });
      const answer = JSON.parse(r.stdout.split('\n')[0]!) as { id: number; error?: { message: string } };
      expect(answer.id).toBe(1);
      expect(answer.error?.message).toContain('spawn nonexistent-command-xyz-mcp-warden ENOENT');
    }
  }, 240_000);
});
