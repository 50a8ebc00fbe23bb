/**
 * TLS files put in force without restart, for any set of them (server.tls's, each backend's
 * backends[].tls): the files are watched (config/file-watch.ts, as the keys file and the policy
 * are); a change, once the files have been quiet for a moment, is read and checked by the owner's
 * load() as at startup and, when good and new, handed to its apply(). Files that are not good (half
 * written, a key that does not match its certificate) change nothing: the material in force stays
 * and an error names the file; the same refusal is said once, and the next change tries again.
 *
 * Besides the watches, each file's path is stat-polled (fs.watchFile, every pollMs): a watch
 * follows the file a symlink pointed to when it was set up, so a symlink swapped to a new target
 * while the old one stays in place (a `..data` link in a Kubernetes Secret volume, a `current`
 * release link) gives it no event; the poll sees the path's new inode. No reload ever throws out
 * of its timer (that would end the process): anything unexpected is logged as a refusal.
 */
import { unwatchFile, watchFile, type StatsListener } from 'node:fs';
import { FileWatch } from '../../config/file-watch.js';
import type { Logger } from '../../log/logger.js';
import { TlsFileError } from './tls-material.js';

export const TLS_SETTLE_MS = 250;
/** How often each file's path is stat-polled besides the watches. */
export const TLS_POLL_MS = 10_000;

/** What a reload reads: the files it came from and a digest of their contents (the same files give the same digest). */
export interface TlsFilesRead {
  files: string[];
  digest: string;
}

export interface TlsFileOwner<M extends TlsFilesRead> {
  /** Reads and checks the files: a TlsFileError when they are not good. */
  load(): M;
  /** Puts good new material in force; throwing refuses it. */
  apply(material: M): void;
  /** Logs what is in force now (called after apply). */
  inForce(material: M): void;
  /** Log line texts: files not good (the TlsFileError's message follows), material not usable, a file that cannot be watched. */
  messages: { notUsed: string; notUsable: string; cannotWatch: string };
}

export class TlsFileRotation<M extends TlsFilesRead> {
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
    inForce: TlsFilesRead,
    private readonly owner: TlsFileOwner<M>,
    private readonly logger: Logger,
    private readonly settleMs = TLS_SETTLE_MS,
    pollMs = TLS_POLL_MS,
  ) {
    this.current = inForce.digest;
    const onProblem = (at: string, err: Error) => logger.warn({ path: at, err: err.message }, owner.messages.cannotWatch);
    this.watches = inForce.files.map((file) => new FileWatch(file, () => this.changed(), onProblem));
    this.polled = inForce.files;
    for (const file of this.polled) watchFile(file, { persistent: false, interval: pollMs }, this.onStat);
    // A poll's first stat is its baseline, taken on another thread: files swapped between their
    // read (inForce) and that stat would never look changed. One read after the first poll sees
    // them (the same files again change nothing: same digest).
    this.timer = setTimeout(() => this.changed(), pollMs);
    this.timer.unref();
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

  /** In a timer: an exception here would end the process. */
  private reloadSafely(): void {
    try {
      this.reload();
    } catch (err) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (this.lastRefused === reason) return;
      this.lastRefused = reason;
      this.logger.error({ reason }, `${this.owner.messages.notUsed}: unexpected error`);
    }
  }

  private reload(): void {
    if (this.closed) return;
    let material: M;
    try {
      material = this.owner.load();
    } catch (err) {
      if (!(err instanceof TlsFileError)) throw err;
      if (this.lastRefused === err.message) return;
      this.lastRefused = err.message;
      this.logger.error({ setting: err.setting, file: err.file, reason: err.reason }, `${this.owner.messages.notUsed}: ${err.message}`);
      return;
    }
    if (material.digest === this.current) {
      // The files in force again (a change undone, or the last step of a rotation that failed half way): a later refusal is news.
      this.lastRefused = undefined;
      return;
    }
    if (material.digest === this.lastRefused) return;
    try {
      this.owner.apply(material);
    } catch (err) {
      this.lastRefused = material.digest;
      this.logger.error({ file: material.files[0], reason: (err as Error).message }, this.owner.messages.notUsable);
      return;
    }
    this.current = material.digest;
    this.lastRefused = undefined;
    this.owner.inForce(material);
  }
}
