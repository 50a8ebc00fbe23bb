/**
 * Which journals are a dead process's (imported by the next writer) and which a live one's (left to
 * it). A journal is named after its writer's pid, and pids are reused: in the container image
 * mcp-warden runs as PID 1 (ENTRYPOINT node), so after a restart (kill -9, OOM) the new process
 * has the very pid of the one that left its journal behind. That journal must be imported, once.
 * Real files, the real recorder, writer thread and SQLite.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditReader, openAuditStore, Redactor } from '../src/audit/index.js';
import { journalBody } from '../src/audit/journal-line.js';
import { journalDir, listJournals, Spool } from '../src/audit/spool.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';
import { expectImportedOnce } from './helpers/audit-journal.js';

function lines(first: number, count: number): string {
  const redactor = new Redactor(['password']);
  return Array.from({ length: count }, (_, i) => `${first + i} ${journalBody(sampleRecord({ requestId: `old-${first + i}` }), redactor, 4096)}\n`).join('');
}

describe('audit journal liveness', () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'audit.db');
  });
  afterEach(() => tmp.cleanup());

  it('imports, once, the journal a dead process with our own pid left (container restart: PID 1 again)', async () => {
    // The database exists (an earlier run), and that run, with this very pid, was killed leaving 3 lines.
    const first = openAuditStore(auditConfig(path));
    await first.close();
    mkdirSync(journalDir(path), { recursive: true });
    writeFileSync(join(journalDir(path), `${process.pid}-0badc0de-1`), lines(1, 3), { mode: 0o600 });

    const reader = openAuditReader(path);
    expect(reader.orphanedJournals()).toBe(1);
    reader.close();

    // Imported once: a second restart imports nothing more.
    await expectImportedOnce(path, ['old-1', 'old-2', 'old-3']);
  });

  it('leaves alone the journal of a store still open in this process', async () => {
    const spool = new Spool(path, { mapped: false });
    try {
      spool.append(lines(1, 2), 2);
      const store = openAuditStore(auditConfig(path));
      try {
        expect(store.verify()).toMatchObject({ ok: true, rows: 0 });
      } finally {
        await store.close();
      }
      expect(listJournals(path).map((j) => j.id)).toEqual([spool.id]);
    } finally {
      spool.close(false);
    }
  });
});
