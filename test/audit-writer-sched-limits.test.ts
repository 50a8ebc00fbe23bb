/**
 * The writer thread's SCHED_IDLE where the host limits it (writer-sched.ts), with the real kernel and
 * util-linux chrt, in a child process of the built dist/:
 * - without CAP_SYS_NICE and with RLIMIT_NICE 0 (a container's non-root user), a thread may enter
 *   SCHED_IDLE but never leave it: the writer must then not enter it, or a busy host starves it for
 *   good (here: it must be in normal scheduling once far behind);
 * - in a pid namespace whose /proc is the host's (`unshare --pid --fork` without --mount-proc), the
 *   thread id must be the namespace's, not /proc's (chrt from inside aims at the namespace's ids).
 * Policies are read from /proc/thread-self/stat (field 41: 0 SCHED_OTHER, 5 SCHED_IDLE).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/proxy.js';
import { noPidNamespaces } from './helpers/pid-namespace.js';
import { runsUnless } from './helpers/skip-reason.js';

const SCHED = join(ROOT, 'dist/audit/writer-sched.js');

function noChrt(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  try {
    execFileSync('chrt', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'util-linux chrt is not installed';
  }
  if (!existsSync('/proc/thread-self')) return 'no /proc/thread-self';
  if (!existsSync(SCHED)) return 'dist/ is not built (npm run build)';
  return undefined;
}

/**
 * A script that makes a WriterScheduling (idle wanted; leaves it beyond 10 rows behind) on its main
 * thread, reports its policy, then reports it again once 1,000 rows behind (as soon as it is normal,
 * or after 5 s); prints both as JSON.
 */
const SCRIPT = `
  const { readFileSync } = require('node:fs');
  const policy = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[38]);
  import(${JSON.stringify(new URL(`file://${SCHED}`).href)}).then(({ WriterScheduling }) => {
    const s = new WriterScheduling(true, 100);
    const started = policy();
    s.update(1000);
    // Its chrt is not waited for: the policy as soon as it is normal, or after 5 s.
    const until = Date.now() + 5000;
    const report = () => (policy() === 0 || Date.now() > until ? process.stdout.write(JSON.stringify({ started, behind: policy() })) : setTimeout(report, 20));
    report();
  });`;

function run(command: string, args: string[]): { started: number; behind: number } {
  const r = spawnSync(command, [...args, process.execPath, '-e', SCRIPT], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, `${command} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as { started: number; behind: number };
}

/** How to run a process without CAP_SYS_NICE: as it is when not root, else through setpriv. */
function withoutSysNice(): { command: string; args: string[] } | string {
  if (process.getuid?.() !== 0) return { command: 'env', args: [] };
  const r = spawnSync('setpriv', ['--bounding-set=-sys_nice', '--inh-caps=-sys_nice', 'true'], { stdio: 'ignore' });
  return r.status === 0 ? { command: 'setpriv', args: ['--bounding-set=-sys_nice', '--inh-caps=-sys_nice'] } : `setpriv cannot drop CAP_SYS_NICE here (${r.error?.message ?? `exit ${r.status}`})`;
}

/**
 * A `chrt` first on PATH that takes `delayMs` before moving a thread out of SCHED_IDLE (as a chrt run
 * from a SCHED_IDLE thread does on a busy host: a fork keeps the policy, so it is starved too); its
 * other uses go straight to the real one.
 */
function slowChrt(dir: string, delayMs: number): string {
  const real = execFileSync('sh', ['-c', 'command -v chrt'], { encoding: 'utf8' }).trim();
  const script = join(dir, 'chrt');
  writeFileSync(script, `#!/bin/sh\nif [ "$1" = "--other" ] && [ "$2" = "--pid" ]; then sleep ${delayMs / 1000}; fi\nexec ${real} "$@"\n`, { mode: 0o755 });
  return dir;
}

/**
 * A `chrt` first on PATH that models a busy host: run under SCHED_IDLE itself, it takes 3 s (it
 * would be starved), else it goes straight to the real one.
 */
