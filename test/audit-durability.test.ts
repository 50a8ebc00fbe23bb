/**
 * Acceptance 2: under concurrent load, SIGKILL the recording process; after a restart every call
 * whose answer went out (printed after record() returned) is in the database and the chain verifies.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MAGIC } from '../src/audit/mapped-journal.js';
import { listJournals } from '../src/audit/spool.js';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, databaseBytes, runCli, tempDir } from './helpers/audit.js';

const CHILD = resolve('test/helpers/audit-load-child.mjs');

/** Runs the load child until it has answered `target` calls, then kills it with SIGKILL; returns every answered id. */
function loadAndKill(dbPath: string, target: number, run: string): Promise<{ answered: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CHILD, dbPath, '32', run], { stdio: ['ignore', 'pipe', 'inherit'] });
    const answered: string[] = [];
    let buffer = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('answered ')) answered.push(line.slice(9));
      }
      if (!killed && answered.length >= target) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', fail);
    // 'close' fires after stdout is drained: everything written before the kill is read.
    child.on('close', (_code, signal) => done({ answered, signal }));
  });
}

describe('audit durability against kill -9', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => tmp?.cleanup());

  it('keeps every answered call across SIGKILL and a restart, and verify passes', async () => {
    tmp = tempDir();
    const dbPath = `${tmp.dir}/audit.db`;
    const first = await loadAndKill(dbPath, 3000, 'first');
    expect(first.signal).toBe('SIGKILL');
    expect(first.answered.length).toBeGreaterThanOrEqual(3000);
    // The killed process left its journal behind.
    expect(listJournals(dbPath).length).toBe(1);
    // On Linux the journal is mapped into memory (the lines were stores into the page cache, no write()).
    const mapped = readFileSync(listJournals(dbPath)[0]!.files[0]!).subarray(0, MAGIC.length).equals(MAGIC);
    expect(mapped).toBe(process.platform === 'linux');
    const before = new Database(dbPath, { readonly: true });
    const committedAtKill = (before.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
    before.close();

    // A second run on the same files: it must import the journal at startup, then add more rows.
    const second = await loadAndKill(dbPath, 1000, 'second');
    expect(second.signal).toBe('SIGKILL');

    // Restart: opening the store imports whatever is left.
    const store = openAuditStore(auditConfig(dbPath));
    try {
      const db = new Database(dbPath, { readonly: true });
      const ids = new Set((db.prepare('SELECT request_id FROM audit_log').all() as Array<{ request_id: string }>).map((r) => JSON.parse(r.request_id) as string));
      const total = (db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT request_id) AS d FROM audit_log').get() as { n: number; d: number });
      db.close();
      const missing = [...first.answered, ...second.answered].filter((id) => !ids.has(id));
      expect(missing).toEqual([]);
      // Every row once: no duplicates from replaying the journal.
      expect(total.n).toBe(total.d);
      expect(store.verify()).toMatchObject({ ok: true });
      // Both paths were taken: raw rows (the child's even lanes) and parsed ones (the redacted password lanes too).
      const check = new Database(dbPath, { readonly: true });
      const byPath = check.prepare("SELECT SUM(client_id = 'client-raw' AND arguments NOT LIKE '%password%') AS raw, SUM(arguments LIKE '%[REDACTED]%') AS redacted FROM audit_log").get() as { raw: number; redacted: number };
      check.close();
      expect(byPath.raw).toBeGreaterThan(100);
      expect(byPath.redacted).toBeGreaterThan(100);
      // Some answered rows were only in the journal when the first process died (the interesting case)
      // or all had been committed; either way none is lost. Report it for the log.
      console.log(`answered ${first.answered.length}+${second.answered.length}, committed at first kill ${committedAtKill}, stored ${total.n}`);
    } finally {
      await store.close();
    }
    const cli = await runCli(['audit', 'verify', '--db', dbPath]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(databaseBytes(dbPath).includes(Buffer.from('hunter2-durable'))).toBe(false);
  }, 120_000);
});
