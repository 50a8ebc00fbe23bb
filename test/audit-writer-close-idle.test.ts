/**
 * A store closed right after it opened (the audit CLI's seeding, a short wrap session): close()
 * comes before the writer thread has started, so before it said it runs under SCHED_IDLE; the
 * idle message arrives while closing. The writer must then be moved out of SCHED_IDLE at once, as
 * close() does for a writer it knows to be idle: its last flush otherwise waits for a busy host's
 * idle time (under CPU hogs: close gave up after its 10 s, rows left in the journal, and terminating
 * the starved thread took 18 s more). leaveIdle is spied on; the thread and scheduling are real.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openAuditReader, openAuditStore } from '../src/audit/index.js';
import { journalAddon } from '../src/audit/mapped-journal.js';
import * as sched from '../src/audit/writer-sched.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';
import { runsUnless } from './helpers/skip-reason.js';

vi.mock('../src/audit/writer-sched.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/audit/writer-sched.js')>();
  return { ...original, leaveIdle: vi.fn(original.leaveIdle) };
});

/** Why a writer thread cannot run under SCHED_IDLE here (and be moved out of it), or undefined. */
function noIdle(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  try {
    readFileSync('/proc/thread-self/stat');
  } catch {
    return 'no /proc/thread-self';
  }
  const addon = journalAddon().addon as { canLeaveIdle?: () => boolean } | undefined;
  if (addon?.canLeaveIdle === undefined) return 'the native addon with canLeaveIdle() is not built (npm run build:native)';
  if (!addon.canLeaveIdle()) return 'a thread here may not leave SCHED_IDLE (no CAP_SYS_NICE, RLIMIT_NICE): the writer never enters it';
  return undefined;
}

describe.runIf(runsUnless('audit-writer-close-idle', noIdle()))('closing a store whose writer says it is idle only once closing', () => {
  it('moves the writer out of SCHED_IDLE at once, and close commits every row', async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'audit.db');
      const logged: string[] = [];
      const logger = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: (...a: unknown[]) => void logged.push(JSON.stringify(a)) } as never;
      const leaveIdle = vi.mocked(sched.leaveIdle);
      leaveIdle.mockClear();
      // Opened, written and closed in one turn: the writer's "idle" message can only come after close() began.
      const store = openAuditStore(auditConfig(path, { writerIdle: true }), logger);
      for (let i = 0; i < 5; i++) store.record(sampleRecord({ requestId: `at-once-${i}` }));
      await store.close();
      expect(leaveIdle, 'the writer, idle once closing, was moved to normal scheduling').toHaveBeenCalledTimes(1);
      expect(logged).toEqual([]);
      const reader = openAuditReader(path);
      try {
        expect(reader.query({ limit: 10 }).rows.length).toBe(5);
      } finally {
        reader.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
