/**
 * `audit verify` prints values read from the database it checks: the head hash on success, the
 * stored hash of an `--expect`ed row that differs, the key id of another chain key. Whoever can
 * write that file (the one verify is there to catch) chooses them. A hash of ESC[2K, CR and a fake
 * "ok: ... rows verified" line erased the FAILED message on the operator's terminal and showed
 * success in its place (exit code 1 all the same). Every such value now reaches the terminal as
 * visible `\uXXXX` text, in the text and in the --json output. Real SQLite files, the built CLI.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, runCli, sampleRecord, tempDir } from './helpers/audit.js';

/** Bytes a terminal acts on: C0 controls but newline, DEL, C1 controls, bidi marks. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FAKE_OK = '\u001b[1A\u001b[2K\rok: 9000 rows verified (seq 1-9000), head 9000:' + 'a'.repeat(64) + '\u001b[8m\u009b8m\u202e';

describe('audit verify output on a terminal', () => {
  const tmp = tempDir();
  let n = 0;
  afterAll(() => tmp.cleanup());

  async function database(edit: (db: Database.Database) => void): Promise<string> {
    const path = `${tmp.dir}/audit-${n++}.db`;
    const store = openAuditStore(auditConfig(path));
    for (let i = 0; i < 3; i++) store.record(sampleRecord({ requestId: i }));
    await store.flush();
    await store.close();
    const db = new Database(path);
    edit(db);
    db.close();
    return path;
  }
  const setMeta = (db: Database.Database, key: string, value: string) => db.prepare('UPDATE audit_meta SET value = ? WHERE key = ?').run(value, key);

  it('a stored hash holding escape sequences is shown escaped (--expect failure, success, --json)', async () => {
    // Every row removed, as retention would, with the anchor (and head) set to the attacker's text.
    const path = await database((db) => {
      db.prepare('DELETE FROM audit_log').run();
      for (const key of ['anchor_hash', 'head_hash']) setMeta(db, key, FAKE_OK);
      for (const key of ['anchor_seq', 'head_seq']) setMeta(db, key, '3');
    });
    const failed = await runCli(['audit', 'verify', '--db', path, '--expect', `3:${'b'.repeat(64)}`]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('audit verify FAILED: row 3 has hash \\u001b[1A\\u001b[2K ok: 9000 rows');
    const plain = await runCli(['audit', 'verify', '--db', path]);
    const json = await runCli(['audit', 'verify', '--db', path, '--json']);
    const jsonFailed = await runCli(['audit', 'verify', '--db', path, '--json', '--expect', `3:${'b'.repeat(64)}`]);
    for (const r of [failed, plain, json, jsonFailed]) {
      expect(r.stdout).not.toMatch(CONTROL);
      expect(r.stderr).not.toMatch(CONTROL);
    }
    expect((JSON.parse(json.stdout) as { headHash: string }).headHash).toBe(FAKE_OK);
  });

  it('a chain key id holding escape sequences is shown escaped (exit 3)', async () => {
    const path = await database((db) => {
      setMeta(db, 'chain_mode', 'hmac-sha256');
      setMeta(db, 'chain_key_id', FAKE_OK);
    });
    const r = await runCli(['audit', 'verify', '--db', path]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('chained with HMAC-SHA256 with key id \\u001b[1A');
    expect(r.stderr).not.toMatch(CONTROL);
  });
});
