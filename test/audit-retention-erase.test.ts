/**
 * Rows removed by retention are gone from the file, not only from the table: SQLite leaves a
 * deleted row's bytes in the page it was on (its free space, or the page on the freelist) until
 * the page is used again, so a copy of the database (a backup, a volume snapshot) still held every
 * argument and result retention had removed, for as long as the file did not grow into those pages.
 * Real writer thread running the retention job at start, the real SQLite file and its -wal searched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditStore, type AuditStore } from '../src/audit/index.js';
import { auditConfig, databaseBytes, sampleRecord, tempDir } from './helpers/audit.js';

describe('audit retention', () => {
  let tmp = tempDir();
  let store: AuditStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    tmp.cleanup();
    tmp = tempDir();
  });

  it('erases the removed rows from the database file', async () => {
    const path = `${tmp.dir}/audit.db`;
    const now = Date.now();
    const mark = (i: number) => `REMOVED-ROW-${String(i).padStart(4, '0')}-e1f0`;
    store = openAuditStore(auditConfig(path));
    // ~400 rows of ~600 bytes: many 16 KiB pages, the oldest of them wholly removed.
    for (let i = 0; i < 400; i++) {
      store.record(sampleRecord({ time: now - (400 - i) * 60_000, requestId: i, arguments: { note: mark(i), pad: 'x'.repeat(200) }, result: { content: [{ type: 'text', text: mark(i) }] } }));
    }
    await store.close();
    expect(databaseBytes(path).includes(Buffer.from(mark(0)))).toBe(true);
    // The newest 10 stay; the job runs at start in the writer thread.
    store = openAuditStore(auditConfig(path, { retention: { rows: 10 } }));
    await expect.poll(() => store!.stats().total, { timeout: 30_000 }).toBe(10);
    expect(store.verify()).toMatchObject({ ok: true, rows: 10, anchorSeq: 390 });
    await store.close();
    store = undefined;
    const bytes = databaseBytes(path);
    const left = [];
    for (let i = 0; i < 390; i++) if (bytes.includes(Buffer.from(mark(i)))) left.push(i);
    expect(left, 'rows retention removed, still in the file').toEqual([]);
    for (let i = 390; i < 400; i++) expect(bytes.includes(Buffer.from(mark(i))), `kept row ${i}`).toBe(true);
  });
});
