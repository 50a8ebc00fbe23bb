/**
 * Review: the fallbacks for a journal addon built before remap() and lock() existed (a stale build
 * in node_modules): segments are then rotated by unmapping and mapping anew (a detach), and a
 * journal has no lock file, so its liveness goes by its pid. A copy of the built proxy with such an
 * addon (compiled here from native/journal_map.c without those two functions) records large rows
 * under load, rotating every few dozen calls; a process of the current build opens the database
 * while it runs (and must leave its journal alone), then it is killed with SIGKILL and the current
 * build imports what it left: every answered call once, the chain verifies. Real processes, files,
 * SQLite; skipped where no C compiler or Node headers are found.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsUnless } from './helpers/skip-reason.js';
import { openAuditStore } from '../src/audit/index.js';
import { listJournals } from '../src/audit/spool.js';
import { auditConfig, tempDir } from './helpers/audit.js';
import { expectAnsweredStoredOnce } from './helpers/audit-journal.js';
import { ROOT } from './helpers/proxy.js';

const HEADERS = [join(dirname(dirname(process.execPath)), 'include/node'), '/usr/include/node'].find((d) => existsSync(join(d, 'node_api.h')));
const canBuild = process.platform === 'linux' && HEADERS !== undefined && spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0 && existsSync(join(ROOT, 'dist/audit/index.js'));

/** A copy of dist/ and the load child beside an addon without remap() and lock(). */
function oldBuild(dir: string): string {
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'test/helpers'), { recursive: true });
  cpSync(join(ROOT, 'test/helpers/audit-rotation-child.mjs'), join(dir, 'test/helpers/audit-rotation-child.mjs'));
  const source = readFileSync(join(ROOT, 'native/journal_map.c'), 'utf8');
  const old = source.replace(/^\s*\{"(remap|lock|unlock|probe)", .*\},\n/gm, '');
  expect(old.match(/\{"\w+", NULL, js_\w+/g)).toEqual(['{"map", NULL, js_map', '{"prefault", NULL, js_prefault', '{"unmap", NULL, js_unmap']);
  mkdirSync(join(dir, 'native/build/Release'), { recursive: true });
  writeFileSync(join(dir, 'native/journal_map.c'), old);
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-DNODE_GYP_MODULE_NAME=warden_journal', `-I${HEADERS}`, '-Wno-unused-function', join(dir, 'native/journal_map.c'), '-o', join(dir, 'native/build/Release/warden_journal.node')], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  return join(dir, 'test/helpers/audit-rotation-child.mjs');
}

describe.runIf(runsUnless('audit-old-addon', canBuild ? undefined : 'needs Linux, cc, Node headers and the build (dist/)'))('a journal addon built before remap() and lock()', () => {
  let tmp: ReturnType<typeof tempDir>;
  let child: string;
  beforeAll(() => {
    tmp = tempDir();
    child = oldBuild(join(tmp.dir, 'old'));
  });
  afterAll(() => tmp.cleanup());

  it('rotates by mapping anew, its live lockless journal is left alone by the current build, and after kill -9 every answered call is imported once', async () => {
    const dbPath = join(tmp.dir, 'audit.db');
    const proc = spawn(process.execPath, [child, dbPath, '16', 'old'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'silent' } });
    const answered: string[] = [];
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let buffer = '';
    let checked: Promise<void> | undefined;
    let liveCheck: { files: number; lockFile: boolean } | undefined;
    const done = new Promise<NodeJS.Signals | null>((resolve) => proc.on('close', (_c, signal) => resolve(signal)));
    proc.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('answered ')) answered.push(line.slice(9));
        if (answered.length === 150 && checked === undefined) {
          // The current build opens the database while the old one writes: it must not import the live journal.
          checked = (async () => {
            const store = openAuditStore(auditConfig(dbPath));
            await store.close();
            const journal = listJournals(dbPath).find((j) => j.pid === proc.pid);
            liveCheck = { files: journal?.files.length ?? 0, lockFile: journal?.lockFile !== undefined };
          })();
        }
        if (answered.length === 400) proc.kill('SIGKILL');
      }
    });
    expect(await done, stderr).toBe('SIGKILL');
    await checked;
    expect(liveCheck).toMatchObject({ lockFile: false });
    expect(liveCheck!.files).toBeGreaterThan(0);
    const left = listJournals(dbPath).find((j) => j.pid === proc.pid);
    // Mapped segments (the old addon loaded), not the write() fallback.
    expect(readFileSync(left!.files[0]!).subarray(0, 16).toString('latin1')).toBe('warden-journal1\n');
    // Rotated (every few dozen 60-120 KiB calls): its segments are numbered past 1.
    expect(Math.max(...left!.files.map((f) => Number(f.slice(f.lastIndexOf('-') + 1))))).toBeGreaterThan(2);

    const store = openAuditStore(auditConfig(dbPath));
    try {
      expect(store.verify()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
    expect(listJournals(dbPath)).toEqual([]);
    const db = new Database(dbPath, { readonly: true });
    const ids = (db.prepare('SELECT request_id FROM audit_log').pluck().all() as string[]).map((j) => String(JSON.parse(j)));
    db.close();
    expectAnsweredStoredOnce(ids, answered);
  }, 120_000);
});
