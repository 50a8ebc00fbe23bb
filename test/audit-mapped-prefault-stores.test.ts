/**
 * The addon's prefault stores into every page it populates (native/journal_map.c, prefault_run: on
 * a KVM guest a populated page's first store otherwise traps, ~10 µs, on the proxy's thread). Those
 * stores run on a pool thread while the JS thread writes journal lines into the same pages: they
 * must change no byte. Here the whole segment is written while a prefault of all of it runs, the
 * segment is unmapped (the addon unmaps it once the prefault has finished), and the file must hold
 * every byte written. Real addon, real file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { tempDir } from './helpers/audit.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';

const SIZE = 8 << 20;

/** Whether `file` is still mapped into this process. */
const mapped = (file: string) => readFileSync('/proc/self/maps', 'utf8').includes(file);

async function untilUnmapped(file: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (mapped(file)) {
    if (Date.now() > deadline) throw new Error(`${file} still mapped 20 s after unmap(): the prefault never finished`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.runIf(runsUnless('audit-mapped-prefault-stores', noMappedJournal(journalAddon().addon)))('prefault stores into the pages it populates', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('lines written into a segment while a prefault of all of it runs keep every byte (no page start zeroed)', async () => {
    const addon = journalAddon().addon!;
    const file = join(tmp.dir, 'segment');
    const buffer = addon.map(file, SIZE);
    const bytes = Buffer.from(buffer);
    // Never zero, so a store of zero at any page start would show.
    const expected = Buffer.alloc(SIZE);
    for (let i = 0; i < SIZE; i++) expected[i] = ((i * 7) % 255) + 1;
    addon.prefault(buffer, 0, SIZE);
    // Written at once, from page 0 on, while the pool thread populates and stores into the same pages.
    expected.copy(bytes, 0);
    addon.unmap(buffer);
    await untilUnmapped(file);
    const stored = readFileSync(file);
    expect(stored.length).toBe(SIZE);
    const firstBad = stored.findIndex((b, i) => b !== expected[i]);
    expect(firstBad, `byte ${firstBad} changed (page ${Math.floor(firstBad / 4096)})`).toBe(-1);
  });
});
