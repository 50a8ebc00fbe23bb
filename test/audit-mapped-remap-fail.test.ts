/**
 * Review: a mapped journal's rotation in place (addon remap(), Spool.rotate) failing half-way on a
 * real full disk (a small tmpfs mounted on the journal directory; root only) and with no file
 * descriptor left (EMFILE, a child process under prlimit): the append that needed the new segment
 * throws (the proxy then fails the call), the half-made file is removed, the previous file stays
 * mapped with exactly its lines, every line appended is handed to the writer once, and once space
 * is back the journal rotates again.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalAddon, type MappedSegment } from '../src/audit/mapped-journal.js';
import { journalDir, listJournals, readSegment, Spool } from '../src/audit/spool.js';
import { takeText, tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';
import { until } from './helpers/wait.js';

const ADDON = join(ROOT, 'native/build/Release/warden_journal.node');
const addon = journalAddon().addon;
const canRemap = process.platform === 'linux' && typeof addon?.remap === 'function';

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
const noTmpfs = (() => {
  if (!canRemap) return 'needs Linux and the native journal addon with remap() (npm ci builds it)';
  if (process.getuid?.() !== 0) return 'needs root to mount a 64 KiB tmpfs (the full disk)';
  const dir = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir.dir], { stdio: 'ignore' });
    execFileSync('umount', [dir.dir], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed: ${(err as Error).message}`;
  } finally {
    dir.cleanup();
  }
})();
if (noTmpfs !== undefined && canRemap) console.log(`audit-mapped-remap-fail: the full-disk case is skipped: ${noTmpfs}`);

const take = takeText;

describe.runIf(runsUnless('audit-mapped-remap-fail', noMappedJournal(addon, true)))('a rotation in place that fails half-way', () => {
  let tmp: ReturnType<typeof tempDir>;
  let mounted: string | undefined;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    if (mounted !== undefined) spawnSync('umount', ['-l', mounted]);
    mounted = undefined;
    tmp.cleanup();
  });

  it.runIf(runsUnless('audit-mapped-remap-fail (full disk)', noTmpfs))('a full disk: the append needing the next segment throws ENOSPC, the previous file keeps its lines, every line is handed out once, and it rotates again once space is freed', async () => {
    const db = join(tmp.dir, 'audit.db');
    const dir = journalDir(db);
    mkdirSync(dir, { mode: 0o700 });
    // Room for three 8 KiB segments (and the empty lock file).
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24k,mode=0700', 'tmpfs', dir]);
    mounted = dir;
    const spool = new Spool(db, { segmentBytes: 8192 });
    expect(spool.mode).toBe('mapped');
    const active = () => (spool as unknown as { active: MappedSegment }).active;
    const first = active();
    const appended: string[] = [];
    let taken = '';
    let failure: Error | undefined;
    let seq = 0;
    for (; seq < 2000 && failure === undefined; ) {
      const line = `${seq + 1} ${'y'.repeat(60 + (seq % 40))}\n`;
      try {
        spool.append(line, seq + 1);
        appended.push(line);
        seq++;
      } catch (err) {
        failure = err as Error;
      }
      if (seq % 25 === 0) taken += take(spool); // the writer takes now and then, never commits (nothing deleted)
    }
    expect(failure?.message).toMatch(/ENOSPC|no space/i);
    expect(active()).toBe(first); // still the one buffer
    const files = readdirSync(dir).filter((n) => !n.endsWith('.lock'));
    expect(files).toHaveLength(3); // no half-made fourth file left behind
    // The files hold, in order, exactly the lines appended (the refused one in none of them).
    const journal = listJournals(db)[0]!;
    expect(journal.files.map((f) => readSegment(f)).join('')).toBe(appended.join(''));
    // The segment in use takes lines that still fit; each line reaches the writer once.
    taken += take(spool);
    expect(taken).toBe(appended.join(''));
    expect(() => spool.append(`${seq + 1} ${'z'.repeat(9000)}\n`, seq + 1)).toThrow(/ENOSPC|no space/i);
    // Space freed (the writer committed the first two files; the journal closes what it kept open on
    // them and deletes them): the next rotation succeeds.
    spool.committed((spool as unknown as { closed: Array<{ lastSeq: number }> }).closed[1]!.lastSeq);
    await until(() => !existsSync(journal.files[0]!) && !existsSync(journal.files[1]!), 'the committed files deleted');
    for (let i = 0; i < 200; i++) {
      const line = `${seq + 1} ${'w'.repeat(60)}\n`;
      spool.append(line, seq + 1);
      appended.push(line);
      seq++;
    }
    taken += take(spool);
    expect(taken).toBe(appended.join(''));
    expect(active()).toBe(first);
    spool.close(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('no file descriptor left (EMFILE): remap throws, the previous file stays mapped and in use, and remap works once one is free', () => {
    const a = join(tmp.dir, 'seg-1');
    const b = join(tmp.dir, 'seg-2');
    const child = spawnSync(
      'prlimit',
      [
        '--nofile=64:64',
        process.execPath,
        '-e',
        `const fs = require('fs');
         const addon = require(${JSON.stringify(ADDON)});
         const buf = addon.map(process.argv[1], 8192);
         const v = new Uint8Array(buf);
         v.set(Buffer.from('before'), 100);
         const fds = [];
         let code = 'none';
         try { for (;;) fds.push(fs.openSync('/dev/null', 'r')); } catch (err) { if (err.code !== 'EMFILE') throw err; }
         try { addon.remap(buf, process.argv[2]); } catch (err) { code = err.code; }
         const madeB = fs.existsSync(process.argv[2]);
         v.set(Buffer.from('still-a'), 200);
         fs.closeSync(fds.pop());
         addon.remap(buf, process.argv[2]);
         v.set(Buffer.from('now-b'), 300);
         console.log(JSON.stringify({ code, madeB }));`,
        a,
        b,
      ],
      { encoding: 'utf8' },
    );
    if (child.error !== undefined) return void console.log(`audit-mapped-remap-fail: EMFILE case skipped: prlimit: ${child.error.message}`);
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ code: 'EMFILE', madeB: false });
    const fa = readFileSync(a);
    const fb = readFileSync(b);
    expect(fa.toString('latin1', 100, 106)).toBe('before');
    expect(fa.toString('latin1', 200, 207)).toBe('still-a');
    expect(fa[300]).toBe(0);
    expect(fb.toString('latin1', 300, 305)).toBe('now-b');
    expect(fb[100]).toBe(0);
  });
});