function starvedChrt(dir: string): string {
  const real = execFileSync('sh', ['-c', 'command -v chrt'], { encoding: 'utf8' }).trim();
  const script = join(dir, 'chrt');
  writeFileSync(script, `#!/bin/sh\nif ${real} -p $$ | grep -q SCHED_IDLE; then sleep 3; fi\nexec ${real} "$@"\n`, { mode: 0o755 });
  return dir;
}

describe.runIf(runsUnless('audit-writer-sched-limits', noChrt()))('audit writer scheduling where the host limits it', () => {
  it('never enters SCHED_IDLE where it could not leave it (no CAP_SYS_NICE, RLIMIT_NICE 0): far behind, it runs in normal scheduling', (ctx) => {
    const how = withoutSysNice();
    if (typeof how === 'string') return ctx.skip(how);
    const { started, behind } = run('prlimit', ['--nice=0', '--', how.command, ...how.args]);
    expect(behind, 'policy once far behind (5: stuck in SCHED_IDLE)').toBe(0);
    expect(started).toBe(0);
  });

  it('with CAP_SYS_NICE it still enters SCHED_IDLE and leaves it once far behind', (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root (CAP_SYS_NICE)');
    expect(run('env', [])).toEqual({ started: 5, behind: 0 });
  });

  it('leaving SCHED_IDLE when far behind does not hold the writer thread up while chrt is slow to run (starved under SCHED_IDLE itself)', (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root (CAP_SYS_NICE)');
    const dir = mkdtempSync(join(tmpdir(), 'warden-chrt-'));
    try {
      const script = `
        const { readFileSync } = require('node:fs');
        const policy = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[38]);
        import(${JSON.stringify(new URL(`file://${SCHED}`).href)}).then(({ WriterScheduling }) => {
          const changes = [];
          const s = new WriterScheduling(true, 100, undefined, (tid, idle) => changes.push(idle));
          const started = policy();
          const t = Date.now();
          s.update(1000);
          const heldMs = Date.now() - t;
          const until = Date.now() + 20000;
          const wait = () => (changes.includes(false) || Date.now() > until ? process.stdout.write(JSON.stringify({ started, heldMs, changes, after: policy() })) : setTimeout(wait, 50));
          wait();
        });`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, MCP_WARDEN_SCHED_CHRT: '1', PATH: `${slowChrt(dir, 3000)}:${process.env.PATH}` } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { started: number; heldMs: number; changes: boolean[]; after: number };
      expect(out.started).toBe(5);
      // Not waited for: the thread goes on committing (the proxy's thread moves it meanwhile if it starves).
      expect(out.heldMs, 'ms update() held the writer thread (the chrt takes 3,000)').toBeLessThan(1500);
      // Done once chrt ran: in normal scheduling, and said so.
      expect(out.changes).toEqual([true, false]);
      expect(out.after).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finding out whether SCHED_IDLE can be left runs nothing under SCHED_IDLE (on a busy host it would hold the writer up at start)', (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root (CAP_SYS_NICE)');
    const dir = mkdtempSync(join(tmpdir(), 'warden-chrt-'));
    try {
      const script = `
        const { readFileSync } = require('node:fs');
        const policy = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[38]);
        import(${JSON.stringify(new URL(`file://${SCHED}`).href)}).then(({ WriterScheduling }) => {
          const t = Date.now();
          new WriterScheduling(true, 100);
          process.stdout.write(JSON.stringify({ startMs: Date.now() - t, started: policy() }));
        });`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, MCP_WARDEN_SCHED_CHRT: '1', PATH: `${starvedChrt(dir)}:${process.env.PATH}` } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { startMs: number; started: number };
      expect(out.started).toBe(5);
      expect(out.startMs, 'ms the start took (a chrt run under SCHED_IDLE takes 3,000)').toBeLessThan(1500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("in a pid namespace whose /proc is the host's, the namespace's thread id is used: it enters SCHED_IDLE and leaves it", (ctx) => {
    const why = noPidNamespaces();
    if (why !== undefined) return ctx.skip(why);
    if (process.getuid?.() !== 0) return ctx.skip('needs root (CAP_SYS_NICE)');
    expect(run('unshare', ['--pid', '--fork', '--kill-child'])).toEqual({ started: 5, behind: 0 });
  });
});
