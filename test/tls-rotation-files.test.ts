/**
 * ServerTlsRotation and loadServerTls on their own (no serve process), for what the end-to-end
 * rotation test does not reach: Kubernetes-style Secret volumes (the files are symlinks through a
 * `..data` symlink that is swapped to a new folder, with or without the old folder removed), a
 * certificate that parses but whose dates cannot be read (a TlsFileError, never an exception out of
 * the rotation's timer, which would end the process), an expired or not yet valid certificate
 * (warned about, at rotation as at start), and a refusal said again after the files were good in
 * between.
 */
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../src/log/logger.js';
import type { ServerTlsConfig } from '../src/config/tls.js';
import { loadServerTls, TlsFileError, validityProblem } from '../src/transport/http/tls-material.js';
import { ServerTlsRotation } from '../src/transport/http/tls-rotation.js';
import { tempDir } from './helpers/proxy.js';
import { copyTls, pem } from './helpers/tls.js';
import { until } from './helpers/wait.js';

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

/** server.pem with one digit of its notAfter replaced by a letter: still a certificate, its date unreadable ("Bad time value"). */
function badTimeCertificate(): string {
  const der = Buffer.from(pem('server.pem').replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
  const at = der.indexOf(Buffer.from([0x18, 0x0f])); // GeneralizedTime, 15 bytes: notAfter (2126)
  expect(at).toBeGreaterThan(0);
  der[at + 2 + 8] = 0x58; // 'X' in the hour
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const config: ServerTlsConfig = { certFile: 'tls.crt', keyFile: 'tls.key', minVersion: 'TLSv1.2' };

describe('server.tls rotation: files, links and dates', { timeout: 30_000 }, () => {
  const rotations: ServerTlsRotation[] = [];
  afterEach(() => {
    for (const r of rotations.splice(0)) r.close();
  });
  function rotate(dir: string, lines: Line[], applied: string[], pollMs?: number): ServerTlsRotation {
    const inForce = loadServerTls(config, dir);
    const r = new ServerTlsRotation(config, dir, inForce, (context) => applied.push(String(context.cert)), recordingLogger(lines), 50, pollMs);
    rotations.push(r);
    return r;
  }

  /** A Kubernetes Secret volume as kubelet writes it: ..<timestamp>/ folders, ..data -> the current one, tls.crt -> ..data/tls.crt. */
  function secretVolume(dir: string) {
    let n = 0;
    return (cert: string, key: string, removeOld: boolean) => {
      const folder = `..2026_11_25_00_00_0${++n}`;
      mkdirSync(join(dir, folder));
      copyTls(join(dir, folder), [cert, 'tls.crt'], [key, 'tls.key']);
      const data = join(dir, '..data');
      let old: string | undefined;
      try {
        old = readlinkSync(data);
      } catch {
        old = undefined;
      }
      symlinkSync(folder, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), data);
      if (old === undefined) for (const f of ['tls.crt', 'tls.key']) symlinkSync(join('..data', f), join(dir, f));
      if (old !== undefined && removeOld) rmSync(join(dir, old), { recursive: true });
    };
  }

  it('a Secret volume updated as kubelet does (..data swapped, old folder removed): each new certificate is used', async () => {
    const dir = await tempDir();
    const publish = secretVolume(dir);
    publish('server.pem', 'server.key', true);
    const lines: Line[] = [];
    const applied: string[] = [];
    rotate(dir, lines, applied);
    publish('server2.pem', 'server2.key', true);
    await until(() => applied.length === 1, 'the first new certificate to be applied');
    expect(applied[0]).toBe(pem('server2.pem'));
    publish('server.pem', 'server.key', true);
    await until(() => applied.length === 2, 'the second new certificate to be applied');
    expect(applied[1]).toBe(pem('server.pem'));
  });

  it('a symlink swapped to a new folder while the old one stays: the new certificate is still seen', async () => {
    const dir = await tempDir();
    const publish = secretVolume(dir);
    publish('server.pem', 'server.key', true);
    const lines: Line[] = [];
    const applied: string[] = [];
    rotate(dir, lines, applied, 100);
    publish('server2.pem', 'server2.key', false);
    await until(() => applied.length === 1, 'the new certificate to be applied');
    expect(applied[0]).toBe(pem('server2.pem'));
    expect(lines.filter((l) => l.level === 'info').map((l) => l.fields.serial)).toEqual(['1002']);
  });

  it('a certificate whose dates cannot be read: a TlsFileError naming the file at start, an error line at rotation (the process goes on)', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'tls.crt'), badTimeCertificate());
    copyTls(dir, ['server.key', 'tls.key']);
    expect(() => loadServerTls(config, dir)).toThrow(TlsFileError);
    expect(() => loadServerTls(config, dir)).toThrow(/server\.tls\.certFile .*tls\.crt: .*validity/);

    copyTls(dir, ['server.pem', 'tls.crt']);
    const lines: Line[] = [];
    const applied: string[] = [];
    rotate(dir, lines, applied);
    writeFileSync(join(dir, 'tls.crt.tmp'), badTimeCertificate());
    renameSync(join(dir, 'tls.crt.tmp'), join(dir, 'tls.crt'));
    await until(() => lines.some((l) => l.level === 'error'), 'an error line');
    expect(lines.find((l) => l.level === 'error')!.fields).toMatchObject({ setting: 'server.tls.certFile', file: join(dir, 'tls.crt') });
    expect(applied).toEqual([]);
    // Good files again are used: the rotation is still alive.
    copyTls(dir, ['server2.pem', 'tls.crt'], ['server2.key', 'tls.key']);
    await until(() => applied.length === 1, 'the good certificate to be applied');
  });

  it('an expired or not yet valid certificate is warned about when it comes into force', async () => {
    expect(validityProblem({ notBefore: '2020-01-01T00:00:00.000Z', notAfter: '2021-01-01T00:00:00.000Z' }, Date.now())).toMatch(/expired/);
    expect(validityProblem({ notBefore: '2100-01-01T00:00:00.000Z', notAfter: '2126-01-01T00:00:00.000Z' }, Date.now())).toMatch(/not valid before/);
    expect(validityProblem({ notBefore: '2020-01-01T00:00:00.000Z', notAfter: '2126-01-01T00:00:00.000Z' }, Date.now())).toBeUndefined();

    const dir = await tempDir();
    copyTls(dir, ['server.pem', 'tls.crt'], ['server.key', 'tls.key']);
    const lines: Line[] = [];
    const applied: string[] = [];
    rotate(dir, lines, applied);
    copyTls(dir, ['expired.key', 'tls.key'], ['expired.pem', 'tls.crt']);
    await until(() => applied.length === 1, 'the expired certificate to be applied');
    await until(() => lines.some((l) => l.level === 'warn'), 'a warning');
    expect(lines.find((l) => l.level === 'warn')).toMatchObject({ fields: { serial: '1003', notAfter: '2021-01-01T00:00:00.000Z' }, msg: expect.stringMatching(/expired on 2021-01-01.*clients will refuse it/) });
    copyTls(dir, ['future.key', 'tls.key'], ['future.pem', 'tls.crt']);
    await until(() => lines.some((l) => l.level === 'warn' && l.fields.serial === '1004'), 'a warning for the not yet valid one');
    expect(lines.find((l) => l.fields.serial === '1004' && l.level === 'warn')!.msg).toMatch(/not valid before 2100-01-01/);
  });

  it('a refusal is said again after good files came back in between', async () => {
    const dir = await tempDir();
    copyTls(dir, ['server.pem', 'tls.crt'], ['server.key', 'tls.key']);
    const lines: Line[] = [];
    const applied: string[] = [];
    rotate(dir, lines, applied);
    const errors = () => lines.filter((l) => l.level === 'error').length;
    copyTls(dir, ['server2.key', 'tls.key']); // mismatch
    await until(() => errors() === 1, 'the first refusal');
    copyTls(dir, ['server.key', 'tls.key']); // the files in force again: nothing to do
    await new Promise((r) => setTimeout(r, 400));
    copyTls(dir, ['server2.key', 'tls.key']); // the same mismatch, later: said again
    await until(() => errors() === 2, 'the second refusal');
    expect(applied).toEqual([]);
  });
});
