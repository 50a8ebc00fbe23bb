/**
 * The client's roles in audit rows (schema 4, docs/audit.md "Tamper evidence"): a database written
 * by the previous version (test/fixtures/audit/schema-v3.db, made by make-schema-v3.mjs with the
 * schema-3 build: 30 parsed records of two JWT clients, then 40 raw entries of one head) is
 * migrated when this version opens it. Its rows keep their hashes and verify; new rows, parsed and
 * raw (a head past the rows after which it gets an INSERT of its own), carry the roles and go on
 * the same chain; `audit verify` passes through the real CLI. Editing a new row's roles (changing,
 * removing) or giving an old row roles makes `audit verify` name that row. `--role` filters, the
 * table shows the roles, and `audit export` puts them under input.client.roles. Through real
 * `wrap` processes (auth.stdioClient roles): the raw path (allow-all; the roles ride in the
 * session's head, both journals) and the parsed path (a policy that reads the input) store the same
 * rows with the same roles.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditReader, openAuditStore, type AuditStore } from '../src/audit/index.js';
import { SCHEMA_VERSION } from '../src/audit/schema.js';
import { listJournals, readSegment } from '../src/audit/spool.js';
import type { RawRecordHead } from '../src/types.js';
import { auditConfig, CLI, runCli, sampleRecord, tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';

const FIXTURE = 'test/fixtures/audit/schema-v3.db';
const OLD_ROWS = 70;
const OLD_HEAD_HASH = '107eb7152401eb067c4e7fb381fbf13dd615fce3175ebb7f73663f5d32f0a7ff';

function columns(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.pragma('table_info(audit_log)') as Array<{ name: string }>).map((c) => c.name);
  } finally {
    db.close();
  }
}

const OPS: RawRecordHead = {
  clientId: 'local:ops',
  clientName: 'ops',
  authMethod: 'local',
  roles: ['operator', 'reader'],
  sessionId: 'stdio-2',
  transport: 'stdio',
  backend: 'containarium',
  decision: 'allow',
  reasons: [],
  policyVersion: 'sha256:v4',
  decisionMicros: 0,
};

/** Rows 71.. : alice [admin] allowed delete_vm, bob [dev] denied, anonymous (no roles), 40 raw entries of OPS, 2 of a head without roles. */
async function writeNewRows(store: AuditStore): Promise<void> {
  const t = 1_790_000_100_000;
  store.record(sampleRecord({ time: t, clientId: 'alice', clientName: 'Alice', authMethod: 'jwt', roles: ['admin'], tool: 'containarium__delete_vm', requestId: 71 }));
  store.record(
    sampleRecord({ time: t + 1, clientId: 'bob', clientName: 'Bob', authMethod: 'jwt', roles: ['dev'], tool: 'containarium__delete_vm', decision: 'deny', outcome: 'denied', reasons: ['delete_vm requires the admin role'], result: undefined, requestId: 72 }),
  );
  store.record(sampleRecord({ time: t + 2, clientId: 'anonymous', clientName: 'anonymous', authMethod: 'anonymous', roles: [], requestId: 73 }));
  for (let i = 0; i < 42; i++) {
    const request = `{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"list_vms","arguments":{"page":${i}}}}`;
    const answer = `{"jsonrpc":"2.0","id":${i},"result":{"content":[{"type":"text","text":"page ${i}"}]}}`;
    const head = i < 40 ? OPS : { ...OPS, roles: undefined, sessionId: 'stdio-3' };
    await store.recordRaw!(head, t + 10 + i, 300, request, request.length, answer, answer.length);
  }
  await store.flush();
}

