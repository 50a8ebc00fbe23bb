/**
 * The writer thread's scheduling (audit.writerIdle, Linux with util-linux chrt): SCHED_IDLE while it
 * keeps up, normal scheduling while it is far behind (so a busy host cannot starve it into
 * back-pressure), back to SCHED_IDLE once it caught up and a least time passed; off with writerIdle: false. Reads the
 * policy of the real threads from /proc (field 41 of stat: 0 SCHED_OTHER, 5 SCHED_IDLE).
 */
import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';
import { runsUnless } from './helpers/skip-reason.js';
import { until } from './helpers/wait.js';

function hasChrt(): boolean {
  try {
    execFileSync('chrt', ['--version'], { stdio: 'ignore' });
    return existsSync('/proc/thread-self');
  } catch {
    return false;
  }
}

/** Scheduling policy of every thread of this process (a thread that ended since the directory was read is left out). */
function policies(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38])];
  });
}

describe.runIf(runsUnless('audit-writer-sched', process.platform === 'linux' && hasChrt() ? undefined : 'needs Linux with util-linux chrt and /proc/thread-self'))('audit writer scheduling', () => {
  it('runs the writer thread under SCHED_IDLE by default, and not with writerIdle: false', async () => {
    const tmp = tempDir();
    try {
      for (const writerIdle of [true, false]) {
        const logged: string[] = [];
        const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
        const store = openAuditStore(auditConfig(join(tmp.dir, `${writerIdle}.db`), { writerIdle }), logger);
        await store.record(sampleRecord());
        await store.flush();
        const idle = policies().filter((p) => p === 5).length;
        // On a host busy with other tests the writer may have been found starved and moved out of it (said in the log).
        if (writerIdle) expect(idle === 1 || logged.some((l) => l.includes('starved under SCHED_IDLE'))).toBe(true);
        else expect(idle).toBe(0);
        await store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('leaves SCHED_IDLE while far behind and goes back once caught up', async () => {
    const url = new URL(`file://${join(ROOT, 'dist/audit/writer-sched.js')}`).href;
    const code = `
      const { parentPort } = require('node:worker_threads');
      const { readFileSync } = require('node:fs');
      const policy = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[38]);
      import(${JSON.stringify(url)}).then(({ WriterScheduling }) => {
        // Leaves SCHED_IDLE beyond 10 rows behind (maxQueue / 10), without waiting for its chrt (it
        // says so when done); back at 2 rows, not before 1 s (long enough that the two updates just
        // after leaving come before it, however busy the host).
        let left;
        const s = new WriterScheduling(true, 100, 1000, (tid, idle) => idle || left());
        const seen = [policy()];
        s.update(8); seen.push(policy());
        const alive = setInterval(() => {}, 1000); // its chrt is not waited for (unref)
        new Promise((resolve) => { left = resolve; s.update(11); }).then(() => {
          clearInterval(alive);
          seen.push(policy());
          s.update(5); seen.push(policy());
          s.update(2); seen.push(policy());
          setTimeout(() => {
            s.update(2); seen.push(policy());
            parentPort.postMessage(seen);
          }, 1100);
        });
      });`;
    const seen = await new Promise<number[]>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      // Its thread ends under SCHED_IDLE: waited for, or on a host the next test makes busy it would
      // linger (starved) and be counted there as a thread still idle.
      w.once('message', (m: number[]) => void w.terminate().then(() => resolve(m), reject));
      w.once('error', reject);
    });
    expect(seen).toEqual([5, 5, 0, 0, 0, 5]);
  });

  it('stays in SCHED_IDLE through one batch larger than its far-behind bound that it commits before the next (a busy session\'s 50 ms), and leaves it when batches pile up', async () => {
    const tmp = tempDir();
    try {
      const logged: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
      // maxQueue 100,000: far behind is 2,000 rows. A batch is posted every 50 ms or at 4,096 lines.
      const store = openAuditStore(auditConfig(join(tmp.dir, 'large.db'), { writerIdle: true, maxQueue: 100_000 }), logger);
      await until(() => policies().includes(5), 'the writer thread in SCHED_IDLE', 45_000);
      // 3,000 rows in one turn: one batch of 3,000, nothing posted before it.
      const pending: unknown[] = [];
      for (let i = 0; i < 3000; i++) pending.push(store.record(sampleRecord({ requestId: `large-${i}` })));
      await Promise.all(pending);
      await store.flush();
      expect(store.query({ limit: 5000 }).rows.length).toBe(3000);
      // Still idle: before, the batch's own 3,000 rows counted as behind and moved it to normal
      // scheduling for 2 s. A host busy enough to starve it says so in the log instead.
      const starved = () => logged.some((l) => l.includes('starved under SCHED_IDLE'));
      expect(policies().filter((p) => p === 5).length === 1 || starved()).toBe(true);
      // 10,000 rows in one turn: batches at 4,096 and 8,192 lines, the second posted while the
      // first is not committed (this thread has not returned to its event loop to hear of it): 4,096 rows behind.
      pending.length = 0;
      for (let i = 0; i < 10_000; i++) pending.push(store.record(sampleRecord({ requestId: `pile-${i}` })));
      await Promise.all(pending);
      await store.flush();
      const db = new Database(join(tmp.dir, 'large.db'), { readonly: true });
      expect(db.prepare('SELECT count(*) AS n FROM audit_log').get()).toEqual({ n: 13_000 });
      db.close();
      expect(policies().filter((p) => p === 5)).toEqual([]);
      await store.close();
    } finally {
      tmp.cleanup();
    }
  }, 120_000);

  it('is moved to normal scheduling by the proxy\'s thread when a busy host starves it under SCHED_IDLE, so its batches still commit', async () => {
    const tmp = tempDir();
    // Busy processes at normal priority on every core: a SCHED_IDLE thread gets next to no CPU.
    // They run 60 s (killed when done): long enough for the writer to start and go idle while they run, however busy the host already is.
    const hogs = Array.from({ length: 2 * availableParallelism() }, () => spawn(process.execPath, ['-e', 'const end = Date.now() + 60000; while (Date.now() < end);'], { stdio: 'ignore' }));
    try {
      const logged: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
      // Fewer rows than the writer's own "far behind" bound (2,000 with this maxQueue): only the wait tells.
      const store = openAuditStore(auditConfig(join(tmp.dir, 'starved.db'), { writerIdle: true, maxQueue: 100_000 }), logger);
      // The writer thread has started and entered SCHED_IDLE (waited for: a fixed 300 ms is not
      // enough for a thread to start on a host this busy, and a writer not idle yet is not starved).
      await until(() => policies().includes(5), 'the writer thread in SCHED_IDLE', 45_000);
      for (let i = 0; i < 1500; i++) void store.record(sampleRecord({ requestId: `starved-${i}` }));
      // Without the proxy's thread stepping in this waits for the hogs to end (60 s), and the log
      // below does not say the writer was moved.
      await store.flush();
      expect(store.query({ limit: 5000 }).rows.length).toBe(1500);
      expect(logged.some((l) => l.includes('starved under SCHED_IDLE'))).toBe(true);
      expect(policies().filter((p) => p === 5)).toEqual([]);
      await store.close();
    } finally {
      for (const h of hogs) h.kill('SIGKILL');
      tmp.cleanup();
    }
  }, 120_000);
});
