/**
 * The API keys file is watched through its own inode (src/config/file-watch.ts), not its folder:
 * writes to a neighbour file (an audit database's WAL next to the keys file) do not wake the
 * thread (/proc/thread-self/io syscr: each inotify event read is one; 42 for these writes with
 * the folder watched). Following the file through renames: test/policy-watch-inode.test.ts (the
 * same FileWatch). Real files, real fs.watch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runsUnless } from './helpers/skip-reason.js';
import { noThreadIo, threadReadCalls } from './helpers/thread-io.js';
import { KeyStore } from '../src/identity/key-store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('keys file watch: the file itself, not its folder', () => {
  let dir: string | undefined;
  let store: KeyStore | undefined;
  afterEach(() => {
    store?.close();
    store = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it.runIf(runsUnless('identity-keys-watch', noThreadIo))('writes to a neighbour file cost this thread no read (no inotify event comes)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-keys-watch-'));
    const file = join(dir, 'keys.yaml');
    writeFileSync(file, 'keys: []\n', { mode: 0o600 });
    store = new KeyStore([], file);
    expect(store.lookup('mw_test_key_one').kind).toBe('unknown');
    const neighbour = join(dir, 'audit.db-wal');
    await sleep(50);
    const before = threadReadCalls();
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 25; i++) writeFileSync(neighbour, `frame ${turn} ${i}\n`, { flag: 'a' });
      await sleep(5);
    }
    await sleep(100);
    expect(threadReadCalls() - before).toBeLessThan(5);
    expect(store.size).toBe(0);
  });
});
