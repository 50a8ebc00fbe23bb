/**
 * The log level of serve and wrap: log.level from warden.yaml when the file sets it, else
 * $MCP_WARDEN_LOG_LEVEL (the container image sets it), else info. The variable used to be ignored
 * by both commands (the schema defaulted log.level to info, and that default always won), so
 * `docker run -e MCP_WARDEN_LOG_LEVEL=debug` changed nothing. A level pino does not know is refused
 * with a message naming the variable (exit 3). Real `wrap` processes.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir, TEST_BACKEND } from './helpers/proxy.js';

/** Runs wrap with its stdin closed at once (it exits 0): exit code and stderr. */
function wrap(env: Record<string, string>, options: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, [CLI, 'wrap', '--no-audit', '--policy', 'allow-all', ...options, '--', process.execPath, TEST_BACKEND], {
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: '', ...env },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdin.end();
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stderr })));
}

const INFO_LINE = '"msg":"policy loaded"';

describe('log level', () => {
  it('defaults to info', async () => {
    const run = await wrap({});
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(INFO_LINE);
  });

  it('MCP_WARDEN_LOG_LEVEL applies when the config does not set log.level', async () => {
    const quiet = await wrap({ MCP_WARDEN_LOG_LEVEL: 'warn' });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain(INFO_LINE);
    const dir = await tempDir();
    const file = join(dir, 'warden.yaml');
    await writeFile(file, 'audit: { enabled: false }\n');
    expect((await wrap({ MCP_WARDEN_LOG_LEVEL: 'warn' }, ['--config', file])).stderr).not.toContain(INFO_LINE);
  });

  it("the config's log.level wins over the variable", async () => {
    const dir = await tempDir();
    const file = join(dir, 'warden.yaml');
    await writeFile(file, 'log: { level: info }\naudit: { enabled: false }\n');
    const run = await wrap({ MCP_WARDEN_LOG_LEVEL: 'silent' }, ['--config', file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(INFO_LINE);
  });

  it('an unknown level in the variable is refused with exit 3, naming it', async () => {
    const run = await wrap({ MCP_WARDEN_LOG_LEVEL: 'verbose' });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("mcp-warden: MCP_WARDEN_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got 'verbose'\n");
  });
});
