/**
 * Review: two processes importing the same orphaned journals at once (two wraps started together on
 * one database, or one starting while another closes). An importer lists the journals first, then
 * claims each in turn (journal-lock.ts: flock on `<id>.lock`); by the time it claims one, another
 * process may have imported it, removed its segments and its lock file. The claim then succeeds
 * (the lock file is made anew) and the importer must find nothing left to import, not fail to open
 * the database because a segment it listed earlier is gone. Real processes (the built store), real
 * files, real SQLite; the order is forced by making the first journal listed large and the second small.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openAuditStore, Redactor } from '../src/audit/index.js';
import { journalBody } from '../src/audit/journal-line.js';
import { journalDir, listJournals } from '../src/audit/spool.js';
import { auditConfig, sampleRecord } from './helpers/audit.js';
import { auditTempEach, flocked } from './helpers/audit-journal.js';
import { ROOT } from './helpers/proxy.js';
import { runsUnless } from './helpers/skip-reason.js';

const ADDON = join(ROOT, 'native/build/Release/warden_journal.node');
const canLock = process.platform === 'linux' && existsSync(ADDON) && existsSync('/proc/locks');
/** A pid no process can have (above Linux's largest pid_max). */
const NO_SUCH_PID = 4_999_999;

const redactor = new Redactor(['password']);
/** The large journal: segments imported one transaction each, all under its one claim, for seconds. */
const BIG_SEGMENTS = 50;
const BIG_LINES = 1_500;
function lines(tag: string, first: number, count: number): string {
  const body = (n: number) => journalBody(sampleRecord({ requestId: `${tag}-${n}` }), redactor, 4096);
  return Array.from({ length: count }, (_, i) => `${first + i} ${body(first + i)}\n`).join('');
}

/** A child process that opens the store (importing what is orphaned), prints "open", and closes on stdin's end. */
function opener(dbPath: string): { proc: ChildProcess; opened: Promise<boolean>; result: Promise<{ code: number | null; out: string; err: string }> } {
  const script = `
    import { openAuditStore } from ${JSON.stringify(join(ROOT, 'dist/audit/index.js'))};
    import { auditSchema } from ${JSON.stringify(join(ROOT, 'dist/config/audit.js'))};
    const store = openAuditStore(auditSchema.parse({ path: process.argv[1] }));
    process.stdout.write('open\\n');
    process.stdin.resume();
    process.stdin.on('end', async () => { await store.close(); process.exit(0); });`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script, dbPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onOpen: (open: boolean) => void = () => undefined;
  const opened = new Promise<boolean>((resolve) => (onOpen = resolve));
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('open')) onOpen(true);
  });
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    proc.once('close', (code) => {
      onOpen(false);
      resolve({ code, out, err });
    }),
  );
  return { proc, opened, result };
}

