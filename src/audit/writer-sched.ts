/**
 * The writer thread's scheduling policy on Linux (audit.writerIdle): SCHED_IDLE while it keeps up,
 * so that it runs only in the gaps the call path leaves and the scheduler treats its core as idle
 * when a client, a backend or the proxy wakes up; normal scheduling (SCHED_OTHER at its nice value)
 * while it is far behind, so that a host kept busy by other processes cannot starve it until
 * back-pressure stops the calls. A SCHED_IDLE thread gets next to no CPU while the host is busy
 * with other processes, so it cannot always notice it is behind: the proxy's thread watches how
 * long the oldest posted batch waits and moves this thread to normal scheduling itself
 * (leaveIdle(), by thread id) when a batch waits too long, and before the last flush at shutdown.
 * The policy is set on the thread's id by the native addon (native/thread_sched.c:
 * sched_setscheduler, no process forked: a fork from the proxy copies its page tables and makes its
 * next writes copy-on-write faults), else with util-linux `chrt`; without either (not Linux, no
 * chrt, not permitted) the thread keeps its niceness only. SCHED_IDLE is entered only where it can be left:
 * an unprivileged thread may enter it, but leaves it only with CAP_SYS_NICE or an RLIMIT_NICE that
 * allows its nice value (a container's non-root user usually has neither), and a writer that could
 * not leave it would be starved for good on a busy host. The thread id is the one this process's
 * pid namespace gives the thread (what chrt, run from here, means by it), which is not the one
 * /proc names when /proc is another namespace's (`unshare --pid` without `--mount-proc`).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { journalAddon } from './mapped-journal.js';

/** The addon's scheduling calls (native/thread_sched.c), unless absent (an addon built before them) or MCP_WARDEN_SCHED_CHRT=1. */
function schedAddon(): { setThreadPolicy(tid: number, idle: boolean): boolean; canLeaveIdle(): boolean } | undefined {
  if (process.env.MCP_WARDEN_SCHED_CHRT === '1') return undefined;
  const addon = journalAddon().addon as { setThreadPolicy?: (tid: number, idle: boolean) => boolean; canLeaveIdle?: () => boolean } | undefined;
  return addon?.setThreadPolicy !== undefined && addon.canLeaveIdle !== undefined ? (addon as ReturnType<typeof schedAddon>) : undefined;
}

/**
 * Rows behind (at most; a tenth of maxQueue when that is less) beyond which the writer leaves
 * SCHED_IDLE. Behind counts the rows posted before the batch at hand and not committed yet, never
 * that batch itself: a busy session's 50 ms batch holds more than this (2,500 rows at 50,000
 * calls/s), and a writer that commits each before the next arrives keeps up however large they are.
 */
const BEHIND_ROWS = 2000;
/** Least time in normal scheduling once left SCHED_IDLE: a switch spawns `chrt`, so they stay rare. */
const NORMAL_MS = 2000;
/** Longest least time in normal scheduling: it doubles each time the thread was found starved. */
const MAX_NORMAL_MS = 60_000;

/**
 * Moves thread `tid` of this process to normal scheduling (from any thread): synchronously (at
 * shutdown), or in the background with `done` called on success.
 */
export function leaveIdle(tid: string, done?: () => void): boolean {
  const native = schedAddon();
  if (native !== undefined) {
    const ok = native.setThreadPolicy(Number(tid), false);
    if (ok && done !== undefined) done();
    return ok;
  }
  const args = ['--other', '--pid', '0', tid];
  if (done === undefined) {
    try {
      execFileSync('chrt', args, { stdio: 'ignore', timeout: 5000 });
      return true;
    } catch {
      return false;
    }
  }
  execFile('chrt', args, { timeout: 5000 }, (err) => err === null && done());
  return true;
}

/**
 * The calling thread's id in this process's pid namespace: the last of the NSpid line of its
 * status (one number per pid namespace, from /proc's down to the thread's own); without NSpid (a
 * kernel before 4.1), /proc's number when /proc is this namespace's (it names this process by its
 * pid), else undefined.
 */
export function ownThreadId(): string | undefined {
  try {
    const ids = /^NSpid:\s*(.+)$/m.exec(readFileSync('/proc/thread-self/status', 'utf8'))?.[1]?.trim().split(/\s+/);
    if (ids !== undefined && ids.length > 0) return ids[ids.length - 1];
    if (readlinkSync('/proc/self') !== String(process.pid)) return undefined;
    return readlinkSync('/proc/thread-self').split('/').pop();
  } catch {
    return undefined;
  }
}

