/**
 * TLS material read from PEM files, checked before use so that a bad file is named: the server's
 * certificate, key and client CA (server.tls), and an https backend's CA and client certificate
 * (backends[].tls, for its https.Agent: backend-tls-agent.ts). A key that does not match its
 * certificate, a file that is not PEM, an encrypted key: each a TlsFileError naming the setting and
 * the file. Key contents never reach an error or a log line. Each file's permissions are checked
 * before it is read (shared/file-trust.ts): one any other user can write (or replace in its
 * directory) is a TlsFileError too, whoever can write it chooses the key or the certificates in
 * use; a private key readable by every user is a warning, given to the caller's `warn`.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import tls from 'node:tls';
import type { BackendTlsConfig, ServerTlsConfig } from '../../config/tls.js';
import { fileTrust, trustFix } from '../../shared/file-trust.js';

export class TlsFileError extends Error {
  constructor(
    /** The setting, e.g. server.tls.certFile. */
    readonly setting: string,
    /** The file's absolute path. */
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${setting} ${file}: ${reason}`);
    this.name = 'TlsFileError';
  }
}

/** What may be logged about a certificate (never its key). */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  serial: string;
  notAfter: string;
}

export interface ServerTlsMaterial {
  /** For tls.createSecureContext / server.setSecureContext. */
  context: tls.SecureContextOptions;
  certificate: CertificateSummary;
  /** The certificate's notBefore (ISO), for validityProblem with certificate.notAfter. */
  notBefore: string;
  /** Whether clients must present a certificate (caFile set). */
  requestCert: boolean;
  /** The files read, absolute. */
  files: string[];
  /** A digest of the files' contents: the same files read again give the same one. */
  digest: string;
}

/** A file that is used, but weaker protected than it should be (said at start and at rotation). */
export interface TlsFileWarning {
  setting: string;
  file: string;
  reason: string;
}

export type TlsWarn = (warning: TlsFileWarning) => void;

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Refuses a file others may write (TlsFileError naming the fix); its warnings go to `warn`. A private
 * key (`secret`) readable by everyone is a warning: a Kubernetes Secret is mounted 0644 by default.
 */
function checkTrust(setting: string, file: string, secret: boolean, warn: TlsWarn | undefined): void {
  let trust;
  try {
    trust = fileTrust(file, { secret, name: 'it' });
  } catch (err) {
    // Not stat()able (a loop of links, a directory we may not search): the read reports it.
    if (['ELOOP', 'EACCES', 'ENOTDIR', 'ENOENT'].includes((err as NodeJS.ErrnoException).code ?? '')) return;
    throw new TlsFileError(setting, file, `cannot check its permissions: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (trust.refused !== undefined) {
    const what = secret ? 'the private key this server uses' : 'the certificates this server trusts or shows';
    throw new TlsFileError(setting, file, `refused: ${trust.refused}: whoever can write it chooses ${what}; fix: ${trustFix(file, trust.refused)}`);
  }
  for (const reason of trust.warnings) {
    const fix = reason.includes('readable by every user') ? `: any user of this host can read the key; chmod o-r ${file} (a Kubernetes Secret volume: defaultMode: 0400)` : '';
    warn?.({ setting, file, reason: `${reason}${fix}` });
  }
}

function readPem(setting: string, file: string, secret = false, warn?: TlsWarn): string {
  checkTrust(setting, file, secret, warn);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, not a file' : (code ?? String(err));
    throw new TlsFileError(setting, file, `cannot read file: ${why}`);
  }
}

/** Every certificate of a PEM file (a chain or a CA bundle), at least one. */
function parseCertificates(setting: string, file: string, pem: string): X509Certificate[] {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw new TlsFileError(setting, file, 'no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new TlsFileError(setting, file, `certificate ${i + 1} is not a valid X.509 certificate (truncated or damaged?)`);
    }
  });
}

function parseKey(setting: string, file: string, pem: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new TlsFileError(setting, file, 'is an encrypted private key: give an unencrypted one, protected by the file permissions');
  }
  try {
    const key = createPrivateKey(pem);
    if (key.type !== 'private') throw new Error('not private');
    return key;
  } catch {
    // The library's message is left out: nothing of the key's text goes anywhere.
    throw new TlsFileError(setting, file, 'no valid PEM private key in it (truncated or damaged?)');
  }
}

/** A certificate's validity dates as ISO strings; dates OpenSSL cannot read ("Bad time value") are a damaged certificate. */
function validity(setting: string, file: string, cert: X509Certificate): { notBefore: string; notAfter: string } {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw new TlsFileError(setting, file, 'the certificate\'s validity dates cannot be read (damaged certificate?)');
  return { notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString() };
}

function summary(cert: X509Certificate, notAfter: string): CertificateSummary {
  return { subject: cert.subject.replace(/\n/g, ', '), issuer: cert.issuer.replace(/\n/g, ', '), serial: cert.serialNumber, notAfter };
}