async function until(what: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.runIf(runsUnless('audit-journal-import-race', canLock ? undefined : 'needs Linux, /proc/locks and the native journal addon (npm ci builds it)'))('two importers of the same orphaned journals', () => {
  const t = auditTempEach();
  const children = t.children;

  it('an importer that claims a journal another one has just imported and removed opens the database all the same; every line is in it once', async () => {
    // The race needs A still importing the large journal when B has opened. How long A takes
    // against how soon B opens depends on the machine (a fast one imports 75,000 rows in well under
    // a second): a round where A was done first proves nothing and is run again with a journal
    // twice as large. Every round's outcome is checked all the same.
    let raced = 0;
    for (let round = 0; round < 3 && raced === 0; round++) {
      if (await importRaceRound(join(t.dir, `round-${round}`), BIG_SEGMENTS << round)) raced++;
    }
    expect(raced, 'rounds in which B opened while A was still importing (of 3, each journal twice as large)').toBe(1);
  }, 300_000);

  /** One round in a fresh directory; true when B opened while A still held the large journal. */
  async function importRaceRound(roundDir: string, bigSegments: number): Promise<boolean> {
    mkdirSync(roundDir);
    const path = join(roundDir, 'audit.db');
    const first = openAuditStore(auditConfig(path));
    await first.close();
    const dir = journalDir(path);
    mkdirSync(dir, { recursive: true });
    // Two orphans (writers killed: stale lock files, no holder). Listed in directory order: the
    // first one listed is made large (a slow import), the second small (a quick one).
    const ids = [`${NO_SUCH_PID}-00000001`, `${NO_SUCH_PID}-00000002`];
    for (const id of ids) {
      writeFileSync(join(dir, `${id}.lock`), '', { mode: 0o600 });
      writeFileSync(join(dir, `${id}-1`), '', { mode: 0o600 });
    }
    const order = listJournals(path).map((j) => j.id);
    expect(order.sort()).toEqual([...ids].sort());
    const [big, small] = listJournals(path).map((j) => j.id) as [string, string];
    for (let n = 0; n < bigSegments; n++) writeFileSync(join(dir, `${big}-${n + 1}`), lines('big', n * BIG_LINES + 1, BIG_LINES), { mode: 0o600 });
    writeFileSync(join(dir, `${small}-1`), lines('small', 1, 5));

    // A claims the big one and imports it; B, started meanwhile, finds it locked and imports the
    // small one, removing it and its lock file. A then comes to the small one it listed.
    const a = opener(path);
    children.push(a.proc);
    await until(() => flocked(join(dir, `${big}.lock`)), 60_000);
    const b = opener(path);
    children.push(b.proc);
    expect(await b.opened).toBe(true);
    const raced = flocked(join(dir, `${big}.lock`)); // the race happened in this order: A was still importing
    b.proc.stdin!.end();
    const rb = await b.result;
    expect(rb.err).toBe('');
    await a.opened;
    a.proc.stdin!.end();
    const ra = await a.result;
    expect(ra.err).toBe('');
    expect(ra.code).toBe(0);

    const db = new Database(path, { readonly: true });
    // request_id holds the id as JSON.
    const got = (db.prepare('SELECT request_id FROM audit_log').pluck().all() as string[]).map((j) => String(JSON.parse(j)));
    db.close();
    const store = openAuditStore(auditConfig(path));
    try {
      expect(got.filter((id) => id.startsWith('small-')).sort()).toEqual(['small-1', 'small-2', 'small-3', 'small-4', 'small-5']);
      expect(got.filter((id) => id.startsWith('big-'))).toHaveLength(bigSegments * BIG_LINES);
      expect(new Set(got).size).toBe(got.length);
      expect(store.verify()).toMatchObject({ ok: true, rows: bigSegments * BIG_LINES + 5 });
    } finally {
      await store.close();
    }
    // Nothing left behind: no segment, no lock file made anew by the late claim.
    expect(listJournals(path)).toEqual([]);
    return raced;
  }

  it('six processes opening a new database at once (an MCP client starting its wraps together), three times: every one opens it', async () => {
    for (let round = 0; round < 3; round++) {
      const fresh = join(t.dir, `fresh-${round}.db`);
      const openers = Array.from({ length: 6 }, () => opener(fresh));
      children.push(...openers.map((o) => o.proc));
      for (const o of openers) o.proc.stdin!.end();
      const results = await Promise.all(openers.map((o) => o.result));
      // Before migrations re-read the schema version inside an IMMEDIATE transaction, all but one
      // failed now and then with "table audit_log already exists".
      for (const r of results) expect([r.code, r.err]).toEqual([0, '']);
      const store = openAuditStore(auditConfig(fresh));
      try {
        expect(store.verify()).toMatchObject({ ok: true, rows: 0 });
      } finally {
        await store.close();
      }
    }
  }, 120_000);

  it('four processes started at once on eight orphans of random sizes, three times: all open, every line once, nothing left', async () => {
    const first = openAuditStore(auditConfig(t.path));
    await first.close();
    const dir = journalDir(t.path);
    mkdirSync(dir, { recursive: true });
    let expected = 0;
    for (let round = 0; round < 3; round++) {
      for (let j = 0; j < 8; j++) {
        const id = `${NO_SUCH_PID}-${round}${j}00000a`;
        writeFileSync(join(dir, `${id}.lock`), '', { mode: 0o600 });
        const segments = 1 + Math.floor(Math.random() * 4);
        // Numbered on from the segment before, as the proxy numbers them (a jump would be a
        // damaged number: lines beyond what a file can hold are skipped and named).
        let first = 1;
        for (let n = 0; n < segments; n++) {
          const count = 1 + Math.floor(Math.random() * 800);
          writeFileSync(join(dir, `${id}-${n + 1}`), lines(`r${round}j${j}s${n}`, first, count), { mode: 0o600 });
          first += count;
          expected += count;
        }
      }
      const openers = Array.from({ length: 4 }, () => opener(t.path));
      children.push(...openers.map((o) => o.proc));
      for (const o of openers) o.proc.stdin!.end();
      const results = await Promise.all(openers.map((o) => o.result));
      for (const r of results) expect([r.code, r.err]).toEqual([0, '']);
      expect(listJournals(t.path)).toEqual([]);
    }
    const db = new Database(t.path, { readonly: true });
    const got = (db.prepare('SELECT request_id FROM audit_log').pluck().all() as string[]).map((j) => String(JSON.parse(j)));
    db.close();
    expect(got).toHaveLength(expected);
    expect(new Set(got).size).toBe(expected);
    const store = openAuditStore(auditConfig(t.path));
    try {
      expect(store.verify()).toMatchObject({ ok: true, rows: expected });
    } finally {
      await store.close();
    }
    expect(listJournals(t.path)).toEqual([]);
  }, 120_000);
});
