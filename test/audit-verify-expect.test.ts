/**
 * What the chain alone cannot show, with a chain key too: the newest rows deleted and the recorded
 * head set back to the last row left (every hash it needs is in the file), or the database
 * replaced by another valid chain. `audit verify` then passes; `audit verify --expect SEQ:HASH`
 * (a head an earlier verify printed, kept elsewhere) names what happened and exits 1.
 * Real SQLite files, the built CLI.
 */
import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, sampleRecord, tempDir } from './helpers/audit.js';

const KEY = 'k3y-for-the-expect-test-0042';

describe('audit verify --expect', () => {
  const tmp = tempDir();
  const original = `${tmp.dir}/audit.db`;
  const other = `${tmp.dir}/other.db`;
  let head = '';
  let n = 0;
  const env = { ...process.env, AUDIT_KEY: KEY };
  const verify = (db: string, extra: string[]) => runCliEnv(['audit', 'verify', '--db', db, '--key-env', 'AUDIT_KEY', ...extra], env);

  beforeAll(async () => {
    for (const path of [original, other]) {
      const store = openAuditStore(auditConfig(path, { chainKey: KEY }));
      for (let i = 0; i < 12; i++) store.record(sampleRecord({ requestId: i, tool: path === original && i === 11 ? 'delete_vm' : 'list_vms', arguments: { i } }));
      await store.flush();
      await store.close();
    }
    const r = await verify(original, []);
    expect(r.code).toBe(0);
    head = /head (\d+:[0-9a-f]{64})\n$/.exec(r.stdout)![1]!;
    expect(head.startsWith('12:')).toBe(true);
  });
  afterAll(() => tmp.cleanup());

  function copy(edit?: (db: Database.Database) => void): string {
    const path = `${tmp.dir}/copy-${n++}.db`;
    copyFileSync(original, path);
    if (edit) {
      const db = new Database(path);
      edit(db);
      db.close();
    }
    return path;
  }

  /** The attack: delete the newest rows, set the recorded head to the last row left. No key needed. */
  const truncate = (keep: number) => (db: Database.Database) => {
    db.prepare('DELETE FROM audit_log WHERE seq > ?').run(keep);
    const last = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(keep) as string;
    db.prepare("UPDATE audit_meta SET value = ? WHERE key = 'head_seq'").run(String(keep));
    db.prepare("UPDATE audit_meta SET value = ? WHERE key = 'head_hash'").run(last);
  };

  it('passes on the untouched database, and on one that grew since the head was kept', async () => {
    expect((await verify(original, ['--expect', head])).code).toBe(0);
    const grown = copy();
    const store = openAuditStore(auditConfig(grown, { chainKey: KEY }));
    store.record(sampleRecord({ requestId: 99 }));
    await store.flush();
    await store.close();
    const r = await verify(grown, ['--expect', head]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(seq 1-13)');
  });

  it('names rows deleted from the end with the head fixed up (which the chain alone does not show)', async () => {
    const path = copy(truncate(10));
    expect((await verify(path, [])).code).toBe(0); // the limit --expect exists for
    const r = await verify(path, ['--expect', head]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the chain ends at row 10, before the expected head row 12: rows 11-12 were removed from its end');
  });

  it('names the rows replaced when new rows were written after the deletion', async () => {
    const path = copy(truncate(10));
    const store = openAuditStore(auditConfig(path, { chainKey: KEY }));
    for (let i = 0; i < 3; i++) store.record(sampleRecord({ requestId: 50 + i }));
    await store.flush();
    await store.close();
    expect((await verify(path, [])).code).toBe(0);
    const r = await verify(path, ['--expect', head]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/row 12 has hash [0-9a-f]{64}, not the expected [0-9a-f]{64}: the rows from there on were replaced/);
  });

  it('names a database replaced by another valid chain', async () => {
    expect((await verify(other, [])).code).toBe(0);
    const r = await verify(other, ['--expect', head]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('row 12 has hash');
  });

  it('refuses a head it cannot check (before the retention anchor), and a malformed one', async () => {
    const path = copy((db) => {
      const cut = db.prepare('SELECT hash FROM audit_log WHERE seq = 12').pluck().get() as string;
      db.prepare('DELETE FROM audit_log WHERE seq <= 12').run();
      db.prepare("UPDATE audit_meta SET value = '12' WHERE key = 'anchor_seq'").run();
      db.prepare("UPDATE audit_meta SET value = ? WHERE key = 'anchor_hash'").run(cut);
    });
    expect((await verify(path, ['--expect', head])).code).toBe(0); // the anchor itself is the expected head
    const early = `5:${'a'.repeat(64)}`;
    const r = await verify(path, ['--expect', early]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the expected head row 5 is before the chain');
    const bad = await verify(original, ['--expect', 'twelve']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expect: expected SEQ:HASH');
  });
});

function runCliEnv(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return import('node:child_process').then(
    ({ execFile }) =>
      new Promise((done) => {
        execFile(process.execPath, ['dist/cli/main.js', ...args], { env }, (err, stdout, stderr) => {
          done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      }),
  );
}