/**
 * Whether this thread may leave SCHED_IDLE once in it: a child of this thread (same user,
 * capabilities, limits and nice value) is moved into SCHED_IDLE and back by chrt run from here, as
 * the proxy's thread moves this one. The child is only a target (it need not run), and every chrt
 * runs in normal scheduling: a process run under SCHED_IDLE on a busy host would take seconds. The
 * native addon does the same on a thread it makes, moved by its id while it sleeps (it never runs
 * under SCHED_IDLE: test audit-writer-sched-starved).
 */
function canLeaveIdle(): boolean {
  const native = schedAddon();
  if (native !== undefined) return native.canLeaveIdle();
  let target: ChildProcess;
  try {
    target = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  } catch {
    return false;
  }
  target.once('error', () => undefined);
  target.unref();
  try {
    if (target.pid === undefined) return false;
    execFileSync('chrt', ['--idle', '--pid', '0', String(target.pid)], { stdio: 'ignore', timeout: 5000 });
    execFileSync('chrt', ['--other', '--pid', '0', String(target.pid)], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  } finally {
    target.kill('SIGKILL');
  }
}

export class WriterScheduling {
  private tid: string | undefined;
  private idle = false;
  /** When the thread last left SCHED_IDLE (performance.now()). */
  private normalSince = 0;
  /** Rows behind beyond which the thread leaves SCHED_IDLE; it goes back once at a quarter of it. */
  private readonly behindRows: number;
  /** A chrt moving this thread out of SCHED_IDLE is running (started by leave()). */
  private leaving = false;

  constructor(
    wanted: boolean,
    maxQueue: number,
    /** Least time in normal scheduling (tests shorten it). */
    private normalMs = NORMAL_MS,
    /** Told each time the thread's policy changes (the recorder watches an idle writer for starvation). */
    private readonly onChange?: (tid: string, idle: boolean) => void,
  ) {
    this.behindRows = Math.max(1, Math.min(BEHIND_ROWS, Math.floor(maxQueue / 10)));
    if (!wanted) return;
    this.tid = ownThreadId();
    if (this.tid === undefined) return;
    if (!canLeaveIdle()) {
      this.tid = undefined;
      return;
    }
    this.set(true);
  }

  /** Called with how many journal rows are not committed yet. */
  update(behind: number): void {
    if (this.tid === undefined) return;
    if (this.idle) {
      if (behind > this.behindRows && !this.leaving) this.leave();
    } else if (behind <= this.behindRows >> 2 && performance.now() - this.normalSince >= this.normalMs) {
      this.set(true);
    }
  }

  /**
   * The proxy's thread found this one starved under SCHED_IDLE and moved it to normal scheduling
   * (leaveIdle): it stays there at least twice as long as the last time.
   */
  wokenFromStarvation(): void {
    if (this.tid === undefined || !this.idle) return;
    this.idle = false;
    this.normalSince = performance.now();
    this.normalMs = Math.min(this.normalMs * 2, MAX_NORMAL_MS);
  }

  /**
   * Moves this thread out of SCHED_IDLE without waiting: a chrt started from it runs under
   * SCHED_IDLE too (a fork keeps the policy), so on a busy host it may take seconds to run, and
   * this thread would commit nothing meanwhile, even once the proxy's thread has moved it. Not
   * waited for at exit either (unref: the thread's event loop does not stay for it).
   */
  private leave(): void {
    const tid = this.tid!;
    if (schedAddon() !== undefined) {
      // No process to wait for: a system call on the thread's id.
      this.set(false);
      return;
    }
    this.leaving = true;
    const child = spawn('chrt', ['--other', '--pid', '0', tid], { stdio: 'ignore' });
    child.unref();
    const done = (ok: boolean): void => {
      this.leaving = false;
      // Moved meanwhile by the proxy's thread (wokenFromStarvation), or given up.
      if (this.tid !== tid || !this.idle) return;
      if (!ok) {
        // Not permitted after all: leave the policy as it is from now on (the proxy's thread still watches).
        this.tid = undefined;
        return;
      }
      this.idle = false;
      this.normalSince = performance.now();
      this.onChange?.(tid, false);
    };
    child.once('error', () => done(false));
    child.once('exit', (code) => done(code === 0));
  }

  private set(idle: boolean): void {
    try {
      const native = schedAddon();
      if (native !== undefined) {
        if (!native.setThreadPolicy(Number(this.tid!), idle)) throw new Error('not permitted');
      } else execFileSync('chrt', [idle ? '--idle' : '--other', '--pid', '0', this.tid!], { stdio: 'ignore', timeout: 5000 });
      this.idle = idle;
      if (!idle) this.normalSince = performance.now();
      this.onChange?.(this.tid!, idle);
    } catch {
      // No chrt, or not permitted: leave the policy as it is from now on.
      this.tid = undefined;
    }
  }
}
