/**
 * Review: how long a mapped segment's memory stays mapped. A prefault in flight on a pool thread
 * while its buffer is dropped and collected, or unmapped, or remapped onto the next file. And its
 * memory moved to another ArrayBuffer by transfer() (Node 22 has it;
 * Node 20 behind --harmony-rab-gsab-transfer), then the detached original garbage-collected. The
 * memory must stay mapped while the new buffer lives (the addon unmapped it when the ORIGINAL was
 * collected: the next store into the new buffer killed the process with SIGSEGV), and be unmapped
 * once no buffer uses it. The addon's other calls refuse the detached original (no use of its
 * mapping). Real child processes with --expose-gc and the real addon.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';

const ADDON = join(ROOT, 'native/build/Release/warden_journal.node');
const flags = ['--expose-gc', ...(typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function' ? [] : ['--harmony-rab-gsab-transfer'])];

function run(script: string, file: string) {
  return spawnSync(process.execPath, [...flags, '-e', `const addon = require(${JSON.stringify(ADDON)});\n${script}`, file], { encoding: 'utf8' });
}

/** Collects garbage until finalizers (which Node runs from its event loop) have had their turn. */
const COLLECT = `async function collect() { for (let i = 0; i < 6; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); } }
const mapped = (file) => require('fs').readFileSync('/proc/self/maps', 'utf8').includes(file);`;

describe.runIf(runsUnless('audit-mapped-lifetime', noMappedJournal(journalAddon().addon)))('mapped segment memory: prefaults in flight, transfer() and collection', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('the new buffer keeps the mapping after the detached original is collected; stores land in the file', () => {
    const file = join(tmp.dir, 'segment');
    const child = run(
      `${COLLECT}
       (async () => {
         let original = addon.map(process.argv[1], 8192);
         let moved = original.transfer();
         original = null;
         await collect();
         const view = new Uint8Array(moved);
         view[5000] = 7; // SIGSEGV when the collected original took the mapping with it
         const stillMapped = mapped(process.argv[1]);
         moved = null;
         await collect();
         console.log(JSON.stringify({ byte: view.length === 0 ? -1 : 7, stillMapped }));
       })();`,
      file,
    );
    expect(child.signal, child.stderr).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ byte: 7, stillMapped: true });
    expect(readFileSync(file)[5000]).toBe(7);
  });

  it('the memory is unmapped once the moved buffer is collected too (no mapping leaks), and without transfer once the buffer is', () => {
    const file = join(tmp.dir, 'segment');
    const child = run(
      `${COLLECT}
       (async () => {
         let original = addon.map(process.argv[1] + '-a', 8192);
         let moved = original.transfer();
         original = null;
         moved = null;
         let plain = addon.map(process.argv[1] + '-b', 8192);
         new Uint8Array(plain)[10] = 1;
         plain = null;
         await collect();
         console.log(JSON.stringify({ a: mapped(process.argv[1] + '-a'), b: mapped(process.argv[1] + '-b') }));
       })();`,
      file,
    );
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ a: false, b: false });
  });

  it('a buffer dropped, or unmapped, or remapped while prefaults of all of it run on the pool: no crash, the files hold their bytes, and it is unmapped once collected', () => {
    const file = join(tmp.dir, 'segment');
    const child = run(
      `${COLLECT}
       const SIZE = 32 * 1024 * 1024;
       (async () => {
         // Dropped while the prefault runs: the prefault keeps it alive, then it is collected.
         let a = addon.map(process.argv[1] + '-a', SIZE);
         addon.prefault(a, 0, SIZE);
         a = null;
         await collect();
         // Unmapped while prefaults run, then collected.
         let b = addon.map(process.argv[1] + '-b', SIZE);
         addon.prefault(b, 0, SIZE);
         addon.prefault(b, 4096, SIZE - 4096);
         addon.unmap(b);
         b = null;
         // Remapped onto new files again and again while prefaults of the whole mapping run.
         const c = addon.map(process.argv[1] + '-c0', SIZE);
         const view = new Uint8Array(c);
         for (let i = 1; i <= 8; i++) {
           addon.prefault(c, 0, SIZE);
           view[SIZE - 1] = i;
           addon.remap(c, process.argv[1] + '-c' + i);
           view[0] = i;
         }
         await collect();
         for (let t = 0; t < 200 && (mapped(process.argv[1] + '-a') || mapped(process.argv[1] + '-b')); t++) await collect();
         console.log(JSON.stringify({ a: mapped(process.argv[1] + '-a'), b: mapped(process.argv[1] + '-b'), c: mapped(process.argv[1] + '-c8') }));
         require('fs').rmSync(process.argv[1] + '-a'); require('fs').rmSync(process.argv[1] + '-b');
       })();`,
      file,
    );
    expect(child.signal, child.stderr).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ a: false, b: false, c: true });
    for (let i = 0; i <= 8; i++) {
      const bytes = readFileSync(`${file}-c${i}`);
      expect([i, bytes[0], bytes[bytes.length - 1]]).toEqual([i, i, i === 8 ? 0 : i + 1]);
    }
  });

  it('prefault, remap and unmap refuse the detached original (its memory is the new buffer\'s)', () => {
    const file = join(tmp.dir, 'segment');
    const child = run(
      `const original = addon.map(process.argv[1], 8192);
       const moved = original.transfer();
       const errors = [];
       for (const call of [() => addon.prefault(original, 0, 4096), () => addon.remap(original, process.argv[1] + '-next'), () => addon.unmap(original)]) {
         try { call(); errors.push('none'); } catch (err) { errors.push(err.message); }
       }
       new Uint8Array(moved)[100] = 9;
       console.log(JSON.stringify({ errors, next: require('fs').existsSync(process.argv[1] + '-next') }));`,
      file,
    );
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout) as { errors: string[]; next: boolean };
    expect(out.errors).toHaveLength(3);
    for (const message of out.errors) expect(message).toMatch(/detached/);
    expect(out.next).toBe(false);
    expect(readFileSync(file)[100]).toBe(9);
  });
});
