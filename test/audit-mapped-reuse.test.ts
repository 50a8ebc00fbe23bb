/**
 * A mapped journal segment is rotated into its next file in the same memory (addon remap(),
 * MappedSegment.reuse, Spool.rotate), never by detaching its buffer: the first detach of a process
 * makes V8 recompile the whole call path, and its byte scans then check for detachment on every
 * access. Real files and the real addon: the previous file keeps exactly its lines, the next gets
 * the new ones, both survive SIGKILL of a process that wrote them, a failed remap leaves the previous
 * file mapped and in use, and a Spool rotating many times keeps one buffer and hands out every line in order.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalAddon, MappedSegment } from '../src/audit/mapped-journal.js';
import { listJournals, readSegment, Spool } from '../src/audit/spool.js';
import { takeText, tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';

const ADDON = join(ROOT, 'native/build/Release/warden_journal.node');
const addon = journalAddon().addon;

describe.runIf(runsUnless('audit-mapped-reuse', noMappedJournal(addon, true)))('mapped segment reused in place', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('the previous file keeps its lines, the next file gets the new ones, and the buffer is never detached', () => {
    const a = join(tmp.dir, 'seg-1');
    const b = join(tmp.dir, 'seg-2');
    const seg = new MappedSegment(addon!, a, 8192);
    const view = seg.bytes;
    expect(seg.append('1 first\n2 second\n')).toBe(true);
    expect(seg.take()).toBe('1 first\n2 second\n');
    expect(seg.canReuse(8192, 100)).toBe(true);
    expect(seg.canReuse(8192, 9000)).toBe(false); // a line larger than a segment needs a segment of its own
    seg.reuse(b);
    expect(seg.file).toBe(b);
    expect(seg.size).toBe(0);
    expect(view.length).toBe(8192); // the same memory, not detached
    expect(seg.append('3 third\n')).toBe(true);
    expect(seg.take()).toBe('3 third\n');
    expect(readSegment(a)).toBe('1 first\n2 second\n');
    expect(readSegment(b)).toBe('3 third\n');
    seg.close();
    expect(view.length).toBe(0); // close() still unmaps (and detaches) at the end
  });

  it('a remap that cannot make its file (it exists) throws and leaves the previous file mapped and in use', () => {
    const a = join(tmp.dir, 'seg-1');
    const taken = join(tmp.dir, 'seg-2');
    writeFileSync(taken, 'someone else');
    const seg = new MappedSegment(addon!, a, 8192);
    expect(seg.append('1 one\n')).toBe(true);
    expect(() => seg.reuse(taken)).toThrow(/EEXIST|exists/i);
    expect(seg.file).toBe(a);
    expect(seg.append('2 two\n')).toBe(true);
    expect(readSegment(a)).toBe('1 one\n2 two\n');
    seg.close();
  });

  it('lines copied before and after a remap survive SIGKILL of the process that wrote them', () => {
    const a = join(tmp.dir, 'seg-1');
    const b = join(tmp.dir, 'seg-2');
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `const addon = require(${JSON.stringify(ADDON)});
         const buf = addon.map(process.argv[1], 8192);
         const v = new Uint8Array(buf);
         v.set(Buffer.from('before'), 100);
         addon.remap(buf, process.argv[2]);
         v.set(Buffer.from('after'), 200);
         process.kill(process.pid, 'SIGKILL');`,
        a,
        b,
      ],
      { encoding: 'utf8' },
    );
    expect(child.signal).toBe('SIGKILL');
    const fa = readFileSync(a);
    const fb = readFileSync(b);
    expect(fa.toString('latin1', 100, 106)).toBe('before');
    expect(fa[200]).toBe(0);
    expect(fb.toString('latin1', 200, 205)).toBe('after');
    expect(fb[100]).toBe(0);
  });

  it('remap refuses what is not a live mapping of the addon', () => {
    expect(() => addon!.remap!(new ArrayBuffer(8192), join(tmp.dir, 'x'))).toThrow(/not a mapped journal segment/);
    const seg = new MappedSegment(addon!, join(tmp.dir, 'seg-1'), 8192);
    const buffer = (seg as unknown as { buffer: ArrayBuffer }).buffer;
    seg.close();
    expect(() => addon!.remap!(buffer, join(tmp.dir, 'y'))).toThrow(/not a mapped journal segment|detached/);
    expect(existsSync(join(tmp.dir, 'y'))).toBe(false);
  });

  it('a Spool rotating many times keeps one buffer and hands out every line once, in order', () => {
    const db = join(tmp.dir, 'audit.db');
    const spool = new Spool(db, { segmentBytes: 8192 });
    const active = () => (spool as unknown as { active: MappedSegment }).active;
    const first = active();
    let taken = '';
    const want: string[] = [];
    for (let seq = 1; seq <= 400; seq++) {
      const line = `${seq} ${'x'.repeat(40 + (seq % 50))}\n`;
      want.push(line);
      spool.append(line, seq);
      if (seq % 37 === 0) {
        taken += takeText(spool);
        spool.committed(seq); // rotates once three quarters full, deletes committed files
      }
    }
    taken += takeText(spool);
    expect(taken).toBe(want.join(''));
    expect(active()).toBe(first); // rotated in place every time
    expect(first.bytes.length).toBe(8192);
    const files = listJournals(db)[0]!.files;
    // Committed files are deleted on the thread pool (Spool.removeInBackground: fs.unlink), at any moment after
    // this listing: one may be gone when it is read (ENOENT), and its lines do not count here. A file
    // not committed yet is never deleted, so the lines after the last commit are all still read.
    const readIfThere = (f: string): string => {
      try {
        return readSegment(f);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw err;
      }
    };
    // The files not committed yet hold, together and in order, every line after the last commit (seq 370).
    expect(files.map(readIfThere).join('').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0])).filter((n) => n > 370)).toEqual(
      Array.from({ length: 30 }, (_, i) => 371 + i),
    );
    spool.close(true);
  });
});
