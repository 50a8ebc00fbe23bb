/**
 * serve's warden.yaml reloaded while serving, for what can change without a restart: today
 * auth.clientCertificates (the mapping of verified client certificates to clients). The file is
 * watched (config/file-watch.ts, as the keys file and the policy are) and read again once its
 * events have been quiet for a moment, and on SIGHUP (which reloads the policy too). The whole file
 * is read and validated as at start, its permissions too (cli/config-trust.ts): a file that does not
 * validate, or that other users may write, changes nothing; the mapping in force is kept and an
 * error line names the problems, one per key, as serve would say them at start. Changes to any
 * other setting are not applied: a warn line names the sections that changed (they take effect at
 * the next start).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClientCertificateEntry } from '../config/client-certificates.js';
import { FileWatch } from '../config/file-watch.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { WardenConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { checkConfigFile } from './config-trust.js';

/** Quiet time after the file's last event before it is read (an editor or a deploy tool writing it in steps). */
const SETTLE_MS = 150;

/** Each section's settings as text, auth without clientCertificates: what a reload compares to say what it did not apply. */
export function sectionTexts(config: WardenConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(config)) {
    out.set(key, JSON.stringify(key === 'auth' ? { ...(value as object), clientCertificates: undefined } : value));
  }
  return out;
}

export interface ConfigReloadOptions {
  /** The config file, absolute. */
  file: string;
  /** sectionTexts of the file as read at start (before command-line overrides). */
  sections: Map<string, string>;
  /** auth.clientCertificates in force at start. */
  clientCertificates: readonly ClientCertificateEntry[];
  /** Puts a new mapping in force; throws (nothing changed) when it cannot be. */
  applyClientCertificates: (entries: readonly ClientCertificateEntry[]) => void;
  logger: Logger;
}

export class ConfigReload {
  private readonly watch: FileWatch;
  private timer: NodeJS.Timeout | undefined;
  /** sha256 of the text last read: a watch event that changed nothing (touch, chmod) reloads nothing. */
  private lastText: string | undefined;
  /** The sections as in force (read at start): what a reload's file is compared with. */
  private readonly sections: Map<string, string>;
  private entries: string;
  private closed = false;

  constructor(private readonly options: ConfigReloadOptions) {
    this.sections = options.sections;
    this.entries = JSON.stringify(options.clientCertificates);
    this.lastText = this.textDigest();
    this.watch = new FileWatch(options.file, this.changed, (at, err, started) =>
      options.logger.warn({ path: at, err: err.message }, started ? 'config file watch error (reload with SIGHUP)' : 'cannot watch the config file (reload with SIGHUP)'),
    );
    process.on('SIGHUP', this.onSighup);
  }

  close(): void {
    this.closed = true;
    this.watch.close();
    if (this.timer) clearTimeout(this.timer);
    process.off('SIGHUP', this.onSighup);
  }

  private readonly changed = (): void => {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const digest = this.textDigest();
      if (digest === undefined || digest === this.lastText) return;
      this.reload('file changed');
    }, SETTLE_MS);
    this.timer.unref();
  };

  private readonly onSighup = (): void => {
    this.reload('SIGHUP');
  };

  private textDigest(): string | undefined {
    try {
      return createHash('sha256').update(readFileSync(this.options.file)).digest('hex');
    } catch {
      return undefined; // gone for a moment (replaced by rename): its next event reads it
    }
  }

  /** Reads and validates the file; puts its auth.clientCertificates in force, or keeps the mapping in force and says why. */
  reload(trigger: string): void {
    if (this.closed) return;
    const { file, logger } = this.options;
    this.lastText = this.textDigest();
    let config: WardenConfig;
    try {
      config = loadConfigFile(file).config;
      checkConfigFile(file, config);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      logger.error({ file, trigger, problems }, `config reload refused, auth.clientCertificates in force kept: ${problems.join('; ')}`);
      return;
    }
    const entries = config.auth.clientCertificates;
    const text = JSON.stringify(entries);
    if (text !== this.entries) {
      try {
        this.options.applyClientCertificates(entries);
      } catch (err) {
        logger.error({ file, trigger, problems: [(err as Error).message] }, `config reload refused, auth.clientCertificates in force kept: ${(err as Error).message}`);
        return;
      }
      this.entries = text;
      logger.info({ file, trigger, clientCertificates: entries.length }, 'config reloaded: auth.clientCertificates in force');
    } else {
      logger.info({ file, trigger }, 'config reloaded: auth.clientCertificates unchanged');
    }
    const next = sectionTexts(config);
    const changed = [...new Set([...next.keys(), ...this.sections.keys()])].filter((k) => next.get(k) !== this.sections.get(k));
    if (changed.length > 0) {
      logger.warn({ file, sections: changed }, `config reloaded: changes to ${changed.join(', ')} are not applied while serving (only auth.clientCertificates is); they take effect at the next start`);
    }
  }
}
