/**
 * A journal segment deleted from under the proxy (by hand, by a tmp cleaner) before the writer
 * thread first read it. The writer reads its batches from the segment files (JournalRange), and it
 * used to open them by name: it then retried that batch forever, rows stopped reaching SQLite and
 * nobody was told. The journal now keeps each segment open from its first batch until its lines
 * are committed (a deleted but open file stays readable), so every row still reaches the database
 * and the chain verifies; lines that truly cannot be read back (the file was cut short) fail the
 * audit closed with an error naming the file and the rows at stake, instead of a retry loop.
 * Real files, the real addon, the real recorder and writer thread, a real `serve` process.
 */
import { readdirSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { openAuditReader } from '../src/audit/index.js';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { AuditRecorder } from '../src/audit/recorder.js';
import { configureWriter, migrate } from '../src/audit/schema.js';
import { journalDir, listJournals, Spool } from '../src/audit/spool.js';
import { runCli, sampleRecord } from './helpers/audit.js';
import { auditTempEach, expectStoredInOrder, storedVmNames } from './helpers/audit-journal.js';
import { ROOT, startServe } from './helpers/proxy.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';
import { keptLogger } from './helpers/kept-logger.js';

const addon = journalAddon().addon;
const QUBINODE = join(ROOT, 'test/servers/qubinode-server.mjs');

function newDatabase(path: string): void {
  const init = new Database(path);
  configureWriter(init);
  migrate(init);
  init.close();
}

/** Deletes every segment file of the database's journal (its lock file stays); how many. */
function deleteSegments(dbPath: string): number {
  const dir = journalDir(dbPath);
  let n = 0;
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.lock')) continue;
    try {
      unlinkSync(join(dir, name));
      n++;
    } catch {
      // gone already
    }
  }
  return n;
}

