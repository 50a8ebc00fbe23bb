/**
 * The chain head in the log: nothing in the database shows that its newest rows were cut off and its
 * recorded head set back (docs/audit.md, Tamper evidence), but a head kept elsewhere does, checked with
 * `audit verify --expect SEQ:HASH`. The recorder tells this the head after each commit of its writer;
 * an info line `audit chain head` (seq, hash, and both as --expect takes them) goes out at most every
 * periodMs while the head moves (the first at once), and at shutdown if it moved since the last line.
 */
import type { Logger } from '../log/logger.js';
import type { ChainHead } from './writer-worker.js';

export class ChainHeadLog {
  private latest: ChainHead | undefined;
  private logged: ChainHead | undefined;
  private loggedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly periodMs: number,
    private readonly logger: Logger | undefined,
  ) {}

  /** The writer committed: the chain's head is now `head`. */
  moved(head: ChainHead): void {
    if (this.periodMs <= 0 || this.logger === undefined) return;
    this.latest = head;
    if (this.timer !== undefined) return;
    const wait = this.loggedAt + this.periodMs - performance.now();
    if (wait <= 0) return this.log();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.log();
    }, wait);
    this.timer.unref();
  }

  /** At shutdown (the writer's last commit reported): the head, if it moved since the last line. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.log();
  }

  private log(): void {
    const head = this.latest;
    // (seq 0: no row yet, nothing to expect)
    if (head === undefined || head.seq === 0 || (head.seq === this.logged?.seq && head.hash === this.logged.hash)) return;
    this.logged = head;
    this.loggedAt = performance.now();
    this.logger!.info({ seq: head.seq, hash: head.hash, expect: `${head.seq}:${head.hash}` }, 'audit chain head');
  }
}
