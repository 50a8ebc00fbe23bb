/**
 * File permission checks on the files mcp-warden trusts (shared/file-trust.ts): a TLS private key,
 * certificate or CA bundle, or the keys file, that another user can write (or replace in a
 * directory others may write without the sticky bit) is refused, at start (`serve` exits 3), in
 * `mcp-warden config check` (exit 3) and at a certificate rotation (the previous certificate stays
 * in force, an error names the file and `chmod go-w FILE`); a private key readable by everyone
 * (0644: what umask 022 gives, and Kubernetes' default Secret mode) is used, with a warning. A
 * Kubernetes-style Secret volume (files linked through a `..data` link, in a sticky 1777 volume
 * root) passes. warden.yaml itself: others may write it, refused; holding a credential written into
 * it (audit.chainKey rather than ${NAME}) and readable by everyone, a warning. Real files, real
 * modes, the real CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../src/log/logger.js';
import type { ServerTlsConfig } from '../src/config/tls.js';
import { fileTrust } from '../src/shared/file-trust.js';
import { loadServerTls, TlsFileError } from '../src/transport/http/tls-material.js';
import { ServerTlsRotation } from '../src/transport/http/tls-rotation.js';
import { CLI, tempDir, TEST_BACKEND } from './helpers/proxy.js';
import { runsUnless } from './helpers/skip-reason.js';
import { copyTls } from './helpers/tls.js';
import { until } from './helpers/wait.js';

const posix = typeof process.geteuid === 'function';

interface Line {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

function recordingLogger(lines: Line[]): Logger {
  const at = (level: Line['level']) => (fields: Record<string, unknown>, msg: string) => lines.push({ level, fields, msg });
  const logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: () => undefined, child: () => logger };
  return logger as unknown as Logger;
}

/** A Kubernetes Secret volume: a 1777 root, ..<timestamp>/ with the files (0644), ..data -> it, tls.key -> ..data/tls.key. */
function secretVolume(dir: string): string {
  const root = join(dir, 'secret');
  mkdirSync(root);
  chmodSync(root, 0o1777);
  const folder = join(root, '..2026_11_25_00_00_01');
  mkdirSync(folder, { mode: 0o755 });
  copyTls(folder, ['server.pem', 'tls.crt'], ['server.key', 'tls.key']);
  chmodSync(join(folder, 'tls.crt'), 0o644);
  chmodSync(join(folder, 'tls.key'), 0o644);
  symlinkSync('..2026_11_25_00_00_01', join(root, '..data'));
  for (const f of ['tls.crt', 'tls.key']) symlinkSync(join('..data', f), join(root, f));
  return root;
}

const tlsConfig: ServerTlsConfig = { certFile: 'server.pem', keyFile: 'server.key', minVersion: 'TLSv1.2' };

