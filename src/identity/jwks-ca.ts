/**
 * auth.jwt.jwksCaFile: the CA certificate(s) the JWKS server's certificate must chain to, read and
 * checked at start. The file's permissions follow the rule of every TLS file (shared/file-trust.ts):
 * one any other user can write (or replace in its directory) is refused, since whoever can write it
 * chooses which server may hand mcp-warden its token signing keys; writable by the group is a
 * warning, given to `warn`. A file that holds no readable certificate is refused too. Every error is a
 * JwtConfigError naming the setting and the file.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileTrust, trustFix } from '../shared/file-trust.js';
import { JwtConfigError } from './jwt-config-error.js';

const SETTING = 'auth.jwt.jwksCaFile';
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The CA file's PEM text, its permissions and certificates checked; warnings (weaker than it should be) go to `warn`. */
export function loadJwksCa(file: string, baseDir: string, warn?: (text: string) => void): string {
  const path = resolve(baseDir, file);
  const fail = (reason: string): never => {
    throw new JwtConfigError(`${SETTING} ${path}: ${reason}`);
  };
  let trust;
  try {
    trust = fileTrust(path, { name: 'it' });
  } catch (err) {
    // Not stat()able (a loop of links, a directory we may not search): the read below says why.
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!['ELOOP', 'EACCES', 'ENOTDIR', 'ENOENT'].includes(code)) fail(`cannot check its permissions: ${code || String(err)}`);
  }
  if (trust?.refused !== undefined) {
    fail(`refused: ${trust.refused}: whoever can write it chooses which server may hand out the token signing keys; fix: ${trustFix(path, trust.refused)}`);
  }
  for (const reason of trust?.warnings ?? []) warn?.(`${SETTING} ${path}: ${reason}`);
  let pem = '';
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(`cannot read file: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, not a file' : (code ?? String(err))}`);
  }
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) fail('no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)');
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch {
      fail(`certificate ${i + 1} is not a valid X.509 certificate (truncated or damaged?)`);
    }
  });
  return pem;
}
