/**
 * Review: a writer whose journal lock file (`<id>.lock`, journal-lock.ts) was deleted by hand (an
 * operator cleaning "stale" lock files, a tmp cleaner) while it runs. Without the file, another
 * process can no longer see that the journal is live except by its pid, and a pid says nothing
 * across pid namespaces (two containers sharing the database's volume are both PID 1). Real wraps,
 * each PID 1 of its own pid namespace (unshare), real files, real SQLite: the second one must leave
 * the first one's journal alone, and after kill -9 of the first every answered call is in the
 * database once (the writer's thread commits long after calls are answered, so the journal is their
 * only durable copy: before the writer made its lock file anew, the second container imported and
 * removed it, and kill -9 then lost some 300 of 600 answered calls).
 */
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runsUnless } from './helpers/skip-reason.js';
import { openAuditStore } from '../src/audit/index.js';
import { listJournals } from '../src/audit/spool.js';
import { auditConfig } from './helpers/audit.js';
import { auditTempEach, expectAnsweredStoredOnce } from './helpers/audit-journal.js';
import { ROOT } from './helpers/proxy.js';
import { containerWrap, noPidNamespaces } from './helpers/pid-namespace.js';
import { until } from './helpers/wait.js';

const ADDON = join(ROOT, 'native/build/Release/warden_journal.node');
const noNamespaces = existsSync(ADDON) ? noPidNamespaces() : 'the native journal addon is not built (npm ci builds it)';
if (noNamespaces) console.log(`audit-journal-lock-deleted: skipped: ${noNamespaces}`);

describe.runIf(runsUnless('audit-journal-lock-deleted', noNamespaces))('a live writer whose lock file was deleted by hand', () => {
  const t = auditTempEach();
  const children = t.children;

  it('another container (also PID 1) starting meanwhile leaves its journal alone; after kill -9 every answered call is in the database once', async () => {
    const path = join(t.dir, 'audit.db');
    const a = containerWrap(path);
    children.push(a.proc);
    await a.ready;
    await Promise.all(Array.from({ length: 100 }, (_, i) => a.call(1 + i)));
    const [journal] = listJournals(path);
    expect(journal?.pid).toBe(1);
    unlinkSync(journal!.lockFile!); // by hand
    // The writer makes it anew within a second (journal-lock.ts, LOCK_FILE_CHECK_MS); a process
    // starting within that second may still take the journal for an orphan (a known window).
    // Waited for with a deadline far past that second (its timer runs late on a busy host).
    await until(() => existsSync(journal!.lockFile!), 'the writer to make its lock file anew').catch(() => undefined);
    expect(existsSync(journal!.lockFile!)).toBe(true);

    const b = containerWrap(path);
    children.push(b.proc);
    await b.ready;
    // The first writer's segments are its own still: nobody imported and removed them.
    const still = listJournals(path).find((j) => j.id === journal!.id);
    expect(still?.files.length ?? 0).toBeGreaterThan(0);
    expect(still!.files.every((f) => existsSync(f))).toBe(true);

    // More calls through the first; kill -9 right as the last ones are answered (not all committed).
    let next = 101;
    await new Promise<void>((resolve) => {
      const send = () => {
        const id = next++;
        void a.call(id).then(() => {
          if (a.answered.length >= 600) {
            a.proc.kill('SIGKILL');
            resolve();
          } else send();
        });
      };
      for (let k = 0; k < 32; k++) send();
    });
    await new Promise((resolve) => a.proc.once('close', resolve));
    b.proc.stdin!.end();
    await new Promise((resolve) => b.proc.once('close', resolve));

    const store = openAuditStore(auditConfig(path));
    try {
      const rows = store.query({ order: 'asc', limit: 10_000, method: 'tools/call' }).rows;
      const ids = rows.map((r) => Number(r.requestId));
      expectAnsweredStoredOnce(ids, a.answered);
      expect(store.verify()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
  }, 120_000);
});
