import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditBackpressureError, openAuditReader, openAuditStore, type AuditStore } from '../src/audit/index.js';
import { AuditRecorder } from '../src/audit/recorder.js';
import { configureWriter, migrate } from '../src/audit/schema.js';
import { listJournals, Spool } from '../src/audit/spool.js';
import { auditConfig, databaseBytes, sampleRecord, tempDir } from './helpers/audit.js';

describe('audit store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: AuditStore | undefined;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    tmp.cleanup();
  });

  it('stores every field of a record, once, in a verifiable chain', async () => {
    const path = `${tmp.dir}/audit.db`;
    store = openAuditStore(auditConfig(path));
    const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    store.record(
      sampleRecord({
        time,
        requestId: 'req-9',
        tool: 'qubinode__delete_vm',
        resource: 'file:///etc/hosts',
        prompt: 'summarize',
        arguments: { name: 'vm-7', force: true },
        decision: 'shadow-deny',
        reasons: ['destructive tool', 'outside business hours'],
        outcome: 'rpc_error',
        errorCode: -32603,
        errorMessage: 'backend exploded',
        isError: true,
        result: { content: [{ type: 'text', text: 'gone' }] },
        decisionMicros: 17.6,
        backendMicros: 2500.2,
        requestBytes: 111,
        responseBytes: 222,
      }),
    );
    await store.flush();
    const { rows } = store.query();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      seq: 1,
      time,
      clientId: 'alice',
      clientName: 'Alice (laptop)',
      authMethod: 'api_key',
      sessionId: 'sess-1',
      transport: 'streamable-http',
      backend: 'qubinode',
      method: 'tools/call',
      requestId: 'req-9',
      tool: 'qubinode__delete_vm',
      resource: 'file:///etc/hosts',
      prompt: 'summarize',
      arguments: { name: 'vm-7', force: true },
      argumentsSha256: null,
      decision: 'shadow-deny',
      reasons: ['destructive tool', 'outside business hours'],
      policyVersion: 'sha256:abc',
      outcome: 'rpc_error',
      errorCode: -32603,
      errorMessage: 'backend exploded',
      isError: true,
      result: { content: [{ type: 'text', text: 'gone' }] },
      decisionMicros: 18,
      backendMicros: 2500,
      requestBytes: 111,
      responseBytes: 222,
    });
    expect(rows[0]!.argumentsBytes).toBe(JSON.stringify({ name: 'vm-7', force: true }).length);
    expect(rows[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(store.verify()).toMatchObject({ ok: true, rows: 1, headSeq: 1 });
    // Numeric request ids keep their type.
    store.record(sampleRecord({ requestId: 12 }));
    await store.flush();
    expect(store.query({ limit: 1 }).rows[0]!.requestId).toBe(12);
  });

  it('keeps secrets out of the database, WAL and journal files', async () => {
    const path = `${tmp.dir}/audit.db`;
    store = openAuditStore(auditConfig(path));
    const secrets = ['pw-Sup3rSecret-111', 'tok-abcdef-222', 'ak-live-333', 'Bearer hdr-444', 'ref-tok-555', 'cs-666', 'policy-masked-777', 'sk-pattern888'];
    store.record(
      sampleRecord({
        arguments: {
          user: 'bob',
          password: secrets[0],
          nested: { deeper: [{ Token: secrets[1] }, { API_KEY: secrets[2] }] },
          headers: { Authorization: secrets[3] },
          refresh_token: secrets[4],
          clientSecret: secrets[5],
          card: { number: secrets[6] },
          note: `key is ${secrets[7]} ok`,
        },
        result: { content: [{ type: 'text', text: `your token ${secrets[7]}` }], apiKey: secrets[2] },
        errorMessage: `failed with ${secrets[7]}`,
        redact: [{ field: 'card.number' }, { pattern: 'sk-[a-z0-9]+', replacement: '[KEY]' }],
      }),
    );
    await store.flush();
    const row = store.query().rows[0]!;
    expect(row.arguments).toEqual({
      user: 'bob',
      password: '[REDACTED]',
      nested: { deeper: [{ Token: '[REDACTED]' }, { API_KEY: '[REDACTED]' }] },
      headers: { Authorization: '[REDACTED]' },
      refresh_token: '[REDACTED]',
      clientSecret: '[REDACTED]',
      card: { number: '[REDACTED]' },
      note: 'key is [KEY] ok',
    });
    expect(row.errorMessage).toBe('failed with [KEY]');
    // Bytes on disk while the store is open (WAL and journal present) and after close.
    for (const phase of ['open', 'closed']) {
      if (phase === 'closed') {
        await store!.close();
        store = undefined;
      }
      const bytes = databaseBytes(path);
      expect(bytes.length).toBeGreaterThan(0);
      for (const s of secrets) expect(bytes.includes(Buffer.from(s)), `${s} found in files (${phase})`).toBe(false);
      expect(bytes.includes(Buffer.from('bob'))).toBe(true);
    }
  });

  it('stores payloads over maxPayloadBytes as their hash and size', async () => {
    store = openAuditStore(auditConfig(`${tmp.dir}/audit.db`, { maxPayloadBytes: 64 }));
    const big = { blob: 'x'.repeat(1000) };
    store.record(sampleRecord({ arguments: big, result: { ok: true } }));
    await store.flush();
    const row = store.query().rows[0]!;
    expect(row.arguments).toBeNull();
    expect(row.argumentsBytes).toBe(JSON.stringify(big).length);
    expect(row.argumentsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row.result).toEqual({ ok: true });
    expect(databaseBytes(`${tmp.dir}/audit.db`).includes(Buffer.from('x'.repeat(200)))).toBe(false);
  });

  it('filters by client, tool, backend, decision, method, time and argument text, with cursor paging', async () => {
    store = openAuditStore(auditConfig(`${tmp.dir}/audit.db`));
    const t0 = Date.UTC(2026, 5, 1);
    for (let i = 0; i < 30; i++) {
      store.record(
        sampleRecord({
          time: t0 + i * 60_000,
          clientId: `c${i % 3}`,
          clientName: `Client ${i % 3}`,
          tool: i % 2 ? 'delete_vm' : 'list_vms',
          backend: i % 5 === 0 ? 'nomad' : 'qubinode',
          method: i === 29 ? 'resources/read' : 'tools/call',
          decision: i % 2 ? 'deny' : 'allow',
          arguments: { vm: `vm-${i}` },
        }),
      );
    }
    await store.flush();
    expect(store.query({ client: 'c1', limit: 100 }).rows).toHaveLength(10);
    expect(store.query({ client: 'Client 1', limit: 100 }).rows).toHaveLength(10);
    expect(store.query({ tool: 'delete_*', limit: 100 }).rows).toHaveLength(15);
    expect(store.query({ backend: 'nomad', limit: 100 }).rows.map((r) => r.seq)).toEqual([26, 21, 16, 11, 6, 1]);
    expect(store.query({ decision: 'deny,error', limit: 100 }).rows.every((r) => r.decision === 'deny')).toBe(true);
    expect(store.query({ method: 'resources/read' }).rows.map((r) => r.seq)).toEqual([30]);
    expect(store.query({ since: t0 + 10 * 60_000, until: t0 + 12 * 60_000 }).rows.map((r) => r.seq)).toEqual([12, 11]);
    expect(store.query({ text: 'vm-17' }).rows.map((r) => r.seq)).toEqual([18]);
    expect(store.query({ text: '100%' }).rows).toHaveLength(0);
    expect(() => store!.query({ decision: 'maybe' })).toThrow(/unknown decision "maybe"/);
    const seen: number[] = [];
    let cursor: number | undefined;
    do {
      const page = store.query({ limit: 7, cursor });
      seen.push(...page.rows.map((r) => r.seq));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
    const stats = store.stats();
    expect(stats.total).toBe(30);
    expect(stats.byDecision).toEqual([
      { key: 'allow', count: 15 },
      { key: 'deny', count: 15 },
    ]);
    expect(stats.byClient.map((c) => c.count)).toEqual([10, 10, 10]);
  });

  it('fail-closed back-pressure throws instead of dropping; block returns a promise that settles', async () => {
    const path = `${tmp.dir}/audit.db`;
    store = openAuditStore(auditConfig(path, { maxQueue: 5, backpressure: 'fail-closed', flushIntervalMs: 10_000 }));
    // One turn: mapped, each record is in the journal at once; with write(), the first at once, the next four together at the end of the turn.
    const accepted = Array.from({ length: 5 }, (_, i) => store!.record(sampleRecord({ requestId: i })));
    expect(accepted[0]).toBeUndefined();
    expect(() => store!.record(sampleRecord({ requestId: 99 }))).toThrow(AuditBackpressureError);
    await Promise.all(accepted);
    await store.flush();
    expect(store.record(sampleRecord({ requestId: 5 }))).toBeUndefined();
    await store.close();
    store = openAuditStore(auditConfig(path, { maxQueue: 3, backpressure: 'block', flushIntervalMs: 20 }));
    const results = Array.from({ length: 6 }, (_, i) => store!.record(sampleRecord({ requestId: 100 + i })));
    expect(results[0]).toBeUndefined();
    // Within the bound: mapped (the default here), in the journal at once; beyond it, a promise.
    expect(results.slice(1, 3)).toEqual([undefined, undefined]);
    expect(results.slice(3).every((r) => r instanceof Promise)).toBe(true);
    // Within the bound: settles once the turn's lines are in the journal, before the writer commits anything.
    await results[2];
    expect(store.queued).toBe(6);
    // Beyond it: settles only once the writer is back within the bound.
    await results[5];
    expect(store.queued).toBeLessThanOrEqual(3);
    await Promise.all(results);
    await store.flush();
    expect(store.stats().total).toBe(12);
    expect(store.verify().ok).toBe(true);
  });

  it('imports journal lines left by a process that died before they were committed', async () => {
    const path = `${tmp.dir}/audit.db`;
    store = openAuditStore(auditConfig(path, { flushIntervalMs: 60_000 }));
    for (let i = 0; i < 3; i++) store.record(sampleRecord({ requestId: i }));
    await store.flush();
    // These stay in the journal only: the flush interval is long and nothing flushes them. (Their
    // record() settles once they are in the journal: only then would their answers go out.)
    await Promise.all(Array.from({ length: 5 }, (_, i) => store!.record(sampleRecord({ requestId: 3 + i }))));
    const peek = new Database(path, { readonly: true });
    expect(peek.prepare('SELECT COUNT(*) AS n FROM audit_log').get()).toEqual({ n: 3 });
    peek.close();
    // Simulate the crash: copy the files as they are now, naming the journal after a process that is gone.
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const copy = `${tmp.dir}/copy`;
    mkdirSync(copy);
    for (const n of readdirSync(tmp.dir)) {
      if (n.startsWith('audit.db') && n !== 'audit.db.journal') copyFileSync(`${tmp.dir}/${n}`, `${copy}/${n}`);
    }
    // The journal goes where an earlier version kept it, beside the database: it is imported all the
    // same (the kill tests import journals from their own directory, audit.db.journal/).
    for (const n of readdirSync(`${tmp.dir}/audit.db.journal`)) {
      copyFileSync(`${tmp.dir}/audit.db.journal/${n}`, `${copy}/audit.db.journal-${n.replace(`${process.pid}-`, `${deadPid}-`)}`);
    }
    expect(listJournals(`${copy}/audit.db`).map((j) => j.pid)).toEqual([Number(deadPid)]);
    const copyDb = new Database(`${copy}/audit.db`);
    copyDb.prepare('UPDATE audit_journal SET id = ? || substr(id, ?)').run(deadPid, String(process.pid).length + 1);
    copyDb.close();
    const reopened = openAuditStore(auditConfig(`${copy}/audit.db`));
    try {
      expect(reopened.query({ order: 'asc', limit: 100 }).rows.map((r) => r.requestId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(reopened.verify().ok).toBe(true);
      reopened.record(sampleRecord({ requestId: 8 }));
      await reopened.flush();
      expect(reopened.verify()).toMatchObject({ ok: true, rows: 9 });
    } finally {
      await reopened.close();
    }
    // Imported and closed cleanly: no journal is left.
    expect(listJournals(`${copy}/audit.db`)).toEqual([]);
  });

  it('lets several processes write one database into one chain', async () => {
    const path = `${tmp.dir}/audit.db`;
    store = openAuditStore(auditConfig(path, { flushIntervalMs: 5 }));
    const second = openAuditStore(auditConfig(path, { flushIntervalMs: 5 }));
    try {
      for (let i = 0; i < 200; i++) {
        (i % 2 ? store : second).record(sampleRecord({ requestId: i, clientId: i % 2 ? 'first' : 'second' }));
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2));
      }
      await Promise.all([store.flush(), second.flush()]);
      expect(store.verify()).toMatchObject({ ok: true, rows: 200, headSeq: 200 });
      expect(store.stats().byClient).toEqual([
        { key: 'first', count: 100 },
        { key: 'second', count: 100 },
      ]);
    } finally {
      await second.close();
    }
  });

  it('restarts a writer thread that died and commits everything it had not', async () => {
    const path = `${tmp.dir}/audit.db`;
    const init = new Database(path);
    configureWriter(init);
    migrate(init);
    init.close();
    const spool = new Spool(path);
    const recorder = new AuditRecorder({
      dbPath: path,
      spool,
      redactFields: ['password'],
      maxPayloadBytes: 1024,
      flushIntervalMs: 10,
      maxQueue: 1000,
      backpressure: 'block',
      retentionIntervalMs: 60_000,
      writerNice: 0,
    });
    recorder.record(sampleRecord({ requestId: 'before' }));
    await recorder.flush();
    await (recorder as unknown as { writer: { worker: { terminate(): Promise<number> } } }).writer.worker.terminate();
    for (let i = 0; i < 5; i++) recorder.record(sampleRecord({ requestId: `after-${i}` }));
    await recorder.flush();
    await recorder.close();
    const reader = openAuditReader(path);
    try {
      expect(reader.query({ order: 'asc' }).rows.map((r) => r.requestId)).toEqual(['before', 'after-0', 'after-1', 'after-2', 'after-3', 'after-4']);
      expect(reader.verify().ok).toBe(true);
    } finally {
      reader.close();
    }
  });

  it('retention removes old rows and keeps the chain verifiable', async () => {
    const path = `${tmp.dir}/audit.db`;
    const now = Date.now();
    store = openAuditStore(auditConfig(path));
    for (let i = 0; i < 20; i++) store.record(sampleRecord({ time: now - (20 - i) * 86_400_000, requestId: i }));
    await store.close();
    // rows: keep the newest 15; the job runs at startup in the writer thread.
    store = openAuditStore(auditConfig(path, { retention: { rows: 15 } }));
    await expect.poll(() => store!.stats().total, { timeout: 30_000 }).toBe(15);
    expect(store.verify()).toMatchObject({ ok: true, rows: 15, anchorSeq: 5 });
    await store.close();
    // days: rows 7 days old and older go (ages 6..1 days stay).
    store = openAuditStore(auditConfig(path, { retention: { days: 7 } }));
    await expect.poll(() => store!.stats().total, { timeout: 30_000 }).toBe(6);
    store.record(sampleRecord({ requestId: 'new' }));
    await store.flush();
    expect(store.verify()).toMatchObject({ ok: true, rows: 7, anchorSeq: 14, headSeq: 21 });
    // The periodic job: with a short interval, rows beyond the bound go while the store is running.
    await store.close();
    store = openAuditStore(auditConfig(path, { retention: { rows: 10, intervalSeconds: 0.2 } }));
    for (let i = 0; i < 12; i++) store.record(sampleRecord({ requestId: `p${i}` }));
    await store.flush();
    await expect.poll(() => store!.stats().total, { timeout: 30_000 }).toBe(10);
    expect(store.verify()).toMatchObject({ ok: true, rows: 10, anchorSeq: 23, headSeq: 33 });
    // Deleting the first remaining row is still detected after retention.
    await store.close();
    store = undefined;
    const db = new Database(path);
    db.prepare('DELETE FROM audit_log WHERE seq = 25').run();
    db.close();
    const check = openAuditStore(auditConfig(path));
    try {
      expect(check.verify()).toMatchObject({ ok: false, problem: { kind: 'deleted', seq: 25 } });
    } finally {
      await check.close();
    }
  });
});