/** Settles with 'timeout' if `p` does not settle within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
}


function recorderOn(path: string, spool: Spool, extra: Partial<ConstructorParameters<typeof AuditRecorder>[0]> = {}): AuditRecorder {
  return new AuditRecorder({
    dbPath: path,
    spool,
    redactFields: ['password'],
    maxPayloadBytes: 1024,
    flushIntervalMs: 20,
    maxQueue: 100_000,
    backpressure: 'block',
    retentionIntervalMs: 60_000,
    writerNice: 0,
    ...extra,
  });
}

describe.runIf(runsUnless('audit-journal-deleted', noMappedJournal(addon, true)))('a journal segment deleted before the writer read it', () => {
  const t = auditTempEach();

  it('segments deleted as soon as they appear, across rotations in place: every row reaches the database, in order, and the chain verifies', async () => {
    const path = t.path;
    newDatabase(path);
    // Two pages per segment: dozens of rotations (each a new file) in 600 rows.
    const { logger, lines } = keptLogger();
    const spool = new Spool(path, { segmentBytes: 8192, logger });
    expect(spool.mode).toBe('mapped');
    const recorder = recorderOn(path, spool, { logger, flushIntervalMs: 60_000 });
    const internals = recorder as unknown as { post(): void };
    const ids: string[] = [];
    let deleted = 0;
    try {
      for (let b = 0; b < 120; b++) {
        for (let i = 0; i < 5; i++) {
          const id = `r${b}-${i}`;
          ids.push(id);
          await recorder.record(sampleRecord({ requestId: id, arguments: { filter: id } }));
        }
        // The segment being written is gone before the writer is handed its lines.
        deleted += deleteSegments(path);
        internals.post();
        // Let the batch commit (a commit rotates a segment three quarters full: a new file).
        if (b % 3 === 0) await within(recorder.flush(), 2_000);
      }
      expect(deleted).toBeGreaterThan(10);
      // Before the fix the writer retried the first batch forever: flush never settled.
      expect(await within(recorder.flush(), 60_000)).toBeUndefined();
      expect(recorder.queued).toBe(0);
    } finally {
      await within(recorder.close(), 15_000);
    }
    expectStoredInOrder(path, ids);
    // The deletion was noticed and said (a deleted journal would not survive a crash of the process).
    expect(lines.some((l) => l.level === 40 && /deleted/.test(String(l.msg)))).toBe(true);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  }, 120_000);

  it('lines that cannot be read back (their file was cut short before the writer read them): the audit fails closed at once, naming the file and the rows at stake', async () => {
    const path = t.path;
    newDatabase(path);
    const spool = new Spool(path, { segmentBytes: 8192 });
    const { logger, lines } = keptLogger();
    const failures: Error[] = [];
    const recorder = recorderOn(path, spool, { logger, flushIntervalMs: 60_000, onFailure: (err) => failures.push(err) });
    const internals = recorder as unknown as { post(): void };
    // Another connection holds the database's write lock: the writer waits (busy_timeout) on its first batch.
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    let released = false;
    try {
      for (let i = 0; i < 10; i++) await recorder.record(sampleRecord({ requestId: `a${i}` }));
      internals.post();
      for (let i = 0; i < 10; i++) await recorder.record(sampleRecord({ requestId: `b${i}` }));
      internals.post();
      const first = listJournals(path)[0]!.files[0]!;
      // Rotate (the memory moves to the next file): the first file's lines are only in that file now.
      for (let i = 0; i < 200 && listJournals(path)[0]!.files.length < 2; i++) await recorder.record(sampleRecord({ requestId: `c${i}` }));
      expect(listJournals(path)[0]!.files.length).toBeGreaterThan(1);
      truncateSync(first, 100);
      blocker.exec('COMMIT');
      released = true;
      const deadline = Date.now() + 60_000;
      while (failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(failures.length).toBe(1);
      expect(failures[0]!.message).toContain(first);
      expect(failures[0]!.message).toMatch(/\d+ rows? not committed/);
      const fatal = lines.filter((l) => l.level >= 50);
      expect(fatal.length).toBeGreaterThan(0);
      expect(JSON.stringify(fatal)).toContain(first);
      // From then on every record is refused (the proxy denies), and a flush does not wait forever.
      expect(() => recorder.record(sampleRecord({ requestId: 'after' }))).toThrow(/audit journal/);
      await expect(within(recorder.flush(), 30_000)).rejects.toThrow(first);
    } finally {
      if (!released) blocker.exec('COMMIT');
      blocker.close();
      const started = Date.now();
      await within(recorder.close(), 15_000);
      // No wait for a writer that cannot finish: its close did not run out (said at error level),
      // and took well under the 10 s it waits for a writer.
      expect(lines.filter((l) => /did not finish in time/.test(String(l.msg)))).toEqual([]);
      expect(Date.now() - started).toBeLessThan(9_000);
    }
    // What it could not commit stays in the journal for the next start (nothing deleted).
    expect(listJournals(path).flatMap((j) => j.files).length).toBeGreaterThan(0);
  });
});

describe('a journal segment deleted while in use, journal written with write() (not mapped)', () => {
  const t = auditTempEach();

  it('every row reaches the database, the deletion is said at the next commit and the journal moves to a new file', async () => {
    const path = t.path;
    newDatabase(path);
    const { logger, lines } = keptLogger();
    const spool = new Spool(path, { segmentBytes: 8192, logger, mapped: false });
    expect(spool.mode).toBe('write');
    const recorder = recorderOn(path, spool, { logger, flushIntervalMs: 60_000 });
    const internals = recorder as unknown as { post(): void };
    const ids: string[] = [];
    try {
      for (let b = 0; b < 20; b++) {
        for (let i = 0; i < 5; i++) {
          const id = `w${b}-${i}`;
          ids.push(id);
          await recorder.record(sampleRecord({ requestId: id }));
        }
        deleteSegments(path);
        internals.post();
        expect(await within(recorder.flush(), 30_000)).toBeUndefined();
      }
      // The file in use when the last commit came is a new one, still there.
      expect(listJournals(path)[0]!.files.length).toBe(1);
    } finally {
      await within(recorder.close(), 15_000);
    }
    expectStoredInOrder(path, ids);
    expect(lines.filter((l) => l.level === 40 && /deleted/.test(String(l.msg))).length).toBeGreaterThanOrEqual(20);
  });
});

describe.runIf(runsUnless('audit-journal-deleted', noMappedJournal(addon, true)))('a journal segment deleted under load through serve', () => {
  it('every answered call is in the database after a clean stop, and `audit verify` passes', async () => {
    const serve = await startServe(`
backends:
  - { name: qubinode, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(QUBINODE)}] }
policy: { paths: [allow-all], watch: false }
auth: { anonymous: true }
audit: { path: ./audit.db }
`);
    const db = join(serve.dir, 'audit.db');
    try {
      // The running proxy's segment is deleted before any call: the writer has not opened it yet.
      expect(deleteSegments(db)).toBe(1);
      const clients: Client[] = [];
      for (let i = 0; i < 4; i++) {
        const c = new Client({ name: `load-${i}`, version: '1.0.0' });
        await c.connect(new StreamableHTTPClientTransport(new URL(serve.url)));
        clients.push(c);
      }
      const tool = (await clients[0]!.listTools()).tools.find((t) => t.name.endsWith('get_vm_info'))!.name;
      const answered: string[] = [];
      let n = 0;
      const lane = async (c: Client): Promise<void> => {
        for (let k = 0; k < 50; k++) {
          const id = `call-${n++}`;
          await c.callTool({ name: tool, arguments: { vm_name: id } });
          answered.push(id);
        }
      };
      await Promise.all(clients.flatMap((c) => Array.from({ length: 4 }, () => lane(c))));
      for (const c of clients) await c.close();
      expect(answered.length).toBe(800);
      const exited = new Promise<number | null>((r) => serve.proc.once('exit', (code) => r(code)));
      const started = Date.now();
      serve.proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      // Before the fix: the writer never finished, shutdown waited 10 s for it (and said so at
      // error level) and the rows were lost (checked below).
      expect(serve.stderr()).not.toMatch(/did not finish in time/);
      expect(Date.now() - started).toBeLessThan(9_500);

      const reader = openAuditReader(db);
      try {
        const stored = storedVmNames(reader);
        expect(answered.filter((id) => !stored.has(id))).toEqual([]);
        expect([...stored.values()].every((count) => count === 1)).toBe(true);
      } finally {
        reader.close();
      }
      const verify = await runCli(['audit', 'verify', '--db', db]);
      expect(verify.code).toBe(0);
      expect(serve.stderr()).toMatch(/deleted/);
    } finally {
      await serve.stop('SIGKILL');
    }
  }, 120_000);
});
