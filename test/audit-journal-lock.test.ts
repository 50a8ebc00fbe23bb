/**
 * Journals of writers in other pid namespaces. Several mcp-warden processes may share one audit
 * database (one `wrap` per MCP server; containers sharing a volume, a rolling restart where the old
 * container still runs). In a container each is PID 1, and a pid from another container means
 * nothing here, so a journal's pid cannot tell whether its writer runs: its lock does
 * (src/audit/journal-lock.ts, flock on `<id>.lock`). A journal whose lock is held is left to its
 * writer; once that writer is killed (SIGKILL), the next writer imports it, once, and removes it.
 * Real processes, real pid namespaces (unshare, where this host allows it), real SQLite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runsUnless } from './helpers/skip-reason.js';
import { openAuditReader, openAuditStore, Redactor } from '../src/audit/index.js';
import { journalBody } from '../src/audit/journal-line.js';
import { journalDir, listJournals } from '../src/audit/spool.js';
import { auditConfig, sampleRecord } from './helpers/audit.js';
import { auditTempEach, expectImportedOnce } from './helpers/audit-journal.js';
import { ROOT } from './helpers/proxy.js';
import { containerWrap, noPidNamespaces } from './helpers/pid-namespace.js';

const ADDON = join(ROOT, 'native/build/Release/warden_journal.node');
/** A pid no process can have (above Linux's largest pid_max, 2^22). */
const NO_SUCH_PID = 4_999_999;

const canLock = process.platform === 'linux' && existsSync(ADDON);
/** Why pid namespaces cannot be made here, or undefined when `unshare --pid --fork` works. */
const noNamespaces = noPidNamespaces();
if (!canLock) console.log('audit-journal-lock: skipped: the native journal addon is not built (npm ci builds it on Linux)');
else if (noNamespaces) console.log(`audit-journal-lock: the pid-namespace case is skipped: ${noNamespaces}`);

function lines(first: number, count: number): string {
  const redactor = new Redactor(['password']);
  return Array.from({ length: count }, (_, i) => `${first + i} ${journalBody(sampleRecord({ requestId: `held-${first + i}` }), redactor, 4096)}\n`).join('');
}

/** A process holding the lock `file` with the addon until it is killed; resolves once it holds it. */
function holdLock(file: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `const a = require(${JSON.stringify(ADDON)}); const h = a.lock(${JSON.stringify(file)}); process.stdout.write(h ? 'held\\n' : 'busy\\n'); setInterval(() => {}, 1e6);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => (d.toString().startsWith('held') ? resolve(child) : reject(new Error('lock busy'))));
    child.once('error', reject);
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGKILL');
  });
}

describe.runIf(runsUnless('audit-journal-lock', canLock ? undefined : 'needs Linux and the native journal addon (npm ci builds it)'))('audit journals locked by their writers', () => {
  const t = auditTempEach();
  const children = t.children;

  it('leaves a journal alone while its lock is held, whatever its pid says, and imports it once after its writer is killed', async () => {
    const first = openAuditStore(auditConfig(t.path));
    await first.close();
    const id = `${NO_SUCH_PID}-0badc0de`;
    mkdirSync(journalDir(t.path), { recursive: true });
    writeFileSync(join(journalDir(t.path), `${id}-1`), lines(1, 3), { mode: 0o600 });
    const holder = await holdLock(join(journalDir(t.path), `${id}.lock`));
    children.push(holder);

    // The pid is of no process here (as another container's would be), yet the lock is held: live.
    const reader = openAuditReader(t.path);
    expect(reader.orphanedJournals()).toBe(0);
    reader.close();
    const store = openAuditStore(auditConfig(t.path));
    try {
      expect(store.verify()).toMatchObject({ ok: true, rows: 0 });
    } finally {
      await store.close();
    }
    expect(listJournals(t.path).map((j) => [j.id, j.files.length, j.lockFile !== undefined])).toEqual([[id, 1, true]]);

    await killed(holder);
    const after = openAuditReader(t.path);
    expect(after.orphanedJournals()).toBe(1);
    after.close();
    // Imported once: segments and lock file are gone, and nothing is imported twice.
    await expectImportedOnce(t.path, ['held-1', 'held-2', 'held-3']);
  });

  it('removes the lock file a closed store leaves no journal behind, and a stale lock file alone', async () => {
    const store = openAuditStore(auditConfig(t.path));
    expect(listJournals(t.path)).toHaveLength(1);
    expect(listJournals(t.path)[0]!.lockFile).toBeDefined();
    await store.close();
    expect(listJournals(t.path)).toEqual([]);

    // A lock file without segments, its holder gone (killed between taking the lock and its first segment).
    writeFileSync(join(journalDir(t.path), `${NO_SUCH_PID}-feedf00d.lock`), '', { mode: 0o600 });
    const next = openAuditStore(auditConfig(t.path));
    try {
      expect(next.verify()).toMatchObject({ ok: true, rows: 0 });
      expect(listJournals(t.path).map((j) => j.id)).not.toContain(`${NO_SUCH_PID}-feedf00d`);
    } finally {
      await next.close();
    }
  });

  it.runIf(runsUnless('audit-journal-lock (pid namespaces)', noNamespaces))('two wraps, each PID 1 of its own pid namespace, share a database: neither takes the other\'s journal; after kill -9 every answered call is in it once', async () => {
    const a = containerWrap(t.path);
    children.push(a.proc);
    await a.ready;
    const answeredA = await a.calls(1, 200);
    const journalsA = listJournals(t.path);
    expect(journalsA).toHaveLength(1);
    expect(journalsA[0]!.pid).toBe(1);

    // The second "container" starts while the first runs: same pid, same database.
    const b = containerWrap(t.path);
    children.push(b.proc);
    await b.ready;
    const answeredB = await b.calls(1001, 50);
    const ofA = listJournals(t.path).find((j) => j.id === journalsA[0]!.id);
    expect(ofA?.files.length ?? 0).toBeGreaterThan(0);
    expect(ofA!.files.every((f) => existsSync(f))).toBe(true);

    // More calls through the first, then kill -9 of its whole pid namespace (unshare --kill-child).
    answeredA.push(...(await a.calls(201, 300)));
    await killed(a.proc);
    b.proc.stdin!.end();
    await new Promise((resolve) => b.proc.once('close', resolve));

    const store = openAuditStore(auditConfig(t.path));
    try {
      const rows = store.query({ order: 'asc', limit: 10_000, method: 'tools/call' }).rows;
      const ids = rows.map((r) => Number(r.requestId));
      for (const id of [...answeredA, ...answeredB]) expect(ids.filter((x) => x === id)).toHaveLength(1);
      expect(store.verify()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
    expect(listJournals(t.path)).toEqual([]);
  });
});
