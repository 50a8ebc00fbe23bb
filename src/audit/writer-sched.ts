/**
 * The writer thread's scheduling policy on Linux (audit.writerIdle): SCHED_IDLE while it keeps up,
 * so that it runs only in the gaps the call path leaves and the scheduler treats its core as idle
 * when a client, a backend or the proxy wakes up; normal scheduling (SCHED_OTHER at its nice value)
 * while it is far behind, so that a host kept busy by other processes cannot starve it until
 * back-pressure stops the calls. The policy is set on this thread's id with util-linux `chrt`;
 * without it (not Linux, no chrt, not permitted) the thread keeps its niceness only.
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';

/**
 * Rows behind (at most; a tenth of maxQueue when that is less) beyond which the writer leaves
 * SCHED_IDLE: about four batches of a busy stdio session, so a burst keeps it idle and a sustained
 * load does not.
 */
const BEHIND_ROWS = 2000;
/** Least time in normal scheduling once left SCHED_IDLE: a switch spawns `chrt`, so they stay rare. */
const NORMAL_MS = 2000;

export class WriterScheduling {
  private tid: string | undefined;
  private idle = false;
  /** When the thread last left SCHED_IDLE (performance.now()). */
  private normalSince = 0;
  /** Rows behind beyond which the thread leaves SCHED_IDLE; it goes back once at a quarter of it. */
  private readonly behindRows: number;

  constructor(
    wanted: boolean,
    maxQueue: number,
    /** Least time in normal scheduling (tests shorten it). */
    private readonly normalMs = NORMAL_MS,
  ) {
    this.behindRows = Math.max(1, Math.min(BEHIND_ROWS, Math.floor(maxQueue / 10)));
    if (!wanted) return;
    try {
      this.tid = readlinkSync('/proc/thread-self').split('/').pop();
    } catch {
      return;
    }
    this.set(true);
  }

  /** Called with how many journal rows are not committed yet. */
  update(behind: number): void {
    if (this.tid === undefined) return;
    if (this.idle) {
      if (behind > this.behindRows) this.set(false);
    } else if (behind <= this.behindRows >> 2 && performance.now() - this.normalSince >= this.normalMs) {
      this.set(true);
    }
  }

  private set(idle: boolean): void {
    try {
      execFileSync('chrt', [idle ? '--idle' : '--other', '--pid', '0', this.tid!], { stdio: 'ignore', timeout: 5000 });
      this.idle = idle;
      if (!idle) this.normalSince = performance.now();
    } catch {
      // No chrt, or not permitted: leave the policy as it is from now on.
      this.tid = undefined;
    }
  }
}
