/**
 * A backend's client certificate and CA (backends[].tls) rotated without restart: its files are
 * watched and reloaded by TlsFileRotation (tls-file-rotation.ts, as server.tls's are); good new
 * files go to the backend's BackendTlsAgent, so connections made from then on present the new
 * certificate and trust the new CA, and `tls: backend TLS files in force` names the certificate.
 * Files that are not good change nothing: the backend's connections keep using the previous files,
 * and an error names the setting and the file; so do files other users may write (tls-material.ts).
 */
import type { BackendTlsConfig } from '../../config/tls.js';
import type { Logger } from '../../log/logger.js';
import type { BackendTlsAgent } from './backend-tls-agent.js';
import { loadBackendTls, type BackendTlsMaterial, type TlsFileWarning } from './tls-material.js';
import { TlsFileRotation, TLS_POLL_MS, TLS_SETTLE_MS } from './tls-file-rotation.js';

export class BackendTlsRotation {
  private readonly rotation: TlsFileRotation<BackendTlsMaterial>;

  constructor(
    backend: string,
    config: BackendTlsConfig,
    baseDir: string,
    /** The setting, e.g. backends[2].tls. */
    setting: string,
    inForce: BackendTlsMaterial,
    agent: BackendTlsAgent,
    logger: Logger,
    settleMs = TLS_SETTLE_MS,
    pollMs = TLS_POLL_MS,
  ) {
    // The last load's weak-permission warnings, said once its files are in force.
    let warnings: TlsFileWarning[] = [];
    this.rotation = new TlsFileRotation<BackendTlsMaterial>(
      inForce,
      {
        load: () => {
          warnings = [];
          return loadBackendTls(config, baseDir, setting, (w) => warnings.push(w));
        },
        apply: (material) => agent.setMaterial(material),
        inForce: (material) => {
          logger.info({ backend, setting, ...(material.certificate === undefined ? {} : { certificate: material.certificate }) }, 'tls: backend TLS files in force for new connections');
          const notAfter = material.certificate?.notAfter;
          if (notAfter !== undefined && Date.parse(notAfter) < Date.now()) logger.warn({ backend, setting, notAfter }, `tls: ${setting}.certFile: the client certificate expired on ${notAfter}: the backend will refuse it`);
          for (const w of warnings) logger.warn({ backend, setting: w.setting, file: w.file }, `tls: ${w.setting} ${w.file}: ${w.reason}`);
        },
        messages: {
          notUsed: `tls: new ${setting} files not used, backend ${backend} is still connected to with the previous ones`,
          notUsable: `tls: new ${setting} files not usable, backend ${backend} is still connected to with the previous ones`,
          cannotWatch: `tls: cannot watch a ${setting} file: a new one there is not seen until restart`,
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
