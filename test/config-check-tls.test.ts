/**
 * `mcp-warden config check` reads and checks the TLS files as `serve` does at start (server.tls
 * and each backend's tls): a file that is missing, damaged, or a key that does not belong to its
 * certificate fails the check with exit 3 and serve's own line naming the setting and the file;
 * good files pass. Paths are relative to the config file's folder.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir } from './helpers/proxy.js';
import { copyTls } from './helpers/tls.js';

async function check(yaml: string, keyMode = 0o600): Promise<{ status: number | null; stderr: string; dir: string }> {
  const dir = await tempDir();
  copyTls(dir, 'server.pem', 'server.key', 'server2.key', 'ca.pem', 'client.pem', 'client.key');
  // Private keys owner-only, as deployed (readable by everyone is a warning: test secret-file-modes).
  for (const key of ['server.key', 'server2.key', 'client.key']) chmodSync(join(dir, key), keyMode);
  const file = join(dir, 'warden.yaml');
  writeFileSync(file, yaml);
  const run = spawnSync(process.execPath, [CLI, 'config', 'check', file], { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stderr: run.stderr.replaceAll(file, 'warden.yaml'), dir };
}

const backend = (tls: string) => `backends:\n  - { name: b, transport: streamable-http, url: "https://10.0.0.5/mcp", tls: ${tls} }\n`;

describe('config check reads the TLS files as serve does', { timeout: 60_000 }, () => {
  it('server.tls: a key that does not belong to the certificate, a missing client CA: exit 3 naming the file', async () => {
    const mismatch = await check(`server: { tls: { certFile: server.pem, keyFile: server2.key } }\n${backend('{}')}`);
    expect(mismatch).toMatchObject({ status: 3, stderr: `mcp-warden: server.tls.keyFile ${join(mismatch.dir, 'server2.key')}: does not match the certificate in ${join(mismatch.dir, 'server.pem')} (the first certificate there must be the one this key belongs to)\n` });
    const noCa = await check(`server: { tls: { certFile: server.pem, keyFile: server.key, caFile: clients-ca.pem } }\n${backend('{}')}`);
    expect(noCa).toMatchObject({ status: 3, stderr: `mcp-warden: server.tls.caFile ${join(noCa.dir, 'clients-ca.pem')}: cannot read file: no such file\n` });
  });

  it('backends[].tls: a missing CA file: exit 3 naming the setting and the file', async () => {
    const run = await check(backend('{ caFile: nope.pem }'));
    expect(run).toMatchObject({ status: 3, stderr: `mcp-warden: backends[0].tls.caFile ${join(run.dir, 'nope.pem')}: cannot read file: no such file\n` });
  });

  it('good files: ok', async () => {
    const run = await check(`server: { tls: { certFile: server.pem, keyFile: server.key, caFile: ca.pem } }\n${backend('{ caFile: ca.pem, certFile: client.pem, keyFile: client.key }')}`);
    expect(run).toMatchObject({ status: 0, stderr: 'warden.yaml: ok (1 backend)\n' });
  });

  it('good files, private keys readable by everyone (0644): ok, with a warning line per key', async () => {
    const run = await check(`server: { tls: { certFile: server.pem, keyFile: server.key } }\n${backend('{ certFile: client.pem, keyFile: client.key }')}`, 0o644);
    expect(run.status).toBe(0);
    expect(run.stderr.split('\n')).toEqual([
      `warden.yaml: warning: server.tls.keyFile ${join(run.dir, 'server.key')}: it is readable by every user (mode 0644): any user of this host can read the key; chmod o-r ${join(run.dir, 'server.key')} (a Kubernetes Secret volume: defaultMode: 0400)`,
      `warden.yaml: warning: backends[0].tls.keyFile ${join(run.dir, 'client.key')}: it is readable by every user (mode 0644): any user of this host can read the key; chmod o-r ${join(run.dir, 'client.key')} (a Kubernetes Secret volume: defaultMode: 0400)`,
      'warden.yaml: ok (1 backend)',
      '',
    ]);
  });
});
