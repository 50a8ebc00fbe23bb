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
import { existsSync } from 'node:fs';
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
 * thread, reports its policy, then reports it again once 1,000 rows behind; prints both as JSON.
 */
const SCRIPT = `
  const { readFileSync } = require('node:fs');
  const policy = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[38]);
  import(${JSON.stringify(new URL(`file://${SCHED}`).href)}).then(({ WriterScheduling }) => {
    const s = new WriterScheduling(true, 100);
    const started = policy();
    s.update(1000);
    process.stdout.write(JSON.stringify({ started, behind: policy() }));
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

  it("in a pid namespace whose /proc is the host's, the namespace's thread id is used: it enters SCHED_IDLE and leaves it", (ctx) => {
    const why = noPidNamespaces();
    if (why !== undefined) return ctx.skip(why);
    if (process.getuid?.() !== 0) return ctx.skip('needs root (CAP_SYS_NICE)');
    expect(run('unshare', ['--pid', '--fork', '--kill-child'])).toEqual({ started: 5, behind: 0 });
  });
});
