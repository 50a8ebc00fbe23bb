/**
 * Whoever can write the keys file can add a key for any client with any roles (keys are just
 * sha256 hashes in it). `mcp-warden keys` writes it 0600 in a 0700 directory, but nothing checked a
 * file or directory made otherwise: a world-writable keys file, or one in a directory anyone may
 * rename files in, was trusted. Such a file is now refused: at startup the server does not start
 * (exit 3, naming the file and the fix), and when it becomes so while running its keys stop working
 * until it is fixed (fail closed). The real `serve`, a real keys file, real HTTP.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/identity/api-keys.js';
import { writeKeysFile } from '../src/identity/keys-file.js';
import { CLI, startServe, TEST_BACKEND, waitFor, type ServeProcess } from './helpers/proxy.js';
import { runsUnless } from './helpers/skip-reason.js';

const KEY = generateApiKey();
const posix = typeof process.geteuid === 'function';

function config(keysFile: string): string {
  return `
server: { host: 127.0.0.1 }
backends:
  - { name: t, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
auth: { keysFile: ${JSON.stringify(keysFile)} }
policy: { paths: [allow-all], watch: false }
audit: { enabled: false }
`;
}

/** Runs `serve` expecting it to refuse to start; resolves with its exit code and stderr. */
function serveRefused(dir: string, keysFile: string): Promise<{ code: number | null; stderr: string }> {
  const file = join(dir, `warden-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, config(keysFile));
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, 'serve', '--config', file, '--port', '0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Started after all: stop it so the test reports the failure instead of hanging.
      if (stderr.includes('listening on')) proc.kill('SIGTERM');
    });
    proc.on('exit', (code) => resolve({ code, stderr }));
  });
}

function writeKeys(file: string): void {
  writeKeysFile(file, [{ id: 'k_trust', hash: hashApiKey(KEY), client: 'trusted', roles: [] }]);
}

describe.runIf(runsUnless('identity-keys-file-trust', posix ? undefined : `owner and mode checks are for POSIX hosts (this is ${process.platform})`))('keys file trust', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-keys-trust-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a keys file anyone may write: serve refuses to start, naming the file and the fix', async () => {
    const sub = join(dir, 'world-file');
    mkdirSync(sub, { mode: 0o700 });
    const keys = join(sub, 'keys.yaml');
    writeKeys(keys);
    chmodSync(keys, 0o666);
    const { code, stderr } = await serveRefused(dir, keys);
    expect(stderr).not.toContain('listening on');
    expect(code).toBe(3);
    expect(stderr).toContain(keys);
    expect(stderr).toContain('writable by others (mode 0666)');
    expect(stderr).toContain('chmod 600');
  });

  it('a keys file in a directory anyone may rename files in (no sticky bit): refused too', async () => {
    const sub = join(dir, 'world-dir');
    mkdirSync(sub);
    chmodSync(sub, 0o777);
    const keys = join(sub, 'keys.yaml');
    writeKeys(keys);
    const { code, stderr } = await serveRefused(dir, keys);
    expect(code).toBe(3);
    expect(stderr).toContain(`its directory ${sub} is writable by others (mode 0777)`);
  });

  describe('while serving', () => {
    let serve: ServeProcess;
    let keys: string;
    beforeAll(async () => {
      const sub = join(dir, 'runtime');
      mkdirSync(sub, { mode: 0o700 });
      keys = join(sub, 'keys.yaml');
      writeKeys(keys);
      serve = await startServe(config(keys));
    });
    afterAll(async () => {
      await serve?.stop();
    });

    const initialize = () =>
      fetch(serve.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': KEY },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });

    it('made world-writable: its keys are refused until it is owner-only again', async () => {
      expect((await initialize()).status).toBe(200);
      chmodSync(keys, 0o666);
      let refused: Response | undefined;
      await waitFor(async () => ((refused = await initialize()), refused.status === 401), 30_000, 'the key to be refused');
      expect(await refused!.json()).toMatchObject({ error: { message: 'API key could not be checked (keys file unreadable)' } });
      // Logged (pino writes asynchronously).
      await waitFor(() => serve.stderr().includes('writable by others (mode 0666)'), 30_000, 'the refusal in the log');
      chmodSync(keys, 0o600);
      await waitFor(async () => (await initialize()).status === 200, 30_000, 'the key to work again');
    });
  });
});
