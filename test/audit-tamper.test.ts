/**
 * Tampering with the database directly (better-sqlite3): `mcp-warden audit verify` (the built CLI)
 * names the first changed, deleted or inserted row and exits 1; the untouched database exits 0.
 */
import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, runCli, sampleRecord, tempDir } from './helpers/audit.js';

describe('audit verify detects tampering', () => {
  const tmp = tempDir();
  const original = `${tmp.dir}/audit.db`;
  let n = 0;

  beforeAll(async () => {
    const store = openAuditStore(auditConfig(original));
    for (let i = 0; i < 20; i++) {
      store.record(sampleRecord({ requestId: i, tool: i === 9 ? 'delete_vm' : 'list_vms', decision: i === 9 ? 'deny' : 'allow', arguments: { i } }));
    }
    // Committed before the file is copied (close gives the writer 10 s, then leaves rows in the journal).
    await store.flush();
    await store.close();
  });
  afterAll(() => tmp.cleanup());

  /** A fresh copy of the clean database, tampered by `edit`. */
  function tampered(edit: (db: Database.Database) => void): string {
    const path = `${tmp.dir}/copy-${n++}.db`;
    copyFileSync(original, path);
    const db = new Database(path);
    edit(db);
    db.close();
    return path;
  }

  it('passes on the untouched database', async () => {
    const r = await runCli(['audit', 'verify', '--db', original]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 20 rows verified \(seq 1-20\), head 20:[0-9a-f]{64}\n$/);
  });

  it('names a changed row (decision flipped from deny to allow)', async () => {
    const path = tampered((db) => db.prepare("UPDATE audit_log SET decision = 'allow' WHERE seq = 10").run());
    const r = await runCli(['audit', 'verify', '--db', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('audit verify FAILED: row 10 was changed');
    expect(r.stderr).toContain('(9 rows verified before it)');
  });

  it('names a changed row even when its hash column was edited too', async () => {
    const path = tampered((db) => db.prepare("UPDATE audit_log SET arguments = '{\"i\":99}', hash = ? WHERE seq = 4").run('f'.repeat(64)));
    const r = await runCli(['audit', 'verify', '--db', path, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, rows: 3, problem: { kind: 'changed', seq: 4 } });
  });

  it('names a deleted row', async () => {
    const path = tampered((db) => db.prepare('DELETE FROM audit_log WHERE seq = 7').run());
    const r = await runCli(['audit', 'verify', '--db', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('row 7 is missing (deleted): row 8 follows row 6');
  });

  it('names deleted rows at the end of the log', async () => {
    const path = tampered((db) => db.prepare('DELETE FROM audit_log WHERE seq >= 18').run());
    const r = await runCli(['audit', 'verify', '--db', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rows 18-20 are missing (deleted)');
  });

  it('names an inserted row (renumbered to make room, copied from its neighbour)', async () => {
    const path = tampered((db) => {
      db.transaction(() => {
        for (let seq = 20; seq >= 12; seq--) db.prepare('UPDATE audit_log SET seq = seq + 1 WHERE seq = ?').run(seq);
        db.prepare(
          `INSERT INTO audit_log SELECT 12, time, 'mallory', client_name, auth_method, session_id, transport, backend, method, request_id, tool,
             resource, prompt, arguments, arguments_bytes, arguments_sha256, decision, reasons, policy_version, outcome, error_code,
             error_message, is_error, result, result_bytes, result_sha256, decision_micros, backend_micros, request_bytes, response_bytes,
             hash, hash, roles FROM audit_log WHERE seq = 11`,
        ).run();
      })();
    });
    const r = await runCli(['audit', 'verify', '--db', path, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problem).toMatchObject({ seq: 12 });
  });

  it('names a row appended with a correctly computed hash (beyond the recorded head)', async () => {
    const { chainHash, canonicalLine } = await import('../src/audit/row.js');
    const path = tampered((db) => {
      const last = db.prepare('SELECT * FROM audit_log WHERE seq = 20').get() as Record<string, unknown>;
      const forged: Record<string, unknown> = { ...last, seq: 21, client_id: 'mallory', prev_hash: last.hash };
      forged.hash = chainHash(String(last.hash), canonicalLine(forged));
      const cols = Object.keys(forged);
      db.prepare(`INSERT INTO audit_log (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`).run(...cols.map((c) => forged[c]));
    });
    const r = await runCli(['audit', 'verify', '--db', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('row 21 was inserted: it is beyond the recorded head (seq 20)');
  });

  it('says clearly when the file is not an audit database or does not exist', async () => {
    const bogus = `${tmp.dir}/bogus.db`;
    new Database(bogus).close();
    const r1 = await runCli(['audit', 'verify', '--db', bogus]);
    expect(r1.code).toBe(4);
    expect(r1.stderr).toContain('is not an mcp-warden audit database');
    const r2 = await runCli(['audit', 'verify', '--db', `${tmp.dir}/nope.db`]);
    expect(r2.code).toBe(4);
    expect(r2.stderr).toContain('does not exist');
    const r3 = await runCli(['audit', 'verify'], { cwd: tmp.dir });
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('use --db PATH or --config FILE');
  });
});
