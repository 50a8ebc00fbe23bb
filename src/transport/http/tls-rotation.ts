/**
 * Certificate rotation without restart: server.tls's files are watched (config/file-watch.ts, as
 * the keys file and the policy are); a change, once the files have been quiet for a moment, is read
 * and checked as at startup and, when good, becomes the listener's secure context: connections made
 * from then on get the new certificate, open ones keep theirs. Files that are not good (half
 * written, a key that does not match the certificate) change nothing: the previous certificate is
 * still served and an error names the file; the next change tries again.
 */
import type tls from 'node:tls';
import type { ServerTlsConfig } from '../../config/tls.js';
import { FileWatch } from '../../config/file-watch.js';
import type { Logger } from '../../log/logger.js';
import { loadServerTls, TlsFileError, type ServerTlsMaterial } from './tls-material.js';

export const TLS_SETTLE_MS = 250;

export class ServerTlsRotation {
  private readonly watches: FileWatch[];
  private timer: NodeJS.Timeout | undefined;
  private current: string;
  /** The digest of files already refused, or the text of the last read failure: said once. */
  private lastRefused: string | undefined;
  private closed = false;

  constructor(
    private readonly config: ServerTlsConfig,
    private readonly baseDir: string,
    inForce: ServerTlsMaterial,
    private readonly apply: (context: tls.SecureContextOptions) => void,
    private readonly logger: Logger,
    private readonly settleMs = TLS_SETTLE_MS,
  ) {
    this.current = inForce.digest;
    const onProblem = (at: string, err: Error) => logger.warn({ path: at, err: err.message }, 'tls: cannot watch a certificate file: a new certificate there is not seen until restart');
    this.watches = inForce.files.map((file) => new FileWatch(file, () => this.changed(), onProblem));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watches) w.close();
  }

  private changed(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), this.settleMs);
    this.timer.unref();
  }

  private reload(): void {
    if (this.closed) return;
    let material: ServerTlsMaterial;
    try {
      material = loadServerTls(this.config, this.baseDir);
    } catch (err) {
      if (!(err instanceof TlsFileError)) throw err;
      if (this.lastRefused === err.message) return;
      this.lastRefused = err.message;
      this.logger.error({ setting: err.setting, file: err.file, reason: err.reason }, `tls: new certificate files not used, still serving the previous certificate: ${err.message}`);
      return;
    }
    if (material.digest === this.current || material.digest === this.lastRefused) return;
    try {
      this.apply(material.context);
    } catch (err) {
      this.lastRefused = material.digest;
      this.logger.error({ file: material.files[0], reason: (err as Error).message }, 'tls: new certificate not usable, still serving the previous certificate');
      return;
    }
    this.current = material.digest;
    this.lastRefused = undefined;
    this.logger.info({ ...material.certificate, clientCertificates: material.requestCert }, 'tls: new certificate in force');
  }
}
