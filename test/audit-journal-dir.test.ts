/**
 * The journal's segments live in their own directory beside the database (<db>.journal/), so a
 * watch on the database's directory (the policy's, when both share one: `wrap --policy p.rego
 * --audit a.db` in one folder) is not woken by the write() every recorded call makes. Real store,
 * real files, a real fs.watch.
 */
import { watch, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditStore, type AuditStore } from '../src/audit/index.js';
import { listJournals } from '../src/audit/spool.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';

describe('audit journal directory', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let store: AuditStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    tmp?.cleanup();
  });

  it('journals every call into <db>.journal/ and wakes no watch on the database directory', async () => {
    tmp = tempDir();
    const path = `${tmp.dir}/audit.db`;
    // A long flush interval: nothing reaches SQLite (and its -wal file) while the calls are recorded.
    store = openAuditStore(auditConfig(path, { flushIntervalMs: 60_000 }));
    const events: string[] = [];
    const watcher = watch(tmp.dir, { persistent: false }, (event, file) => events.push(`${event} ${String(file)}`));
    try {
      for (let i = 0; i < 20; i++) await store.record(sampleRecord({ requestId: i }));
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      watcher.close();
    }
    expect(events).toEqual([]);
    const [journal] = listJournals(path);
    expect(journal!.files.every((f) => f.startsWith(`${path}.journal/`))).toBe(true);
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith('audit.db.journal-'))).toEqual([]);
    await store.flush();
    expect(store.stats().total).toBe(20);
  });
});
