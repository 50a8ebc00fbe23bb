/**
 * Rate limiting of refusal log lines (config log.refusals). A client hammering with a bad key, a
 * forged Host, or requests over its session's flow limits made one log line per request (two for a
 * revoked key: the authenticator's and the frontend's), so anyone who could reach the port could
 * fill the disk. Lines are grouped by a key the caller builds from what repeats (the message, the
 * reason, the client or address): the first `burst` of a key in an interval are logged as before,
 * the rest only counted, and when the interval ends one summary line says how many were left out
 * (`<message>: N more like it suppressed`, with the first line's fields, `suppressed` and
 * `intervalMs`), as does close() for the counts still open (shutdown). Nothing else is dropped:
 * the audit still records every request it recorded before, and each summary carries the count.
 *
 * At most MAX_KEYS keys are tracked in an interval; lines of further keys (a client rotating
 * addresses) share one key per message, so the table stays bounded too.
 */
import type { Logger } from './logger.js';

export interface RefusalLogOptions {
  /** Lines logged per key and interval before the rest are counted. */
  burst: number;
  /** Length of the interval, in ms. */
  intervalMs: number;
}

export const DEFAULT_REFUSAL_LOG: RefusalLogOptions = { burst: 10, intervalMs: 60_000 };

const MAX_KEYS = 1000;

type Level = 'info' | 'warn';

interface Entry {
  logger: Logger;
  level: Level;
  msg: string;
  /** The first line's fields, repeated on the summary. */
  fields: Record<string, unknown>;
  since: number;
  logged: number;
  suppressed: number;
}

export class RefusalLog {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly options: RefusalLogOptions = DEFAULT_REFUSAL_LOG) {}

  /** Logs a refusal line unless its key already had `burst` lines in this interval (then counts it). */
  log(logger: Logger, level: Level, key: string, fields: Record<string, unknown>, msg: string, now = Date.now()): void {
    let entry = this.entries.get(key);
    if (entry !== undefined && now - entry.since >= this.options.intervalMs) {
      this.summarize(entry);
      this.entries.delete(key);
      entry = undefined;
    }
    if (entry === undefined) {
      // Past MAX_KEYS distinct keys in an interval, new ones share one key per message.
      const shared = `${msg}\0(many keys)`;
      if (this.entries.size >= MAX_KEYS && key !== shared) {
        this.log(logger, level, shared, fields, msg, now);
        return;
      }
      entry = { logger, level, msg, fields, since: now, logged: 0, suppressed: 0 };
      this.entries.set(key, entry);
      this.arm();
    }
    if (entry.logged < this.options.burst) {
      entry.logged++;
      logger[level](fields, msg);
    } else {
      entry.suppressed++;
    }
  }

  /** Summaries of the intervals that have ended (the timer's pass; tests may call it). */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.since < this.options.intervalMs) continue;
      this.summarize(entry);
      this.entries.delete(key);
    }
    if (this.entries.size === 0) this.disarm();
  }

  /** Writes the summaries still open (at shutdown) and forgets every key. */
  close(): void {
    for (const entry of this.entries.values()) this.summarize(entry);
    this.entries.clear();
    this.disarm();
  }

  private summarize(entry: Entry): void {
    if (entry.suppressed === 0) return;
    entry.logger[entry.level]({ ...entry.fields, suppressed: entry.suppressed, intervalMs: this.options.intervalMs }, `${entry.msg}: ${entry.suppressed} more like it suppressed`);
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    // A summary comes at most a quarter of an interval (and at most 1 s) after its interval ends.
    this.timer = setInterval(() => this.sweep(), Math.max(10, Math.min(Math.floor(this.options.intervalMs / 4), 1000)));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
