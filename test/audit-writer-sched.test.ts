/**
 * The writer thread's scheduling (audit.writerIdle, Linux with util-linux chrt): SCHED_IDLE while it
 * keeps up, normal scheduling while it is far behind (so a busy host cannot starve it into
 * back-pressure), back to SCHED_IDLE once it caught up and a least time passed; off with writerIdle: false. Reads the
 * policy of the real threads from /proc (field 41 of stat: 0 SCHED_OTHER, 5 SCHED_IDLE).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';

function hasChrt(): boolean {
  try {
    execFileSync('chrt', ['--version'], { stdio: 'ignore' });
    return existsSync('/proc/thread-self');
  } catch {
    return false;
  }
}

/** Scheduling policy of every thread of this process. */
function policies(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
  });
}

describe.runIf(process.platform === 'linux' && hasChrt())('audit writer scheduling', () => {
  it('runs the writer thread under SCHED_IDLE by default, and not with writerIdle: false', async () => {
    const tmp = tempDir();
    try {
      for (const writerIdle of [true, false]) {
        const store = openAuditStore(auditConfig(join(tmp.dir, `${writerIdle}.db`), { writerIdle }));
        await store.record(sampleRecord());
        await store.flush();
        expect(policies().filter((p) => p === 5).length).toBe(writerIdle ? 1 : 0);
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
        // Leaves SCHED_IDLE beyond 10 rows behind (maxQueue / 10); back at 2 rows, not before 200 ms.
        const s = new WriterScheduling(true, 100, 200);
        const seen = [policy()];
        s.update(8); seen.push(policy());
        s.update(11); seen.push(policy());
        s.update(5); seen.push(policy());
        s.update(2); seen.push(policy());
        setTimeout(() => {
          s.update(2); seen.push(policy());
          parentPort.postMessage(seen);
        }, 250);
      });`;
    const seen = await new Promise<number[]>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once('message', (m: number[]) => {
        resolve(m);
        void w.terminate();
      });
      w.once('error', reject);
    });
    expect(seen).toEqual([5, 5, 0, 0, 0, 5]);
  });
});
