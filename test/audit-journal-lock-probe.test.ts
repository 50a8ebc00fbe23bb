/**
 * Review: the journal locks (journal-lock.ts) as other processes touch them, with real processes,
 * real files and the real addon's flock(2):
 * - a liveness probe (`audit verify`'s orphanedJournals(): isJournalLive) must never make an
 *   importer skip a real orphan: the probe held the orphan's lock exclusively for a moment, and an
 *   importer that tried to claim it then took it for a live writer's and skipped it;
 * - a probe of a lock file deleted by hand (the writer makes it anew within a second) must not make
 *   it anew itself: the probe's open created an empty, unlocked file, the writer then saw the file
 *   and never locked it again, and the next importer claimed the live journal (and would import
 *   and remove its segments);
 * - a writer killed between locking `<id>.lock.new` and renaming it leaves that empty file: the
 *   next writer's start removes it once it is old and unlocked, and leaves a young or a held one.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { claimOrphan } from '../src/audit/journal-lock.js';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { journalDir, listJournals } from '../src/audit/spool.js';
import { auditConfig } from './helpers/audit.js';
import { auditTempEach, flocked } from './helpers/audit-journal.js';
import { ROOT } from './helpers/proxy.js';
import { runsUnless } from './helpers/skip-reason.js';
import { until } from './helpers/wait.js';

const DIST_LOCK = join(ROOT, 'dist/audit/journal-lock.js');
const ADDON = join(ROOT, 'native/build/Release/warden_journal.node');

function noLocks(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  const { addon } = journalAddon();
  if (addon?.lock === undefined) return 'the native journal addon is not built, or has no lock() (npm run build:native)';
  if (!existsSync(DIST_LOCK)) return 'dist/ is not built (npm run build)';
  return undefined;
}

/** A node child running `code` (CommonJS) with `lock` (dist's journal-lock.js) and `addon` loaded; resolves once it printed "ready". */
function child(code: string): Promise<ChildProcess> {
  const script = `
    const addon = require(${JSON.stringify(ADDON)});
    import(${JSON.stringify(new URL(`file://${DIST_LOCK}`).href)}).then((lock) => { ${code} });`;
  const proc = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(proc));
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready`)));
  });
}

describe.runIf(runsUnless('audit-journal-lock-probe', noLocks()))('journal locks under probes and kills', () => {
  const t = auditTempEach();
  const children = t.children;

  it('an importer claims a real orphan every time while another process probes its liveness without pause', async () => {
    const file = join(t.dir, '4242-0badc0de.lock');
    writeFileSync(file, '', { mode: 0o600 }); // its writer is gone: nobody holds it
    const orphan = { id: '4242-0badc0de', pid: 4242, lockFile: file };
    // `audit verify` probing it over and over (each probe is one isJournalLive)
    children.push(await child(`const j = ${JSON.stringify(orphan)}; process.stdout.write('ready'); for (;;) lock.isJournalLive(j);`));
    let skipped = 0;
    let tries = 0;
    for (const start = Date.now(); Date.now() - start < 1000; tries++) {
      const claim = claimOrphan(orphan);
      if (claim === undefined) skipped++;
      else claim?.release(false);
    }
    expect(skipped, `claims of a real orphan skipped (of ${tries}) while it was probed`).toBe(0);
  });

  it("a probe right after a live writer's lock file was deleted by hand does not make it anew unlocked: an importer still leaves the journal alone", async () => {
    const dir = join(t.dir, 'audit.db.journal');
    const id = '4343-0ddba11';
    const file = join(dir, `${id}.lock`);
    // A live writer (another process) holding its journal's lock, checking every second that the file is there.
    children.push(await child(`require('node:fs').mkdirSync(${JSON.stringify(dir)}, { recursive: true }); lock.holdOwnJournal(${JSON.stringify(dir)}, ${JSON.stringify(id)}); process.stdout.write('ready'); setInterval(() => {}, 1000);`));
    expect(existsSync(file)).toBe(true);
    const journal = { id, pid: children[0]!.pid!, lockFile: file };
    unlinkSync(file); // by hand
    const { isJournalLive } = await import('../src/audit/journal-lock.js');
    expect(isJournalLive(journal)).toBe(true); // its pid is alive
    // Past the writer's check (LOCK_FILE_CHECK_MS, every second): it has made its file anew and
    // holds it. Waited for (a lock on the file at that path in /proc/locks), not assumed after 2.5 s:
    // the child's timer runs late on a busy host. A file the probe made anew unlocked is never
    // locked (the bug): the wait then runs out and the claim below takes the journal.
    if (existsSync('/proc/locks')) await until(() => flocked(file), 'the writer to make its lock file anew and lock it').catch(() => undefined);
    else await new Promise((r) => setTimeout(r, 2500));
    const claim = claimOrphan(journal);
    claim?.release(false);
    expect(claim, 'the live journal was claimed as an orphan').toBeUndefined();
  });

  it('a lock file that is not a regular file (a FIFO) neither hangs a liveness probe nor is claimed', async () => {
    const file = join(t.dir, '4747-0badf1f0.lock');
    execFileSync('mkfifo', [file]);
    const orphan = { id: '4747-0badf1f0', pid: 4747, lockFile: file };
    // In a child: an open() that blocks would block it for good (killed by the timeout).
    const script = `import(${JSON.stringify(new URL(`file://${DIST_LOCK}`).href)}).then((lock) => {
      const j = ${JSON.stringify(orphan)};
      const live = lock.isJournalLive(j);
      let claimed;
      try { claimed = lock.claimOrphan(j) !== undefined; } catch (err) { claimed = err.code; }
      process.stdout.write(JSON.stringify({ live, claimed }));
    });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, 'the probe hung on the FIFO').toBeNull();
    expect(JSON.parse(r.stdout)).toEqual({ live: true, claimed: false });
  });

  it("a writer killed between locking <id>.lock.new and renaming it leaves an empty file that the next writer's start removes once old and unlocked", async () => {
    const db = join(t.dir, 'audit.db');
    const dir = journalDir(db);
    const killed = join(dir, '4444-abad1dea.lock.new');
    // Locked the way holdOwnJournal() locks it, then SIGKILL before the rename.
    const p = await child(`require('node:fs').mkdirSync(${JSON.stringify(dir)}, { recursive: true, mode: 0o700 }); addon.lock(${JSON.stringify(killed)}); process.stdout.write('ready'); setInterval(() => {}, 1000);`);
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
    expect(existsSync(killed)).toBe(true);
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(killed, old, old);
    // A young one (a writer may be between its open and its flock) and an old one still held (a writer between flock and rename).
    const young = join(dir, '4545-abad1dea.lock.new');
    writeFileSync(young, '', { mode: 0o600 });
    const held = join(dir, '4646-abad1dea.lock.new');
    children.push(await child(`addon.lock(${JSON.stringify(held)}); process.stdout.write('ready'); setInterval(() => {}, 1000);`));
    utimesSync(held, old, old);

    const store = openAuditStore(auditConfig(db));
    try {
      expect(existsSync(killed), 'the stale <id>.lock.new of the killed writer').toBe(false);
      expect(existsSync(young)).toBe(true);
      expect(existsSync(held)).toBe(true);
      // None is taken for a journal.
      expect(listJournals(db).map((j) => j.id)).not.toContain('4444-abad1dea');
    } finally {
      await store.close();
    }
  });
});