/**
 * What is wrong with a certificate's validity period at `now`, or undefined. OpenSSL serves an
 * expired or not yet valid certificate all the same, and clients refuse it: said as a warning (at
 * start and at each rotation), not refused, since the certificate in force may be no better.
 */
export function validityProblem(dates: { notBefore: string; notAfter: string }, now: number): string | undefined {
  if (Date.parse(dates.notAfter) < now) return `the certificate expired on ${dates.notAfter}: clients will refuse it`;
  if (Date.parse(dates.notBefore) > now) return `the certificate is not valid before ${dates.notBefore}: clients will refuse it until then (a clock out of step?)`;
  return undefined;
}

/** A certificate file and its key, checked to belong together. */
function certAndKey(prefix: string, certFile: string, keyFile: string, warn: TlsWarn | undefined): { cert: string; key: string; leaf: X509Certificate } {
  const cert = readPem(`${prefix}.certFile`, certFile, false, warn);
  const key = readPem(`${prefix}.keyFile`, keyFile, true, warn);
  const leaf = parseCertificates(`${prefix}.certFile`, certFile, cert)[0]!;
  const keyObject = parseKey(`${prefix}.keyFile`, keyFile, key);
  if (!leaf.checkPrivateKey(keyObject)) throw new TlsFileError(`${prefix}.keyFile`, keyFile, `does not match the certificate in ${certFile} (the first certificate there must be the one this key belongs to)`);
  return { cert, key, leaf };
}

/** server.tls read and checked: what the listener serves, or a TlsFileError; weak permissions go to `warn`. */
export function loadServerTls(config: ServerTlsConfig, baseDir: string, warn?: TlsWarn): ServerTlsMaterial {
  const certFile = resolve(baseDir, config.certFile);
  const keyFile = resolve(baseDir, config.keyFile);
  const caFile = config.caFile === undefined ? undefined : resolve(baseDir, config.caFile);
  const { cert, key, leaf } = certAndKey('server.tls', certFile, keyFile, warn);
  const ca = caFile === undefined ? undefined : readPem('server.tls.caFile', caFile, false, warn);
  if (ca !== undefined) parseCertificates('server.tls.caFile', caFile!, ca);
  const context: tls.SecureContextOptions = { cert, key, minVersion: config.minVersion, ...(ca === undefined ? {} : { ca }) };
  try {
    tls.createSecureContext(context);
  } catch (err) {
    throw new TlsFileError('server.tls.certFile', certFile, `not usable with its key: ${(err as Error).message}`);
  }
  const digest = createHash('sha256').update(cert).update('\0').update(key).update('\0').update(ca ?? '').digest('hex');
  const { notBefore, notAfter } = validity('server.tls.certFile', certFile, leaf);
  return { context, certificate: summary(leaf, notAfter), notBefore, requestCert: ca !== undefined, files: [certFile, keyFile, ...(caFile === undefined ? [] : [caFile])], digest };
}

/** A backend's TLS files (backends[<index>].tls) as read: what its connections present and trust. */
export interface BackendTlsMaterial {
  /** ca, cert and key as PEM text, each only when configured. */
  options: { ca?: string; cert?: string; key?: string };
  /** The client certificate shown to the backend, when one is. */
  certificate?: CertificateSummary;
  /** The files read, absolute. */
  files: string[];
  /** A digest of the files' contents: the same files read again give the same one. */
  digest: string;
}

/** backends[<index>].tls read and checked (`setting` names it in errors): its CA, its client certificate and key, or a TlsFileError; weak permissions go to `warn`. */
export function loadBackendTls(config: BackendTlsConfig, baseDir: string, setting: string, warn?: TlsWarn): BackendTlsMaterial {
  const options: BackendTlsMaterial['options'] = {};
  const files: string[] = [];
  let certificate: CertificateSummary | undefined;
  if (config.caFile !== undefined) {
    const caFile = resolve(baseDir, config.caFile);
    options.ca = readPem(`${setting}.caFile`, caFile, false, warn);
    parseCertificates(`${setting}.caFile`, caFile, options.ca);
    files.push(caFile);
  }
  if (config.certFile !== undefined && config.keyFile !== undefined) {
    const certFile = resolve(baseDir, config.certFile);
    const keyFile = resolve(baseDir, config.keyFile);
    const { cert, key, leaf } = certAndKey(setting, certFile, keyFile, warn);
    options.cert = cert;
    options.key = key;
    certificate = summary(leaf, validity(`${setting}.certFile`, certFile, leaf).notAfter);
    files.push(certFile, keyFile);
  }
  const digest = createHash('sha256').update(options.ca ?? '').update('\0').update(options.cert ?? '').update('\0').update(options.key ?? '').digest('hex');
  return { options, ...(certificate === undefined ? {} : { certificate }), files, digest };
}
