/**
 * Schema migration of a database made by the previous version: test/fixtures/audit/schema-v2.db was
 * written by mcp-warden at schema version 2 (four indexes: time, client, tool, decision; 40 parsed
 * records, every decision, `password` arguments redacted, then 10 raw entries). Opened by this
 * version it migrates to the current schema (the partial decision index, no client index), verifies,
 * answers the same queries with the same rows, takes new rows on the same chain, and still names the
 * first tampered row.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditReader, openAuditStore, type AuditStore } from '../src/audit/index.js';
import { PAGE_SIZE, SCHEMA_VERSION } from '../src/audit/schema.js';
import { auditConfig, runCli, sampleRecord, tempDir } from './helpers/audit.js';

const FIXTURE = 'test/fixtures/audit/schema-v2.db';

function indexes(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'audit_log%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  } finally {
    db.close();
  }
}

function plan(path: string, sql: string, params: unknown[]): string {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
  } finally {
    db.close();
  }
}

describe('audit schema migration from version 2', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: AuditStore | undefined;
  let path: string;
  beforeEach(() => {
    tmp = tempDir();
    path = `${tmp.dir}/audit.db`;
    copyFileSync(FIXTURE, path);
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    tmp.cleanup();
  });

  it('the fixture is a version 2 database with the old indexes', () => {
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
    expect(indexes(path)).toEqual(['audit_log_client', 'audit_log_decision', 'audit_log_time', 'audit_log_tool']);
    expect(SCHEMA_VERSION).toBe(4);
  });

  it('migrates, verifies, answers the same queries and keeps the chain going', async () => {
    // What the previous version's reader would answer, read before the migration.
    const before = openAuditReader(path);
    const denies = before.query({ decision: 'deny,shadow-deny,error', order: 'asc', limit: 1000 }).rows;
    const all = before.query({ order: 'asc', limit: 1000 }).rows;
    const stats = before.stats();
    before.close();
    expect(all).toHaveLength(50);
    expect(denies.map((r) => r.decision).sort()).toEqual([...Array(5).fill('deny'), ...Array(5).fill('error'), ...Array(5).fill('shadow-deny')]);

    store = openAuditStore(auditConfig(path));
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    expect(indexes(path)).toEqual(['audit_log_not_allowed', 'audit_log_time', 'audit_log_tool']);
    expect(store.verify()).toMatchObject({ ok: true, rows: 50 });

    expect(store.query({ order: 'asc', limit: 1000 }).rows).toEqual(all);
    expect(store.query({ decision: 'deny,shadow-deny,error', order: 'asc', limit: 1000 }).rows).toEqual(denies);
    expect(store.query({ decision: 'deny', order: 'asc' }).rows.map((r) => r.seq)).toEqual(denies.filter((r) => r.decision === 'deny').map((r) => r.seq));
    expect(store.query({ decision: 'allow', limit: 1000 }).rows).toHaveLength(35);
    expect(store.query({ decision: 'allow,deny', limit: 1000 }).rows).toHaveLength(40);
    expect(store.query({ client: 'client-1', tool: 'qubinode__delete_vm', order: 'asc' }).rows.map((r) => [r.seq, r.decision])).toEqual(
      all.filter((r) => r.clientId === 'client-1' && r.tool === 'qubinode__delete_vm').map((r) => [r.seq, r.decision]),
    );
    expect(store.stats()).toEqual(stats);

    // New rows go on the same chain, after the old head.
    store.record(sampleRecord({ decision: 'deny', outcome: 'denied', tool: 'qubinode__delete_vm', reasons: ['after migration'] }));
    store.record(sampleRecord());
    await store.flush();
    expect(store.verify()).toMatchObject({ ok: true, rows: 52 });
    const newest = store.query({ decision: 'deny', limit: 1 }).rows[0]!;
    expect([newest.seq, newest.reasons]).toEqual([51, ['after migration']]);
    await store.close();
    store = undefined;
    // No secret of the old rows anywhere in the file.
    expect(readFileSync(path).includes('hunter2-fixture')).toBe(false);
  });

  it('an existing database keeps its page size; a new one gets PAGE_SIZE; both take rows and verify', async () => {
    const pageSize = (file: string): number => {
      const db = new Database(file, { readonly: true });
      try {
        return db.pragma('page_size', { simple: true }) as number;
      } finally {
        db.close();
      }
    };
    expect(pageSize(path)).toBe(4096);
    const fresh = `${tmp.dir}/fresh.db`;
    for (const file of [path, fresh]) {
      store = openAuditStore(auditConfig(file));
      for (let i = 0; i < 300; i++) store.record(sampleRecord({ requestId: i }));
      await store.flush();
      await store.close();
      store = undefined;
    }
    expect(PAGE_SIZE).toBe(16384);
    expect(pageSize(path)).toBe(4096);
    expect(pageSize(fresh)).toBe(PAGE_SIZE);
    for (const [file, rows] of [[path, 350], [fresh, 300]] as const) {
      const reader = openAuditReader(file);
      try {
        expect(reader.verify()).toMatchObject({ ok: true, rows });
      } finally {
        reader.close();
      }
    }
  });

  it('queries on a decision other than allow use the partial index; allow walks the table', async () => {
    store = openAuditStore(auditConfig(path));
    await store.close();
    store = undefined;
    const q = "SELECT * FROM audit_log WHERE decision IN (?) AND decision <> 'allow' ORDER BY seq DESC LIMIT 101";
    expect(plan(path, q, ['deny'])).toContain('USING INDEX audit_log_not_allowed');
    expect(plan(path, 'SELECT * FROM audit_log WHERE tool = ? ORDER BY seq DESC LIMIT 101', ['x'])).toContain('USING INDEX audit_log_tool');
  });

  it('audit verify names the first row tampered with after the migration and exits non-zero', async () => {
    store = openAuditStore(auditConfig(path));
    await store.close();
    store = undefined;
    const db = new Database(path);
    db.prepare("UPDATE audit_log SET decision = 'allow' WHERE seq = 3").run();
    db.close();
    const res = await runCli(['audit', 'verify', '--db', path]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('audit verify FAILED: row 3 was changed');
  });
});
