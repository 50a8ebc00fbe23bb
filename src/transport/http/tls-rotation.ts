/**
 * Certificate rotation of the listener without restart: server.tls's files watched and reloaded by
 * TlsFileRotation (tls-file-rotation.ts); good new files become the listener's secure context, so
 * connections made from then on get the new certificate (and client CA), open ones keep theirs.
 * Files that are not good change nothing: the previous certificate is still served and an error
 * names the file. So do files that became writable by other users (tls-material.ts checks each
 * file's permissions as at startup): an error names the file and the fix. A new key readable by
 * everyone is taken, with a warning; so is a new certificate outside its validity period.
 */
import type tls from 'node:tls';
import type { ServerTlsConfig } from '../../config/tls.js';
import type { Logger } from '../../log/logger.js';
import { loadServerTls, validityProblem, type ServerTlsMaterial, type TlsFileWarning } from './tls-material.js';
import { TlsFileRotation, TLS_POLL_MS, TLS_SETTLE_MS } from './tls-file-rotation.js';

export { TLS_POLL_MS, TLS_SETTLE_MS };

export class ServerTlsRotation {
  private readonly rotation: TlsFileRotation<ServerTlsMaterial>;

  constructor(config: ServerTlsConfig, baseDir: string, inForce: ServerTlsMaterial, apply: (context: tls.SecureContextOptions) => void, logger: Logger, settleMs = TLS_SETTLE_MS, pollMs = TLS_POLL_MS) {
    // The last load's weak-permission warnings, said once its files are in force.
    let warnings: TlsFileWarning[] = [];
    this.rotation = new TlsFileRotation<ServerTlsMaterial>(
      inForce,
      {
        load: () => {
          warnings = [];
          return loadServerTls(config, baseDir, (w) => warnings.push(w));
        },
        apply: (material) => apply(material.context),
        inForce: (material) => {
          logger.info({ ...material.certificate, clientCertificates: material.requestCert }, 'tls: new certificate in force');
          const problem = validityProblem({ notBefore: material.notBefore, notAfter: material.certificate.notAfter }, Date.now());
          if (problem !== undefined) logger.warn({ serial: material.certificate.serial, notBefore: material.notBefore, notAfter: material.certificate.notAfter }, `tls: ${problem}`);
          for (const w of warnings) logger.warn({ setting: w.setting, file: w.file }, `tls: ${w.setting} ${w.file}: ${w.reason}`);
        },
        messages: {
          notUsed: 'tls: new certificate files not used, still serving the previous certificate',
          notUsable: 'tls: new certificate not usable, still serving the previous certificate',
          cannotWatch: 'tls: cannot watch a certificate file: a new certificate there is not seen until restart',
        },
      },
      logger,
      settleMs,
      pollMs,
    );
  }

  close(): void {
    this.rotation.close();
  }
}
