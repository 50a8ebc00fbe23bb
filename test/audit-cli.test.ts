/** The `audit` CLI (built): query filters and formats, tail, export in OPA decision-log shape, stats, --config, bad input. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, CLI, runCli, sampleRecord, tempDir } from './helpers/audit.js';

describe('audit CLI', () => {
  const tmp = tempDir();
  const db = `${tmp.dir}/data/audit.db`;
  const t0 = Date.UTC(2026, 2, 1, 12, 0, 0);

  beforeAll(async () => {
    const store = openAuditStore(auditConfig(db));
    store.record(sampleRecord({ time: t0, clientId: 'alice', clientName: 'Alice', tool: 'qubinode__list_vms', arguments: { filter: 'all' } }));
    store.record(
      sampleRecord({
        time: t0 + 1000,
        clientId: 'bob',
        clientName: 'Bob CI',
        tool: 'qubinode__delete_vm',
        arguments: { name: 'prod-db-1' },
        decision: 'deny',
        reasons: ['delete_vm requires the admin role'],
        outcome: 'denied',
        result: undefined,
        backendMicros: undefined,
      }),
    );
    store.record(sampleRecord({ time: t0 + 2000, clientId: 'carol', clientName: 'Carol', tool: 'qubinode__delete_vm', arguments: { name: 'scratch-9' }, decision: 'allow', reasons: [] }));
    store.record(sampleRecord({ time: t0 + 3000, clientId: 'alice', clientName: 'Alice', method: 'resources/read', tool: undefined, resource: 'file:///srv/notes.txt', arguments: undefined }));
    // Committed before the CLI reads (flush waits as long as it takes; close gives the writer 10 s,
    // then leaves uncommitted rows in the journal for the next writer: on a loaded host every query
    // below saw an empty database).
    await store.flush();
    await store.close();
    writeFileSync(
      `${tmp.dir}/warden.yaml`,
      'backends:\n  - name: qubinode\n    transport: stdio\n    command: node\n    args: [server.mjs]\naudit:\n  path: ./data/audit.db\npolicy:\n  package: mcp.warden.authz\n',
    );
  });
  afterAll(() => tmp.cleanup());

  it('answers "which client called delete_vm and was it allowed" in one command', async () => {
    const r = await runCli(['audit', 'query', '--db', db, '--tool', '*delete_vm', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ clientId: string; decision: string; reasons: string[]; arguments: unknown }>;
    expect(rows.map((x) => [x.clientId, x.decision, x.reasons])).toEqual([
      ['carol', 'allow', []],
      ['bob', 'deny', ['delete_vm requires the admin role']],
    ]);
    expect(rows[1]!.arguments).toEqual({ name: 'prod-db-1' });
    const table = await runCli(['audit', 'query', '--db', db, '--tool', '*delete_vm', '--table']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+TIME\s+CLIENT\s+ROLES\s+METHOD\s+TARGET\s+DECISION\s+OUTCOME\s+MS\s+REASONS$/);
    expect(lines[1]).toMatch(/carol \(Carol\).*qubinode__delete_vm @qubinode.*allow/);
    expect(lines[2]).toMatch(/bob \(Bob CI\).*qubinode__delete_vm @qubinode.*deny\s+denied.*delete_vm requires the admin role/);
  });

  it('filters by client, decision, method, time and argument text; NDJSON when piped', async () => {
    const ids = async (args: string[]): Promise<number[]> => {
      const r = await runCli(['audit', 'query', '--db', db, ...args]);
      expect(r.stderr).toBe('');
      return r.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq);
    };
    expect(await ids(['--client', 'alice'])).toEqual([4, 1]);
    expect(await ids(['--client', 'Bob CI'])).toEqual([2]);
    expect(await ids(['--decision', 'deny'])).toEqual([2]);
    expect(await ids(['--method', 'resources/read'])).toEqual([4]);
    expect(await ids(['--text', 'scratch'])).toEqual([3]);
    expect(await ids(['--since', new Date(t0 + 1000).toISOString(), '--until', String(t0 + 3000), '--asc'])).toEqual([2, 3]);
    expect(await ids(['--limit', '1'])).toEqual([4]);
  });

  it('reads the database path from --config', async () => {
    const r = await runCli(['audit', 'stats', '--config', `${tmp.dir}/warden.yaml`, '--json']);
    expect(r.code).toBe(0);
    const stats = JSON.parse(r.stdout);
    expect(stats.total).toBe(4);
    expect(stats.byDecision).toEqual([
      { key: 'allow', count: 3 },
      { key: 'deny', count: 1 },
    ]);
    expect(stats.byClient[0]).toEqual({ key: 'alice', count: 2 });
    expect(stats.byClientToolDecision).toContainEqual({ client: 'bob', tool: 'qubinode__delete_vm', decision: 'deny', count: 1 });
    expect(stats.truncated).toBeUndefined();
    // --top: each list cut to its largest groups, and the answer says which lists were cut.
    const top = await runCli(['audit', 'stats', '--config', `${tmp.dir}/warden.yaml`, '--json', '--top', '1']);
    expect(top.code).toBe(0);
    const cut = JSON.parse(top.stdout);
    expect(cut.byClient).toEqual([{ key: 'alice', count: 2 }]);
    expect(cut.byDecision).toEqual([{ key: 'allow', count: 3 }]);
    expect(cut.truncated).toEqual(expect.arrayContaining(['byClient', 'byTool', 'byDecision', 'byClientToolDecision']));
    const table = await runCli(['audit', 'stats', '--config', `${tmp.dir}/warden.yaml`, '--table', '--top', '1']);
    expect(table.stdout).toContain('(cut to the largest groups: byClient, byTool, byDecision');
    const bad = await runCli(['audit', 'stats', '--config', `${tmp.dir}/warden.yaml`, '--top', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--top');
  });

  it("--config reads only the audit section and policy.package: a backend's token variable need not be set", async () => {
    // An operator reading the audit on the proxy's host does not hold the backends' credentials.
    writeFileSync(
      `${tmp.dir}/with-secrets.yaml`,
      'backends:\n  - name: nomad\n    transport: sse\n    url: http://127.0.0.1:8000/sse\n    bearerToken: ${AUDIT_CLI_UNSET_TOKEN}\nauth:\n  jwt: { secret: "${AUDIT_CLI_UNSET_JWT}" }\naudit:\n  path: ./data/audit.db\npolicy:\n  package: mcp.warden.authz\n  dataFiles: ["${AUDIT_CLI_UNSET_DIR}/x.yaml"]\n',
    );
    const verify = await runCli(['audit', 'verify', '--config', `${tmp.dir}/with-secrets.yaml`]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    const exported = await runCli(['audit', 'export', '--config', `${tmp.dir}/with-secrets.yaml`]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout.trim().split('\n')[0]!)).toMatchObject({ path: 'mcp/warden/authz' });
    // A variable the audit section itself needs is still required, and named.
    writeFileSync(`${tmp.dir}/bad-audit.yaml`, 'audit:\n  path: ${AUDIT_CLI_UNSET_PATH}/audit.db\n');
    const bad = await runCli(['audit', 'verify', '--config', `${tmp.dir}/bad-audit.yaml`]);
    expect(bad).toMatchObject({ code: 3, stderr: `mcp-warden: invalid configuration:\n${tmp.dir}/bad-audit.yaml: audit.path: environment variable AUDIT_CLI_UNSET_PATH is not set\n` });
  });

  it('a reader that stops reading (audit query | head) ends the command quietly, exit 0', async () => {
    // It crashed with an unhandled EPIPE 'error' event and its stack trace (exit 1).
    for (const args of [['query', '--table'], ['export'], ['stats', '--json']]) {
      const proc = spawn(process.execPath, [CLI, 'audit', ...args, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout.destroy(); // the reader is gone before the first row is written
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => proc.once('close', (c) => resolve(c)));
      expect({ args, code, stderr }).toEqual({ args, code: 0, stderr: '' });
    }
  });

  it('exports OPA-style decision logs', async () => {
    const out = `${tmp.dir}/decisions.ndjson`;
    const r = await runCli(['audit', 'export', '--config', `${tmp.dir}/warden.yaml`, '--decision', 'deny', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('exported 1 decision to');
    const events = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      path: 'mcp/warden/authz',
      input: { method: 'tools/call', client: { id: 'bob', name: 'Bob CI' }, tool: { name: 'qubinode__delete_vm' }, arguments: { name: 'prod-db-1' } },
      result: { allow: false, decision: 'deny', reasons: ['delete_vm requires the admin role'], outcome: 'denied' },
      timestamp: new Date(t0 + 1000).toISOString(),
      labels: { app: 'mcp-warden' },
      bundles: { policy: { revision: 'sha256:abc' } },
      requested_by: 'bob',
      audit: { seq: 2 },
    });
    expect(events[0].decision_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('tail prints the newest rows oldest first, and -f follows new ones', async () => {
    const r = await runCli(['audit', 'tail', '--db', db, '-n', '2']);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).seq)).toEqual([3, 4]);
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./helpers/audit.js');
    const child = spawn(process.execPath, [CLI, 'audit', 'tail', '-f', '--db', db, '-n', '1', '--interval', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await expect.poll(() => out.split('\n').filter(Boolean).length, { timeout: 30_000 }).toBe(1);
      const store = openAuditStore(auditConfig(db));
      store.record(sampleRecord({ clientId: 'dave', tool: 'qubinode__delete_vm' }));
      await store.close();
      await expect.poll(() => out.split('\n').filter(Boolean).length, { timeout: 30_000 }).toBe(2);
      expect(JSON.parse(out.trim().split('\n')[1]!)).toMatchObject({ seq: 5, clientId: 'dave' });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('with no --db, --config or ./warden.yaml, reads the database the embedded default writes (./data/audit.db), or says there is none', async () => {
    // The directory `npx mcp-warden serve` ran in with no config: ./data/audit.db and no warden.yaml.
    const here = tempDir();
    try {
      mkdirSync(`${here.dir}/data`);
      writeFileSync(`${here.dir}/data/audit.db`, readFileSync(db));
      const r = await runCli(['audit', 'query', '--tool', '*delete_vm', '--json'], { cwd: here.dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as Array<{ clientId: string }>).map((x) => x.clientId)).toEqual(['carol', 'bob']);
      const verify = await runCli(['audit', 'verify'], { cwd: here.dir });
      expect(verify.code).toBe(0);
      // A warden.yaml here is the config, as before: its audit.path wins over the default.
      writeFileSync(`${here.dir}/warden.yaml`, 'audit:\n  path: ./elsewhere.db\n');
      const configured = await runCli(['audit', 'query'], { cwd: here.dir });
      expect(configured.code).toBe(4);
      expect(configured.stderr.trim()).toBe(`mcp-warden: audit database ${here.dir}/elsewhere.db does not exist`);
      rmSync(`${here.dir}/warden.yaml`);
      rmSync(`${here.dir}/data`, { recursive: true });
      const none = await runCli(['audit', 'stats'], { cwd: here.dir });
      expect(none.code).toBe(2);
      expect(none.stderr.trim()).toBe('mcp-warden: no audit database given, and no ./warden.yaml nor ./data/audit.db (the default serve and wrap write) here: use --db PATH or --config FILE');
    } finally {
      here.cleanup();
    }
  });

  it('rejects bad filter values with a usage error', async () => {
    const bad = await runCli(['audit', 'query', '--db', db, '--decision', 'perhaps']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--decision: unknown decision "perhaps" (expected one of allow, deny, shadow-deny, error)');
    const since = await runCli(['audit', 'query', '--db', db, '--since', 'yesterday-ish']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since: cannot read "yesterday-ish" as a time');
    const limit = await runCli(['audit', 'query', '--db', db, '--limit', '0']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('--limit: expected a positive integer, got "0"');
  });

  it('a path it cannot use is one line naming it, exit 4, no stack trace', async () => {
    const noDir = await runCli(['audit', 'export', '--db', db, '--output', `${tmp.dir}/missing-dir/out.ndjson`]);
    expect(noDir.code).toBe(4);
    expect(noDir.stderr.trim()).toBe(`mcp-warden: cannot write ${tmp.dir}/missing-dir/out.ndjson: no such directory`);
    writeFileSync(`${tmp.dir}/not-a-db`, 'plain text, not SQLite\n'.repeat(100));
    for (const command of ['query', 'tail', 'export', 'stats', 'verify']) {
      const notDb = await runCli(['audit', command, '--db', `${tmp.dir}/not-a-db`]);
      expect(notDb.code).toBe(4);
      expect(notDb.stderr.trim()).toBe(`mcp-warden: cannot read audit database ${tmp.dir}/not-a-db: file is not a database`);
      const dir = await runCli(['audit', command, '--db', tmp.dir]);
      expect(dir.code).toBe(4);
      expect(dir.stderr.trim()).toBe(`mcp-warden: audit database ${tmp.dir} is a directory, not a file`);
    }
    // The database itself (by another name too) is refused as the output: it was truncated (the audit log lost).
    const before = readFileSync(db);
    for (const output of [db, `${tmp.dir}/data/../data/audit.db`]) {
      const self = await runCli(['audit', 'export', '--db', db, '--output', output]);
      expect(self.code).toBe(2);
      expect(self.stderr.trim()).toBe(`mcp-warden: --output: ${output} is the audit database ${db} itself: not overwritten`);
    }
    expect(readFileSync(db).equals(before)).toBe(true);
    // So is a file of the database's journal (calls not yet in the database), by any name of its folder,
    // and a journal an earlier version left beside the database.
    const journalDir = `${db}.journal`;
    const preexisting = existsSync(journalDir);
    mkdirSync(journalDir, { recursive: true, mode: 0o700 });
    writeFileSync(`${journalDir}/segment-test`, 'journal lines\n');
    writeFileSync(`${db}.journal-old`, 'older journal lines\n');
    for (const [output, journal] of [
      [`${journalDir}/segment-test`, journalDir],
      [`${tmp.dir}/data/../data/audit.db.journal/segment-test`, journalDir],
      [`${journalDir}/new-file`, journalDir],
      [`${db}.journal-old`, `${db}.journal-old`],
    ]) {
      const inJournal = await runCli(['audit', 'export', '--db', db, '--output', output]);
      expect(inJournal.code).toBe(2);
      expect(inJournal.stderr.trim()).toBe(`mcp-warden: --output: ${output} is in the audit journal ${journal} (calls not yet in the database): not overwritten`);
    }
    expect(readFileSync(`${journalDir}/segment-test`, 'utf8')).toBe('journal lines\n');
    expect(readFileSync(`${db}.journal-old`, 'utf8')).toBe('older journal lines\n');
    expect(existsSync(`${journalDir}/new-file`)).toBe(false);
    rmSync(`${db}.journal-old`);
    if (preexisting) rmSync(`${journalDir}/segment-test`);
    else rmSync(journalDir, { recursive: true });
    // A file beside the database that only looks alike is written.
    const beside = await runCli(['audit', 'export', '--db', db, '--output', `${tmp.dir}/data/audit.db.journal.ndjson`]);
    expect(beside.code).toBe(0);
    expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
    // Nothing is created for a database that does not exist.
    const missing = await runCli(['audit', 'export', '--db', `${tmp.dir}/nope.db`, '--output', `${tmp.dir}/never.ndjson`]);
    expect(missing.code).toBe(4);
    expect(existsSync(`${tmp.dir}/never.ndjson`)).toBe(false);
  });
});
