/**
 * `mcp-warden config check` reads and checks the TLS files as `serve` does at start (server.tls
 * and each backend's tls): a file that is missing, damaged, or a key that does not belong to its
 * certificate fails the check with exit 3 and serve's own line naming the setting and the file;
 * good files pass. Paths are relative to the config file's folder.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir } from './helpers/proxy.js';
import { copyTls } from './helpers/tls.js';

async function check(yaml: string): Promise<{ status: number | null; stderr: string; dir: string }> {
  const dir = await tempDir();
  copyTls(dir, 'server.pem', 'server.key', 'server2.key', 'ca.pem', 'client.pem', 'client.key');
  const file = join(dir, 'warden.yaml');
  writeFileSync(file, yaml);
  const run = spawnSync(process.execPath, [CLI, 'config', 'check', file], { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stderr: run.stderr.replace(file, 'warden.yaml'), dir };
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
});