describe.runIf(runsUnless('secret-file-modes', posix ? undefined : `file modes are POSIX (this is ${process.platform})`))('secret file permissions', { timeout: 60_000 }, () => {
  describe('fileTrust', () => {
    it('owner-only: nothing to say; readable by everyone: a warning for a secret only; writable by others: refused', async () => {
      const dir = await tempDir();
      const file = join(dir, 'k.pem');
      writeFileSync(file, 'x');
      chmodSync(file, 0o600);
      expect(fileTrust(file, { secret: true })).toEqual({ warnings: [] });
      chmodSync(file, 0o644);
      expect(fileTrust(file, { secret: true })).toEqual({ warnings: [`${file} is readable by every user (mode 0644)`] });
      expect(fileTrust(file)).toEqual({ warnings: [] });
      chmodSync(file, 0o664);
      expect(fileTrust(file).warnings).toEqual([`${file} is writable by its group (mode 0664)`]);
      chmodSync(file, 0o646);
      expect(fileTrust(file).refused).toBe(`${file} is writable by others (mode 0646)`);
    });

    it('a directory others may write: refused without the sticky bit, passed with it', async () => {
      const dir = await tempDir();
      const open = join(dir, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      const file = join(open, 'k.pem');
      writeFileSync(file, 'x', { mode: 0o600 });
      expect(fileTrust(file).refused).toBe(`its directory ${open} is writable by others (mode 0777)`);
      chmodSync(open, 0o1777);
      expect(fileTrust(file)).toEqual({ warnings: [] });
    });

    it('a symbolic link: the target is checked, and the directories of the link and of the target', async () => {
      const dir = await tempDir();
      const volume = secretVolume(dir);
      const key = join(volume, 'tls.key');
      expect(fileTrust(key, { secret: true })).toEqual({ warnings: [`${key} is readable by every user (mode 0644)`] });
      chmodSync(join(volume, '..2026_11_25_00_00_01', 'tls.key'), 0o666);
      expect(fileTrust(key, { secret: true }).refused).toBe(`${key} is writable by others (mode 0666)`);
      chmodSync(join(volume, '..2026_11_25_00_00_01', 'tls.key'), 0o644);
      chmodSync(join(volume, '..2026_11_25_00_00_01'), 0o777);
      expect(fileTrust(key, { secret: true }).refused).toBe(`its directory ${join(volume, '..2026_11_25_00_00_01')} is writable by others (mode 0777)`);
    });

    it('a missing file: nothing to say (reading it reports it)', async () => {
      expect(fileTrust(join(await tempDir(), 'nope'))).toEqual({ warnings: [] });
    });
  });

  describe('server.tls', () => {
    it('a key others may write: a TlsFileError naming the setting, the file and chmod go-w; so is a writable certificate', async () => {
      const dir = await tempDir();
      copyTls(dir, 'server.pem', 'server.key');
      chmodSync(join(dir, 'server.key'), 0o666);
      const key = join(dir, 'server.key');
      expect(() => loadServerTls(tlsConfig, dir)).toThrow(TlsFileError);
      expect(() => loadServerTls(tlsConfig, dir)).toThrow(`server.tls.keyFile ${key}: refused: it is writable by others (mode 0666): whoever can write it chooses the private key this server uses; fix: chmod go-w ${key}`);
      chmodSync(key, 0o600);
      chmodSync(join(dir, 'server.pem'), 0o646);
      expect(() => loadServerTls(tlsConfig, dir)).toThrow(`server.tls.certFile ${join(dir, 'server.pem')}: refused: it is writable by others (mode 0646)`);
    });

    it('a key readable by everyone (umask 022) is used, with a warning; a Kubernetes Secret volume through ..data links too', async () => {
      const dir = await tempDir();
      copyTls(dir, 'server.pem', 'server.key');
      chmodSync(join(dir, 'server.key'), 0o644);
      const warnings: string[] = [];
      const material = loadServerTls(tlsConfig, dir, (w) => warnings.push(`${w.setting}: ${w.reason}`));
      expect(material.certificate.subject).toContain('CN=');
      expect(warnings).toEqual([`server.tls.keyFile: it is readable by every user (mode 0644): any user of this host can read the key; chmod o-r ${join(dir, 'server.key')} (a Kubernetes Secret volume: defaultMode: 0400)`]);
      const volume = secretVolume(dir);
      const fromVolume: string[] = [];
      expect(loadServerTls({ certFile: 'tls.crt', keyFile: 'tls.key', minVersion: 'TLSv1.2' }, volume, (w) => fromVolume.push(w.setting)).digest).toBe(material.digest);
      expect(fromVolume).toEqual(['server.tls.keyFile']);
    });

    describe('rotation', () => {
      const rotations: ServerTlsRotation[] = [];
      afterEach(() => {
        for (const r of rotations.splice(0)) r.close();
      });

      it('new files others may write are not taken: the previous certificate stays, an error names the file and the fix; fixed, they are', async () => {
        const dir = await tempDir();
        copyTls(dir, 'server.pem', 'server.key');
        chmodSync(join(dir, 'server.key'), 0o600);
        const lines: Line[] = [];
        const applied: string[] = [];
        const r = new ServerTlsRotation(tlsConfig, dir, loadServerTls(tlsConfig, dir), (context) => applied.push(String(context.cert)), recordingLogger(lines), 50, 100);
        rotations.push(r);
        // A new certificate and key, the key left writable by everyone.
        copyTls(dir, ['server2.pem', 'server.pem'], ['server2.key', 'server.key']);
        chmodSync(join(dir, 'server.key'), 0o666);
        const key = join(dir, 'server.key');
        await until(() => lines.some((l) => l.level === 'error' && l.msg.includes('writable by others')), 'the refusal to be logged');
        const error = lines.find((l) => l.level === 'error' && l.msg.includes('writable by others'))!;
        expect(error.fields).toMatchObject({ setting: 'server.tls.keyFile', file: key });
        expect(error.msg).toContain('still serving the previous certificate');
        expect(error.msg).toContain(`chmod go-w ${key}`);
        expect(applied).toEqual([]);
        chmodSync(key, 0o644);
        await until(() => applied.length === 1, 'the fixed files to be taken');
        // Taken with the readable key's warning.
        expect(lines.some((l) => l.level === 'warn' && l.msg.includes('readable by every user (mode 0644)'))).toBe(true);
      });
    });
  });

  describe('the CLI', () => {
    function configFile(dir: string, yaml: string): string {
      const file = join(dir, 'warden.yaml');
      writeFileSync(file, yaml);
      return file;
    }
    const backend = `backends:\n  - { name: t, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }\npolicy: { paths: [allow-all], watch: false }\naudit: { enabled: false }\n`;

    it('config check: a TLS key or a keys file others may write is exit 3 naming the file and chmod go-w', async () => {
      const dir = await tempDir();
      copyTls(dir, 'server.pem', 'server.key');
      chmodSync(join(dir, 'server.key'), 0o606);
      const file = configFile(dir, `server: { tls: { certFile: server.pem, keyFile: server.key } }\n${backend}`);
      const tls = spawnSync(process.execPath, [CLI, 'config', 'check', file], { encoding: 'utf8', timeout: 30_000 });
      expect(tls.status).toBe(3);
      expect(tls.stderr).toContain(`server.tls.keyFile ${join(dir, 'server.key')}: refused: it is writable by others (mode 0606)`);
      expect(tls.stderr).toContain(`chmod go-w ${join(dir, 'server.key')}`);

      const keys = join(dir, 'keys.yaml');
      writeFileSync(keys, 'keys: []\n');
      chmodSync(keys, 0o666);
      const keysConfig = configFile(dir, `auth: { keysFile: keys.yaml }\n${backend}`);
      const run = spawnSync(process.execPath, [CLI, 'config', 'check', keysConfig], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(3);
      expect(run.stderr).toContain(`auth.keysFile ${keys}: refused: it is writable by others (mode 0666)`);
      expect(run.stderr).toContain(`chmod go-w ${keys}`);
      chmodSync(keys, 0o644);
      const ok = spawnSync(process.execPath, [CLI, 'config', 'check', keysConfig], { encoding: 'utf8', timeout: 30_000 });
      expect(ok).toMatchObject({ status: 0, stderr: `${keysConfig}: ok (1 backend)\n` });
    });

    it('config check: warden.yaml others may write is exit 3; one readable by everyone holding audit.chainKey written into it, a warning', async () => {
      const dir = await tempDir();
      const file = configFile(dir, backend);
      chmodSync(file, 0o666);
      const open = spawnSync(process.execPath, [CLI, 'config', 'check', file], { encoding: 'utf8', timeout: 30_000 });
      expect(open.status).toBe(3);
      expect(open.stderr).toBe(`mcp-warden: ${file}: refused: it is writable by others (mode 0666): whoever can write the config file decides who is let in and what they may do; fix: chmod go-w ${file}\n`);

      const literal = configFile(dir, backend.replace('audit: { enabled: false }', 'audit: { enabled: false, chainKey: "literal-chain-key-0123456789" }'));
      chmodSync(literal, 0o644);
      const warned = spawnSync(process.execPath, [CLI, 'config', 'check', literal], { encoding: 'utf8', timeout: 30_000 });
      expect(warned.status).toBe(0);
      expect(warned.stderr).toBe(
        `${literal}: warning: ${literal}: it is readable by every user (mode 0644) and holds audit.chainKey written into it: put it in the environment (\${NAME}), or chmod o-r ${literal}\n${literal}: ok (1 backend)\n`,
      );
      const referenced = configFile(dir, backend.replace('audit: { enabled: false }', 'audit: { enabled: false, chainKey: "${CHAIN_KEY}" }'));
      const quiet = spawnSync(process.execPath, [CLI, 'config', 'check', referenced], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, CHAIN_KEY: 'env-chain-key-0123456789' } });
      expect(quiet).toMatchObject({ status: 0, stderr: `${referenced}: ok (1 backend)\n` });
    });

    it('wrap --config: warden.yaml others may write is exit 3 before the server starts, naming the fix', async () => {
      const dir = await tempDir();
      const file = configFile(dir, 'policy: { watch: false }\naudit: { enabled: false }\n');
      chmodSync(file, 0o666);
      const marker = join(dir, 'started');
      // The wrapped command would leave a file behind if it ran.
      const run = spawnSync(process.execPath, [CLI, 'wrap', '--config', file, '--policy', 'allow-all', '--', process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`], { encoding: 'utf8', timeout: 30_000, input: '' });
      expect(run.status).toBe(3);
      expect(run.stderr).toContain(`${file}: refused: it is writable by others (mode 0666): whoever can write the config file decides who is let in and what they may do; fix: chmod go-w ${file}`);
      expect(existsSync(marker)).toBe(false);
    });

    it('config check: a Kubernetes Secret volume (0644 behind ..data links) passes, with a warning', async () => {
      const dir = await tempDir();
      const volume = secretVolume(dir);
      const file = configFile(dir, `server: { tls: { certFile: secret/tls.crt, keyFile: secret/tls.key } }\n${backend}`);
      const run = spawnSync(process.execPath, [CLI, 'config', 'check', file], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(0);
      expect(run.stderr).toContain(`${file}: warning: server.tls.keyFile ${join(volume, 'tls.key')}: it is readable by every user (mode 0644)`);
      expect(run.stderr).toContain(`${file}: ok (1 backend)`);
    });

    it('serve: a TLS key others may write: exit 3 before listening, naming the file and the fix', async () => {
      const dir = await tempDir();
      copyTls(dir, 'server.pem', 'server.key');
      chmodSync(join(dir, 'server.key'), 0o666);
      const file = configFile(dir, `server: { host: 127.0.0.1, tls: { certFile: server.pem, keyFile: server.key } }\n${backend}`);
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const proc = spawn(process.execPath, [CLI, 'serve', '--config', file, '--port', '0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        proc.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('listening on')) proc.kill('SIGTERM');
        });
        proc.on('exit', (code) => resolve({ code, stderr }));
      });
      expect(stderr).not.toContain('listening on');
      expect(code).toBe(3);
      expect(stderr).toContain(`server.tls.keyFile ${join(dir, 'server.key')}: refused: it is writable by others (mode 0666)`);
      expect(stderr).toContain(`chmod go-w ${join(dir, 'server.key')}`);
    });
  });
});
