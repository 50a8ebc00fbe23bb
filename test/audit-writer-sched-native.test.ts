/**
 * The writer thread's SCHED_IDLE set by the native addon (native/thread_sched.c: sched_setscheduler
 * on the thread's id, no chrt forked from the proxy), in a child process of the built dist/, with the
 * real kernel: with no chrt anywhere on PATH it enters SCHED_IDLE and leaves it once far behind (so
 * nothing was forked to do it); without CAP_SYS_NICE and with RLIMIT_NICE 0 it never enters it (the
 * session-8 rule: only where it can be left); and the chrt fallback (MCP_WARDEN_SCHED_CHRT=1, as with
 * an addon built before these calls) keeps that rule too. Policies are read from
 * /proc/thread-self/stat (field 41: 0 SCHED_OTHER, 5 SCHED_IDLE).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { ROOT } from './helpers/proxy.js';
import { runsUnless } from './helpers/skip-reason.js';

const SCHED = join(ROOT, 'dist/audit/writer-sched.js');
const addon = journalAddon().addon as { setThreadPolicy?: unknown } | undefined;

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (addon?.setThreadPolicy === undefined) return 'the native addon has no setThreadPolicy (npm run build:native)';
  if (!existsSync('/proc/thread-self')) return 'no /proc/thread-self';
  if (!existsSync(SCHED)) return 'dist/ is not built (npm run build)';
  return undefined;
}

/** A WriterScheduling (idle wanted; leaves it beyond 10 rows behind) on the main thread: its policy at start and once 1,000 rows behind. */
const SCRIPT = `
  const { readFileSync } = require('node:fs');
  const policy = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[38]);
  import(${JSON.stringify(new URL(`file://${SCHED}`).href)}).then(({ WriterScheduling }) => {
    const changes = [];
    const s = new WriterScheduling(true, 100, undefined, (tid, idle) => changes.push(idle));
    const started = policy();
    s.update(1000);
    const until = Date.now() + 5000;
    const report = () => (policy() === 0 || Date.now() > until ? process.stdout.write(JSON.stringify({ started, behind: policy(), changes })) : setTimeout(report, 20));
    report();
  });`;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { started: number; behind: number; changes: boolean[] } {
  const r = spawnSync(command, [...args, process.execPath, '-e', SCRIPT], { encoding: 'utf8', timeout: 30_000, env });
  expect(r.status, `${command} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as { started: number; behind: number; changes: boolean[] };
}

function hasChrt(): boolean {
  try {
    execFileSync('chrt', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.runIf(runsUnless('audit-writer-sched-native', unavailable()))('audit writer scheduling by the native addon', () => {
  it('with no chrt on PATH, the writer enters SCHED_IDLE and leaves it once far behind (a system call: nothing forked)', (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root (CAP_SYS_NICE) to leave SCHED_IDLE');
    const empty = mkdtempSync(join(tmpdir(), 'warden-nochrt-'));
    try {
      expect(spawnSync('chrt', ['--version'], { env: { PATH: empty } }).error).toBeDefined();
      const out = run('/usr/bin/env', [], { PATH: empty });
      expect(out).toEqual({ started: 5, behind: 0, changes: [true, false] });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('never enters SCHED_IDLE where it could not leave it (no CAP_SYS_NICE, RLIMIT_NICE 0), native and with the chrt fallback', (ctx) => {
    let how: { command: string; args: string[] };
    if (process.getuid?.() !== 0) how = { command: 'env', args: [] };
    else {
      const r = spawnSync('setpriv', ['--bounding-set=-sys_nice', '--inh-caps=-sys_nice', 'true'], { stdio: 'ignore' });
      if (r.status !== 0) return ctx.skip('setpriv cannot drop CAP_SYS_NICE here');
      how = { command: 'setpriv', args: ['--bounding-set=-sys_nice', '--inh-caps=-sys_nice'] };
    }
    if (spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status !== 0) return ctx.skip('no prlimit');
    expect(run('prlimit', ['--nice=0', '--', how.command, ...how.args])).toEqual({ started: 0, behind: 0, changes: [] });
    if (hasChrt()) expect(run('prlimit', ['--nice=0', '--', how.command, ...how.args], { ...process.env, MCP_WARDEN_SCHED_CHRT: '1' })).toEqual({ started: 0, behind: 0, changes: [] });
  });

  it('the chrt fallback (an addon without these calls) still enters SCHED_IDLE and leaves it', (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root (CAP_SYS_NICE) to leave SCHED_IDLE');
    if (!hasChrt()) return ctx.skip('util-linux chrt is not installed');
    const out = run('env', [], { ...process.env, MCP_WARDEN_SCHED_CHRT: '1' });
    expect(out.started).toBe(5);
    expect(out.behind).toBe(0);
  });
});
