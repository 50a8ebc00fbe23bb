/**
 * audit.chainKey: rows chained with HMAC-SHA256. Someone who can write the database but does not
 * hold the key cannot make an edited chain verify, even by recomputing every hash; writers and
 * verifiers with another key (or none) are refused with a clear message.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainKeyError, openAuditStore } from '../src/audit/index.js';
import { canonicalLine, chainHash } from '../src/audit/row.js';
import { auditConfig, CLI, sampleRecord, tempDir } from './helpers/audit.js';
import { execFile } from 'node:child_process';
import { copyFileSync } from 'node:fs';

const KEY = 'k3y-for-the-audit-chain-0001';

function verifyCli(db: string, env: Record<string, string> = {}, extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, 'audit', 'verify', '--db', db, ...extra], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** What an attacker without the key can do: edit a row, then recompute every hash with plain SHA-256. */
function rewriteChain(path: string, edit: string): void {
  const db = new Database(path);
  db.exec(edit);
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Array<Record<string, unknown>>;
  let prev = '0'.repeat(64);
  const update = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?');
  for (const row of rows) {
    const hash = chainHash(prev, canonicalLine(row));
    update.run(prev, hash, row.seq);
    prev = hash;
  }
  db.prepare("UPDATE audit_meta SET value = ? WHERE key = 'head_hash'").run(prev);
  db.close();
}

describe('keyed audit chain', () => {
  const tmp = tempDir();
  const path = `${tmp.dir}/audit.db`;

  beforeAll(async () => {
    const store = openAuditStore(auditConfig(path, { chainKey: KEY }));
    for (let i = 0; i < 10; i++) store.record(sampleRecord({ requestId: i, decision: i === 4 ? 'deny' : 'allow' }));
    await store.flush();
    expect(store.verify()).toMatchObject({ ok: true, rows: 10 });
    await store.close();
  });
  afterAll(() => tmp.cleanup());

  it('verifies with the key, and refuses to verify without it or with another', async () => {
    const ok = await verifyCli(path, { AUDIT_KEY: KEY }, ['--key-env', 'AUDIT_KEY']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok: 10 rows verified');
    const none = await verifyCli(path);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/chained with HMAC-SHA256 with key id [0-9a-f]{16}, not plain SHA-256 \(no key\) \(give the key as audit.chainKey/);
    const wrong = await verifyCli(path, { AUDIT_KEY: 'another-key-entirely-9999' }, ['--key-env', 'AUDIT_KEY']);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('not HMAC-SHA256 with key id');
    const unset = await verifyCli(path, {}, ['--key-env', 'NO_SUCH_VAR_FOR_AUDIT']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('--key-env: environment variable NO_SUCH_VAR_FOR_AUDIT is not set');
  });

  it('detects an edit even when the whole chain was recomputed without the key', async () => {
    const copy = `${tmp.dir}/rewritten.db`;
    copyFileSync(path, copy);
    rewriteChain(copy, "UPDATE audit_log SET decision = 'allow', reasons = '[]' WHERE seq = 5");
    const r = await verifyCli(copy, { AUDIT_KEY: KEY }, ['--key-env', 'AUDIT_KEY']);
    expect(r.code).toBe(1);
    // Every row now carries a plain SHA-256; the first one fails the keyed check.
    expect(r.stderr).toContain('audit verify FAILED: row 1 was changed');
  });

  it('refuses writers with another key or none, and keyed writers on a plain database', () => {
    expect(() => openAuditStore(auditConfig(path, { chainKey: 'another-key-entirely-9999' }))).toThrow(ChainKeyError);
    expect(() => openAuditStore(auditConfig(path))).toThrow(/chained with HMAC-SHA256/);
    const plain = `${tmp.dir}/plain.db`;
    return (async () => {
      const store = openAuditStore(auditConfig(plain));
      store.record(sampleRecord());
      await store.flush(); // a chained row in the database (close alone gives the writer 10 s)
      await store.close();
      expect(() => openAuditStore(auditConfig(plain, { chainKey: KEY }))).toThrow(/chained with plain SHA-256 \(no key\), not HMAC-SHA256/);
    })();
  });

  it('rejects a short key in the config', () => {
    expect(() => auditConfig(path, { chainKey: 'short' })).toThrow(/at least 16 characters/);
  });
});
