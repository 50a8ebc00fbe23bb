/**
 * A mapped segment's ArrayBuffer moved away with ArrayBuffer.prototype.transfer() (Node 22 has it;
 * Node 20 behind --harmony-rab-gsab-transfer): the original is then detached while the memory lives
 * on in the new buffer, so unmap() of the original must not unmap it (that left the new buffer
 * pointing at unmapped pages: a store into it killed the process with SIGSEGV). unmap() raises and
 * the segment stays mapped. A real child process with the real addon.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';

const ADDON = join(ROOT, 'native/build/Release/warden_journal.node');

describe.runIf(runsUnless('audit-mapped-transfer', noMappedJournal(journalAddon().addon)))('mapped segment moved by transfer()', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('unmap() of the detached original raises and leaves the memory mapped for the new buffer', () => {
    const flags = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function' ? [] : ['--harmony-rab-gsab-transfer'];
    const child = spawnSync(
      process.execPath,
      [
        ...flags,
        '-e',
        `const addon = require(${JSON.stringify(ADDON)});
         const original = addon.map(process.argv[1], 8192);
         const moved = original.transfer();
         let message = 'unmap did not raise';
         try { addon.unmap(original); } catch (err) { message = err.message; }
         const view = new Uint8Array(moved);
         view[5000] = 7;
         console.log(JSON.stringify({ message, byte: view[5000], length: moved.byteLength }));`,
        join(tmp.dir, 'segment'),
      ],
      { encoding: 'utf8' },
    );
    expect(child.signal, child.stderr).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout) as { message: string; byte: number; length: number };
    expect(out.message).toMatch(/already detached/);
    expect(out).toMatchObject({ byte: 7, length: 8192 });
  });
});
