/**
 * Certificate rotation without restart: server.tls's files are watched (config/file-watch.ts, as
 * the keys file and the policy are); a change, once the files have been quiet for a moment, is read
 * and checked as at startup and, when good, becomes the listener's secure context: connections made
 * from then on get the new certificate, open ones keep theirs. Files that are not good (half
 * written, a key that does not match the certificate) change nothing: the previous certificate is
 * still served and an error names the file; the next change tries again. So do files that became
 * writable by other users (tls-material.ts checks each file's permissions as at startup): the
 * previous certificate and key stay in force, an error names the file and the fix; a new key
 * readable by everyone is taken, with a warning.
 *
 * Besides the watches, each file's path is stat-polled (fs.watchFile, every pollMs): a watch
 * follows the file a symlink pointed to when it was set up, so a symlink swapped to a new target
 * while the old one stays in place (a `..data` link in a Kubernetes Secret volume, a `current`
 * release link) gives it no event; the poll sees the path's new inode. No reload ever throws out
 * of its timer (that would end the process): anything unexpected is logged as a refusal.
 */
import { unwatchFile, watchFile, type StatsListener } from 'node:fs';
import type tls from 'node:tls';
import type { ServerTlsConfig } from '../../config/tls.js';
import { FileWatch } from '../../config/file-watch.js';
import type { Logger } from '../../log/logger.js';
import { loadServerTls, TlsFileError, validityProblem, type ServerTlsMaterial, type TlsFileWarning } from './tls-material.js';

export const TLS_SETTLE_MS = 250;
/** How often each file's path is stat-polled besides the watches. */
export const TLS_POLL_MS = 10_000;

export class ServerTlsRotation {
  private readonly watches: FileWatch[];
  private timer: NodeJS.Timeout | undefined;
  private current: string;
  /** The digest of files already refused, or the text of the last read failure: said once. */
  private lastRefused: string | undefined;
  private closed = false;
  /** The paths stat-polled (fs.watchFile). */
  private readonly polled: string[];
  private readonly onStat: StatsListener = (now, before) => {
    if (now.ino !== before.ino || now.dev !== before.dev || now.mtimeMs !== before.mtimeMs || now.ctimeMs !== before.ctimeMs || now.size !== before.size) this.changed();
  };

  constructor(
    private readonly config: ServerTlsConfig,
    private readonly baseDir: string,
    inForce: ServerTlsMaterial,
    private readonly apply: (context: tls.SecureContextOptions) => void,
    private readonly logger: Logger,
    private readonly settleMs = TLS_SETTLE_MS,
    pollMs = TLS_POLL_MS,
  ) {
    this.current = inForce.digest;
    const onProblem = (at: string, err: Error) => logger.warn({ path: at, err: err.message }, 'tls: cannot watch a certificate file: a new certificate there is not seen until restart');
    this.watches = inForce.files.map((file) => new FileWatch(file, () => this.changed(), onProblem));
    this.polled = inForce.files;
    for (const file of this.polled) watchFile(file, { persistent: false, interval: pollMs }, this.onStat);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watches) w.close();
    for (const file of this.polled) unwatchFile(file, this.onStat);
  }

  private changed(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reloadSafely(), this.settleMs);
    this.timer.unref();
  }

  /** In a timer: an exception here would end the process, serving nothing at all. */
  private reloadSafely(): void {
    try {
      this.reload();
    } catch (err) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (this.lastRefused === reason) return;
      this.lastRefused = reason;
      this.logger.error({ reason }, 'tls: new certificate files not used, still serving the previous certificate: unexpected error');
    }
  }

  private reload(): void {
    if (this.closed) return;
    let material: ServerTlsMaterial;
    const warnings: TlsFileWarning[] = [];
    try {
      material = loadServerTls(this.config, this.baseDir, (w) => warnings.push(w));
    } catch (err) {
      if (!(err instanceof TlsFileError)) throw err;
      if (this.lastRefused === err.message) return;
      this.lastRefused = err.message;
      this.logger.error({ setting: err.setting, file: err.file, reason: err.reason }, `tls: new certificate files not used, still serving the previous certificate: ${err.message}`);
      return;
    }
    if (material.digest === this.current) {
      // The files in force again (a change undone, or the last step of a rotation that failed half way): a later refusal is news.
      this.lastRefused = undefined;
      return;
    }
    if (material.digest === this.lastRefused) return;
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
    const problem = validityProblem({ notBefore: material.notBefore, notAfter: material.certificate.notAfter }, Date.now());
    if (problem !== undefined) this.logger.warn({ serial: material.certificate.serial, notBefore: material.notBefore, notAfter: material.certificate.notAfter }, `tls: ${problem}`);
    for (const w of warnings) this.logger.warn({ setting: w.setting, file: w.file }, `tls: ${w.setting} ${w.file}: ${w.reason}`);
  }
}
