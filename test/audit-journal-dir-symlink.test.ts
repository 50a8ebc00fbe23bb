/**
 * Review: the audit journal directory reached through a symbolic link (journal-dir.ts). The check
 * of `<db>.journal/` follows the link to the directory; a link owned by another user (planted in a
 * shared /tmp beside the database: sticky bits stop others removing our files, not their own link)
 * can be pointed at that user's directory once the check has passed, and the proxy would then write
 * its journal there and import what is planted in it as its own records. A link owned by another
 * user is refused, even while it points at an owner-only directory of ours (the old code accepted
 * it); a link of our own to an owner-only directory is accepted and used.
 */
import { lchownSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditReader, openAuditStore } from '../src/audit/index.js';
import { journalDir } from '../src/audit/spool.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';
import { runsUnless } from './helpers/skip-reason.js';

const posix = typeof process.geteuid === 'function';

describe.runIf(runsUnless('audit-journal-dir-symlink', posix ? undefined : `symbolic link ownership checks are for POSIX hosts (this is ${process.platform})`))('audit journal directory through a symbolic link', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('refuses a link owned by another user, even to an owner-only directory of ours', (ctx) => {
    if (process.geteuid!() !== 0) return ctx.skip('needs root to give the link to another user');
    const db = join(tmp.dir, 'audit.db');
    const ours = join(tmp.dir, 'ours');
    mkdirSync(ours, { mode: 0o700 });
    symlinkSync(ours, journalDir(db));
    lchownSync(journalDir(db), 65534, 65534);
    expect(() => openAuditStore(auditConfig(db))).toThrow(/audit journal directory .* is refused: it is a symbolic link owned by uid 65534, who may point it elsewhere/);
    expect(readdirSync(ours)).toEqual([]);
  });

  it('accepts a link of our own to an owner-only directory, and journals there', async () => {
    const db = join(tmp.dir, 'audit.db');
    const ours = join(tmp.dir, 'ours');
    mkdirSync(ours, { mode: 0o700 });
    symlinkSync(ours, journalDir(db));
    const store = openAuditStore(auditConfig(db, { flushIntervalMs: 60_000 }));
    await store.record(sampleRecord({ tool: 'through_link' }));
    expect(readdirSync(ours).length).toBeGreaterThan(0);
    await store.flush(); // committed before the reader looks (close alone gives the writer 10 s)
    await store.close();
    const reader = openAuditReader(db);
    try {
      expect(reader.query({ limit: 10 }).rows.map((r) => r.tool)).toEqual(['through_link']);
    } finally {
      reader.close();
    }
  });
});