async function cliJson(args: string[]): Promise<Array<Record<string, unknown>>> {
  const r = await runCli(['audit', 'query', '--json', '--asc', '--limit', '1000', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

describe('audit rows carry the client roles (schema 4)', () => {
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

  it('a schema 3 database read without migrating it (the CLI reads read-only): a role filter matches no row, and stats count every row under no role', async () => {
    const reader = openAuditReader(path);
    try {
      expect(columns(path)).not.toContain('roles');
      expect(reader.query({ role: 'admin' }).rows).toEqual([]);
      expect(reader.query({ limit: 1000 }).rows).toHaveLength(OLD_ROWS);
      expect(reader.stats({ role: 'admin' }).total).toBe(0);
      expect(reader.stats().byRole).toEqual([{ key: null, count: OLD_ROWS }]);
    } finally {
      reader.close();
    }
    const cli = await runCli(['audit', 'query', '--db', path, '--role', 'admin', '--json']);
    expect([cli.code, cli.stderr, cli.stdout.trim()]).toEqual([0, '', '[]']);
    expect(columns(path)).not.toContain('roles');
  });

  it('migrates a schema 3 database: its rows verify as they were, new rows carry roles on the same chain', async () => {
    const before = new Database(path, { readonly: true });
    expect(before.pragma('user_version', { simple: true })).toBe(3);
    before.close();
    expect(columns(path)).not.toContain('roles');
    expect(SCHEMA_VERSION).toBe(4);

    store = openAuditStore(auditConfig(path));
    expect(columns(path)).toContain('roles');
    expect(store.verify()).toMatchObject({ ok: true, rows: OLD_ROWS, headHash: OLD_HEAD_HASH });
    await writeNewRows(store);
    expect(store.verify()).toMatchObject({ ok: true, rows: OLD_ROWS + 45 });
    await store.close();
    store = undefined;
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(4);
    const stored = after.prepare('SELECT seq, client_id, roles FROM audit_log ORDER BY seq').all() as Array<{ seq: number; client_id: string; roles: string | null }>;
    after.close();
    // The old rows were written without roles (the previous version did not store them).
    expect(stored.slice(0, OLD_ROWS).every((r) => r.roles === null)).toBe(true);
    expect(stored.slice(OLD_ROWS, OLD_ROWS + 3).map((r) => [r.client_id, r.roles])).toEqual([
      ['alice', '["admin"]'],
      ['bob', '["dev"]'],
      ['anonymous', null],
    ]);
    expect(stored.slice(OLD_ROWS + 3).map((r) => r.roles)).toEqual([...Array(40).fill('["operator","reader"]'), null, null]);

    const verify = await runCli(['audit', 'verify', '--db', path]);
    expect([verify.code, verify.stderr]).toEqual([0, '']);

    // Counts per role: a row once for each of its roles, rows without roles under null.
    const reader = openAuditReader(path);
    try {
      expect(reader.stats().byRole).toEqual([
        { key: null, count: OLD_ROWS + 3 },
        { key: 'operator', count: 40 },
        { key: 'reader', count: 40 },
        { key: 'admin', count: 1 },
        { key: 'dev', count: 1 },
      ]);
      expect(reader.stats({ role: 'admin' })).toMatchObject({ total: 1, byRole: [{ key: 'admin', count: 1 }] });
    } finally {
      reader.close();
    }

    // Who called delete_vm, was it allowed, with which roles?
    const deletes = await cliJson(['--db', path, '--tool', '*delete_vm', '--since', '1790000100000']);
    expect(deletes.map((r) => [r.clientId, r.roles, r.decision, r.reasons])).toEqual([
      ['alice', ['admin'], 'allow', []],
      ['bob', ['dev'], 'deny', ['delete_vm requires the admin role']],
    ]);
    expect((await cliJson(['--db', path, '--role', 'admin'])).map((r) => r.seq)).toEqual([OLD_ROWS + 1]);
    expect((await cliJson(['--db', path, '--role', 'read*'])).map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => OLD_ROWS + 4 + i));
    expect(await cliJson(['--db', path, '--role', 'nobody'])).toEqual([]);
    const old = await cliJson(['--db', path, '--until', '1790000100000', '--limit', '2']);
    expect(old.map((r) => r.roles)).toEqual([null, null]);

    const table = await runCli(['audit', 'query', '--db', path, '--table', '--role', 'dev']);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.split('\n');
    expect(header).toMatch(/CLIENT\s+ROLES\s+METHOD/);
    expect(row).toMatch(/^\d+\s+\S+\s+bob \(Bob\)\s+dev\s+tools\/call/);

    const exported = await runCli(['audit', 'export', '--db', path]);
    expect(exported.code).toBe(0);
    const events = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { input: { client: Record<string, unknown> }; audit: { seq: number } });
    expect(events).toHaveLength(OLD_ROWS + 45);
    expect(events[0]!.input.client).toEqual({ id: 'alice', name: 'Alice', auth: 'jwt' });
    expect(events[OLD_ROWS]!.input.client).toEqual({ id: 'alice', name: 'Alice', auth: 'jwt', roles: ['admin'] });
    expect(events[OLD_ROWS + 3]!.input.client).toEqual({ id: 'local:ops', name: 'ops', auth: 'local', roles: ['operator', 'reader'] });
  });

  it("audit verify names the row whose roles were edited, removed, or given to a row that had none", async () => {
    store = openAuditStore(auditConfig(path));
    await writeNewRows(store);
    await store.close();
    store = undefined;
    const edits: Array<[number, string | null, string]> = [
      [OLD_ROWS + 2, '["admin"]', 'a parsed row: dev made admin'],
      [OLD_ROWS + 1, null, 'a parsed row: its roles removed'],
      [OLD_ROWS + 1, '["admin","dev"]', 'a parsed row: a role added'],
      [OLD_ROWS + 20, '["admin"]', 'a raw row of a head with its own INSERT'],
      [OLD_ROWS + 44, '["admin"]', 'a raw row without roles given some'],
      [OLD_ROWS + 3, '[]', 'an anonymous row given an empty list'],
      [5, '["admin"]', 'a row from before the migration given roles'],
    ];
    for (const [seq, roles, what] of edits) {
      const db = new Database(path);
      const was = db.prepare('SELECT roles FROM audit_log WHERE seq = ?').pluck().get(seq) as string | null;
      expect(was, what).not.toBe(roles);
      db.prepare('UPDATE audit_log SET roles = ? WHERE seq = ?').run(roles, seq);
      db.close();
      const reader = openAuditReader(path);
      try {
        expect(reader.verify().problem, what).toMatchObject({ kind: 'changed', seq });
      } finally {
        reader.close();
      }
      // The CLI (one process each: for the first and the last edit) says it and exits 1.
      if (seq === edits[0]![0] || seq === edits.at(-1)![0]) {
        const res = await runCli(['audit', 'verify', '--db', path]);
        expect(res.code, what).toBe(1);
        expect(res.stderr, what).toContain(`audit verify FAILED: row ${seq} was changed`);
      }
      // Put back: the chain verifies again (the check is about that one value).
      const fix = new Database(path);
      fix.prepare('UPDATE audit_log SET roles = ? WHERE seq = ?').run(was, seq);
      fix.close();
      const again = openAuditReader(path);
      try {
        expect(again.verify(), what).toMatchObject({ ok: true, rows: OLD_ROWS + 45 });
      } finally {
        again.close();
      }
    }
  });

  it('through wrap: the raw path and the parsed path store the same rows with the roles of auth.stdioClient', async () => {
    writeFileSync(join(tmp.dir, 'warden.yaml'), 'auth:\n  stdioClient: { id: ops-desk, name: Ops, roles: [vm-operator, reader] }\npolicy: { watch: false }\n');
    // Judges every call (reads the tool's name), so every call is parsed; allows them all.
    writeFileSync(join(tmp.dir, 'judged.rego'), 'package mcp.authz\nimport rego.v1\nallow if input.tool.name != "never"\nallow if not input.tool\n');
    const runs: Array<[string, string, Record<string, string>]> = [
      ['raw.db', 'allow-all', {}],
      ['raw-write.db', 'allow-all', { MCP_WARDEN_AUDIT_JOURNAL: 'write' }],
      ['parsed.db', join(tmp.dir, 'judged.rego'), {}],
    ];
    const stored: unknown[][] = [];
    for (const [name, policy, env] of runs) {
      const db = join(tmp.dir, name);
      await wrapSession(db, policy, env, join(tmp.dir, 'warden.yaml'));
      // Killed once every call was answered: the journal it left holds every entry. Raw entries
      // carry the roles in their head; parsed ones as the last value of their line.
      const journal = listJournals(db).flatMap((j) => j.files.map((f) => readSegment(f))).join('');
      const raw = journal.match(/^\d+ R.*\["vm-operator","reader"\]\]\t/gm)?.length ?? 0;
      const parsed = journal.match(/^\d+ \[.*,"\[\\"vm-operator\\",\\"reader\\"\]"\]\t/gm)?.length ?? 0;
      expect([name, raw, parsed]).toEqual([name, ...(policy === 'allow-all' ? [40, 1] : [0, 41])]);
      // The next writer imports the journal.
      await openAuditStore(auditConfig(db)).close();
      const verify = await runCli(['audit', 'verify', '--db', db]);
      expect([name, verify.code, verify.stderr]).toEqual([name, 0, '']);
      const handle = new Database(db, { readonly: true });
      try {
        stored.push(handle.prepare('SELECT client_id, auth_method, roles, method, request_id, tool, arguments, decision, outcome, result FROM audit_log ORDER BY seq').raw().all());
      } finally {
        handle.close();
      }
    }
    // initialize and 40 calls (past the rows after which a raw head gets its own INSERT).
    expect(stored[0]).toHaveLength(41);
    expect(new Set(stored[0]!.map((r) => (r as unknown[])[2]))).toEqual(new Set(['["vm-operator","reader"]']));
    expect(stored[1]).toEqual(stored[0]);
    expect(stored[2]).toEqual(stored[0]);
    expect((await cliJson(['--db', join(tmp.dir, 'raw.db'), '--role', 'vm-operator', '--method', 'tools/call'])).length).toBe(40);
  });
});

/** One session through `wrap` (real pipes, audit on): initialize, 40 echo calls, then SIGKILL once all are answered (the journal holds them). */
async function wrapSession(db: string, policy: string, env: Record<string, string>, config: string): Promise<void> {
  const proc = spawn(process.execPath, [CLI, 'wrap', '--policy', policy, '--config', config, '--audit', db, '--', process.execPath, join(ROOT, 'test/servers/raw-audit-backend.mjs')], {
    cwd: ROOT,
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  let buffer = '';
  let answered = 0;
  await new Promise<void>((resolve, reject) => {
    proc.once('exit', () => reject(new Error(`wrap exited; stderr:\n${stderr}`)));
    proc.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const id = (JSON.parse(buffer.slice(0, nl)) as { id: number }).id;
        buffer = buffer.slice(nl + 1);
        if (id === 1) {
          proc.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
          for (let i = 2; i < 42; i++) proc.stdin.write(`{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"echo","arguments":{"text":"vm-${i}"}}}\n`);
        } else if (++answered === 40) resolve();
      }
    });
    proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`);
  });
  proc.kill('SIGKILL');
  await exited;
}
