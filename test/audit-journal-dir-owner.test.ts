/**
 * Review: the audit journal directory's owner and mode (journal-dir.ts). Journal files are imported
 * as this process's own records, so a `<db>.journal/` that another user can write to (made by hand
 * 0777, or owned by another user) would let them plant forged calls into the audit trail: the proxy
 * must refuse it, with an error saying why and how to fix it, import nothing from it, and (the CLI)
 * exit non-zero. Journals of an earlier version beside the database are read from the database's
 * directory only when that one is owner-only too. Real files, a real store, the built CLI.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditReader, openAuditStore } from '../src/audit/index.js';
import { journalDir, listJournals, readSegment } from '../src/audit/spool.js';
import { auditConfig, CLI, sampleRecord, tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';
import { runsUnless } from './helpers/skip-reason.js';

const BACKEND = join(ROOT, 'test/servers/raw-audit-backend.mjs');
const posix = typeof process.geteuid === 'function';

/** The journal text of one recorded call (as another process would have written it), made by a real store. */
async function journalText(dir: string, tool: string): Promise<string> {
  const scratch = join(dir, `scratch-${tool}.db`);
  const store = openAuditStore(auditConfig(scratch, { flushIntervalMs: 60_000 }));
  await store.record(sampleRecord({ tool }));
  const text = readSegment(listJournals(scratch)[0]!.files[0]!);
  await store.close();
  expect(text).toContain(tool);
  return text;
}

/** Rows in the database whose tool is `tool`. */
function rowsOf(db: string, tool: string): number {
  const reader = openAuditReader(db);
  try {
    return reader.query({ limit: 1000 }).rows.filter((r) => r.tool === tool).length;
  } finally {
    reader.close();
  }
}

describe.runIf(runsUnless('audit-journal-dir-owner', posix ? undefined : `owner and mode checks are for POSIX hosts (this is ${process.platform})`))('audit journal directory owner and mode', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('refuses a journal directory writable by others and imports nothing planted in it', async () => {
    const db = join(tmp.dir, 'audit.db');
    const dir = journalDir(db);
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    // A "journal" of a process that is gone (no lock file, pid not running): planted by another user.
    writeFileSync(join(dir, '999999-0f0f0f0f-1'), await journalText(tmp.dir, 'forged__delete_everything'));
    expect(() => openAuditStore(auditConfig(db))).toThrow(/audit journal directory .* is refused: it is writable by its group and others \(mode 0777\).*chmod 700/);
    // Refused before the database is made (the old code made it and imported the forged row).
    expect(existsSync(db) ? rowsOf(db, 'forged__delete_everything') : 0).toBe(0);
  });

  it('refuses a group-writable one, and accepts an owner-only one made beforehand', async () => {
    const db = join(tmp.dir, 'audit.db');
    mkdirSync(journalDir(db), { mode: 0o700 });
    chmodSync(journalDir(db), 0o770);
    expect(() => openAuditStore(auditConfig(db))).toThrow(/writable by its group \(mode 0770\)/);
    chmodSync(journalDir(db), 0o700);
    const store = openAuditStore(auditConfig(db));
    await store.record(sampleRecord());
    await store.close();
  });

  it('refuses one owned by another user', (ctx) => {
    if (process.geteuid!() !== 0) return ctx.skip('needs root to give the directory to another user');
    const db = join(tmp.dir, 'audit.db');
    mkdirSync(journalDir(db), { mode: 0o700 });
    chownSync(journalDir(db), 65534, 65534);
    expect(() => openAuditStore(auditConfig(db))).toThrow(/is owned by uid 65534, not by this process's user \(uid 0\)/);
  });

  it("imports an earlier version's journal beside the database only when the database's directory is owner-only", async () => {
    const shared = join(tmp.dir, 'shared');
    mkdirSync(shared, { mode: 0o700 });
    chmodSync(shared, 0o1777); // like /tmp
    const db = join(shared, 'audit.db');
    writeFileSync(`${db}.journal-999999-0e0e0e0e-1`, await journalText(tmp.dir, 'planted__beside_db'));
    const store = openAuditStore(auditConfig(db));
    await store.close();
    expect(rowsOf(db, 'planted__beside_db')).toBe(0);

    const own = join(tmp.dir, 'own');
    mkdirSync(own, { mode: 0o700 });
    const db2 = join(own, 'audit.db');
    writeFileSync(`${db2}.journal-999999-0d0d0d0d-1`, await journalText(tmp.dir, 'legacy__beside_db'));
    const store2 = openAuditStore(auditConfig(db2));
    await store2.close();
    expect(rowsOf(db2, 'legacy__beside_db')).toBe(1);
  });

  it('wrap exits non-zero with the reason on stderr', async () => {
    const db = join(tmp.dir, 'audit.db');
    mkdirSync(journalDir(db));
    chmodSync(journalDir(db), 0o777);
    const proc = spawn(process.execPath, [CLI, 'wrap', '--policy', 'allow-all', '--audit', db, '--', process.execPath, BACKEND], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    setTimeout(() => proc.stdin!.end(), 3000).unref(); // the old code served: stop it
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    expect(code, stderr).not.toBe(0);
    expect(stderr).toMatch(/audit journal directory .* is refused: it is writable by its group and others/);
  });
});
