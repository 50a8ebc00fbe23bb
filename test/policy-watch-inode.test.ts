/**
 * The policy watcher (src/policy/watch.ts) watches a policy file through its own inode, not through
 * its folder: writes to other files in the folder (an audit database and its WAL kept next to the
 * policy, written hundreds of times a second under load) must not wake the proxy's thread at all.
 * Shown on this thread's own read system calls (/proc/thread-self/io syscr: each inotify event read
 * is one), with real files and real fs.watch. And the watch follows the file through the ways it is
 * replaced: renamed over (twice: the second write goes to the new file), deleted and written again
 * later, written in place.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runsUnless } from './helpers/skip-reason.js';
import { noThreadIo, threadReadCalls } from './helpers/thread-io.js';
import { watchPolicyFiles, type PolicyWatcher } from '../src/policy/watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TIMING = { debounceMs: 30, settleMs: 30 };


describe('policy watch: the file itself, not its folder', () => {
  let dir: string | undefined;
  let watcher: PolicyWatcher | undefined;
  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function reloadsAfter(reloads: string[], change: () => void, expected: string): Promise<void> {
    const before = reloads.length;
    change();
    const deadline = Date.now() + 30_000;
    while (reloads.length === before && Date.now() < deadline) await sleep(10);
    await sleep(100);
    expect(reloads.length, `a reload after: ${expected}`).toBeGreaterThan(before);
    expect(reloads[reloads.length - 1]).toBe(expected);
  }

  it.runIf(runsUnless('policy-watch-inode', noThreadIo))('writes to a neighbour file cost this thread no read (no inotify event comes)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-watch-'));
    const file = join(dir, 'policy.rego');
    const neighbour = join(dir, 'audit.db-wal');
    writeFileSync(file, 'package a\n');
    writeFileSync(neighbour, '');
    let reloads = 0;
    watcher = watchPolicyFiles([file], () => reloads++, undefined, TIMING);
    await sleep(50);
    const before = threadReadCalls();
    // Spread over several turns, so that a folder watch would read its events more than once.
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 25; i++) writeFileSync(neighbour, `frame ${turn} ${i}\n`, { flag: 'a' });
      await sleep(5);
    }
    await sleep(100);
    const reads = threadReadCalls() - before;
    expect(reloads).toBe(0);
    // A folder watch reads the inotify descriptor at least once per turn with events (20 here).
    expect(reads).toBeLessThan(5);
  });

  it('follows the file when it is renamed over, deleted and written again, or written in place', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-watch-'));
    const file = join(dir, 'policy.rego');
    writeFileSync(file, 'v1');
    const reloads: string[] = [];
    watcher = watchPolicyFiles([file], () => reloads.push(existsSync(file) ? readFileSync(file, 'utf8') : '-'), undefined, TIMING);
    await reloadsAfter(reloads, () => writeFileSync(file, 'v2'), 'v2');
    const renameOver = (text: string) => () => {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    };
    await reloadsAfter(reloads, renameOver('v3'), 'v3');
    // The watch moved to the file renamed in: a second replacement and a write in place are seen.
    await reloadsAfter(reloads, renameOver('v4'), 'v4');
    await reloadsAfter(reloads, () => writeFileSync(file, 'v5'), 'v5');
    // Deleted, then written again a while later (the folder is watched meanwhile).
    unlinkSync(file);
    await sleep(150);
    await reloadsAfter(reloads, () => writeFileSync(file, 'v6'), 'v6');
    await reloadsAfter(reloads, () => writeFileSync(file, 'v7'), 'v7');
  });
});
