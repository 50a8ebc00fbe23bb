/**
 * The mapped journal (src/audit/mapped-journal.ts, native/journal_map.c): on Linux each segment is
 * a preallocated file mapped shared into memory and a record's line is copied into it, with no
 * system call. Real files, the real addon (built by `npm ci`), real child processes killed with
 * SIGKILL, the real recorder and writer thread. Also: the torn tail of a copy cut short by a kill is
 * dropped (its answer was never sent), lines never straddle segments, bounds hold from JavaScript,
 * and the write() fallback is taken (and said once in the log) when mapping is turned off.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditReader, openAuditStore, Redactor } from '../src/audit/index.js';
import { journalBody } from '../src/audit/journal-line.js';
import { DATA_AT, journalAddon, MAGIC, MappedSegment, unsafeForMapping } from '../src/audit/mapped-journal.js';
import { AuditRecorder } from '../src/audit/recorder.js';
import { configureWriter, migrate } from '../src/audit/schema.js';
import { listJournals, readSegment, Spool } from '../src/audit/spool.js';
import { auditConfig, CLI, sampleRecord, tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';
import { runsUnless } from './helpers/skip-reason.js';
import { until } from './helpers/wait.js';

const BACKEND = join(ROOT, 'test/servers/raw-audit-backend.mjs');
const linux = process.platform === 'linux';

function header(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(DATA_AT);
    readSync(fd, head, 0, DATA_AT, 0);
    return head;
  } finally {
    closeSync(fd);
  }
}

const counted = (file: string): number => header(file).readUInt32LE(16);

/** Journal lines of records numbered from `first`, as the recorder writes them. */
function lines(first: number, count: number, redactor = new Redactor(['password'])): string[] {
  return Array.from({ length: count }, (_, i) => `${first + i} ${journalBody(sampleRecord({ requestId: `r-${first + i}` }), redactor, 4096)}\n`);
}

describe.runIf(runsUnless('audit-mapped-journal', linux ? undefined : `the mapped journal is for Linux (this is ${process.platform})`))('mapped audit journal', () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'audit.db');
  });
  afterEach(() => tmp.cleanup());

  it('a segment faults in its next stretch of pages itself as its lines near the end of the last one, whether or not the writer commits meanwhile', () => {
    const spool = new Spool(`${tmp.dir}/audit.db`, { segmentBytes: 4 << 20 });
    expect(spool.mode).toBe('mapped');
    const segment = (spool as unknown as { active: { faulted: number; size: number } }).active;
    const first = segment.faulted; // asked when the segment was made: 1 MiB past its lines
    expect(first).toBeGreaterThan(DATA_AT);
    const line = `${'q'.repeat(1023)}\n`;
    let seq = 0;
    // 2.5 MiB of lines and no commit: a prefault asked only at commits would have stayed at `first`.
    while (segment.size < 2.5 * (1 << 20)) spool.append(line, ++seq);
    expect(segment.faulted).toBeGreaterThan(first);
    // at least half a stretch ahead of the lines at all times
    expect(segment.faulted - (DATA_AT + segment.size)).toBeGreaterThanOrEqual(1 << 19);
    spool.close(true);
  });

  it('a prefault that cannot be queued as lines are appended does not throw from append(): the lines are counted by then (a throw would have the caller refuse the call and use its number again)', () => {
    const { addon } = journalAddon();
    expect(addon).toBeDefined();
    // The real addon, but once the segment exists its prefault throws (as the addon does when it has no memory for the job).
    let failing = false;
    let refused = 0;
    const flaky: NonNullable<typeof addon> = {
      ...addon!,
      prefault: (buffer, offset, length) => {
        if (!failing) return addon!.prefault(buffer, offset, length);
        refused++;
        throw new Error('prefault: out of memory');
      },
    };
    const segment = new MappedSegment(flaky, join(tmp.dir, 'seg-1'), 4 << 20);
    segment.prefault(64 * 1024);
    failing = true;
    const line = `${'q'.repeat(1023)}\n`;
    let appended = 0;
    // Well past half of the stretch asked: the segment asks for the next one itself, and is refused.
    for (let i = 0; i < 256; i++) {
      expect(segment.append(line)).toBe(true);
      appended++;
    }
    expect(refused).toBe(1); // asked once, then not on every append
    expect(segment.size).toBe(appended * line.length);
    expect(counted(join(tmp.dir, 'seg-1'))).toBe(appended * line.length);
    // Asked from outside again (the journal does at a rotation or commit), it works once the addon does.
    failing = false;
    segment.prefault(64 * 1024);
    segment.close();
  });

  it('is built and loads (npm ci builds native/; npm run build:native in a worktree)', () => {
    const { addon, reason } = journalAddon();
    expect(reason, `the mapped journal addon is not available: ${reason}`).toBeUndefined();
    expect(addon!.pageBytes).toBeGreaterThanOrEqual(4096);
  });

  it('copies lines into a preallocated, zero-filled segment, in the file at once (no close, no flush)', () => {
    const spool = new Spool(path);
    try {
      expect(spool.mode).toBe('mapped');
      const [a, b] = lines(1, 2);
      spool.append(a!, 1);
      spool.append(b!, 2);
      const [file] = listJournals(path)[0]!.files;
      // Another reader of the file sees the lines while the segment is still mapped and open.
      const data = readFileSync(file!);
      expect(data.subarray(0, MAGIC.length).equals(MAGIC)).toBe(true);
      expect(data.length).toBe(4 * 1024 * 1024);
      // Allocated on disk, not sparse: a full disk fails when a segment is made, not with SIGBUS on a store.
      expect(statSync(file!).blocks * 512).toBeGreaterThanOrEqual(data.length);
      expect(counted(file!)).toBe(Buffer.byteLength(a! + b!));
      expect(readSegment(file!)).toBe(a! + b!);
      expect(data.subarray(DATA_AT + counted(file!)).every((byte) => byte === 0)).toBe(true);
    } finally {
      spool.close(true);
    }
    expect(listJournals(path)).toEqual([]);
  });

  it('keeps the lines of a process killed with SIGKILL right after copying them, and drops a batch torn mid-copy', async () => {
    const batch = lines(1, 40);
    // The child appends the batch line by line through a mapped Spool, then kills itself: no unmap,
    // no close, no msync. Only the page cache holds the lines.
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { Spool } from ${JSON.stringify(join(ROOT, 'dist/audit/spool.js'))};
         const spool = new Spool(process.argv[1]);
         if (spool.mode !== 'mapped') throw new Error('not mapped');
         JSON.parse(process.argv[2]).forEach((line, i) => spool.append(line, i + 1));
         process.kill(process.pid, 'SIGKILL');`,
        path,
        JSON.stringify(batch),
      ],
      { encoding: 'utf8' },
    );
    expect(child.signal).toBe('SIGKILL');
    const [journal] = listJournals(path);
    const file = journal!.files[0]!;
    expect(counted(file)).toBe(Buffer.byteLength(batch.join('')));
    // What memory holds when a process dies while copying its next batch (two more lines): the
    // bytes copied so far, past the count, which is stored only once a batch is complete. Its
    // callers were never answered (append had not returned), so the batch is dropped on import.
    const torn = lines(41, 2).join('');
    const cut = Buffer.from(torn).subarray(0, Math.floor(Buffer.byteLength(torn) * 0.7));
    const fd = openSync(file, 'r+');
    writeSync(fd, cut, 0, cut.length, DATA_AT + counted(file));
    closeSync(fd);
    expect(readSegment(file)).toBe(batch.join(''));

    // The next process to open the database imports the dead process's journal: 40 rows, not 41 or 42.
    const store = openAuditStore(auditConfig(path));
    try {
      expect(store.query({ order: 'asc', limit: 100 }).rows.map((r) => r.requestId)).toEqual(batch.map((_, i) => `r-${i + 1}`));
      expect(store.verify()).toMatchObject({ ok: true, rows: 40 });
    } finally {
      await store.close();
    }
    expect(listJournals(path)).toEqual([]);
  });

  it('rotates across segments: no line straddles two, a batch larger than a segment gets one of its size, committed ones are deleted', async () => {
    const init = new Database(path);
    configureWriter(init);
    migrate(init);
    init.close();
    // Two pages per segment: a record's line is ~500 bytes, so a segment holds a handful of them.
    const spool = new Spool(path, { segmentBytes: 8192 });
    const rec = new AuditRecorder({
      dbPath: path,
      spool,
      redactFields: ['password'],
      maxPayloadBytes: 64 * 1024,
      flushIntervalMs: 60_000,
      maxQueue: 10_000,
      backpressure: 'block',
      retentionIntervalMs: 60_000,
      writerNice: 0,
    });
    const ids: string[] = [];
    try {
      for (let turn = 0; turn < 40; turn++) {
        const pending = [];
        for (let k = 0; k < 3; k++) {
          const id = `t${turn}-${k}`;
          ids.push(id);
          // One record of 20 KB: more than a whole segment.
          const big = turn === 12 && k === 1 ? { blob: 'b'.repeat(20_000) } : { filter: id };
          pending.push(rec.record(sampleRecord({ requestId: id, arguments: big })));
        }
        await Promise.all(pending);
      }
      const files = listJournals(path)[0]!.files;
      expect(files.length).toBeGreaterThan(4);
      const sizes = files.map((f) => statSync(f).size);
      expect(sizes.filter((s) => s > 8192)).toHaveLength(1);
      expect(Math.max(...sizes)).toBeGreaterThanOrEqual(20_000);
      // Every segment holds whole lines, and together they hold every record, in order.
      const texts = files.map((f) => readSegment(f));
      for (const text of texts) expect(text === '' || text.endsWith('\n')).toBe(true);
      const seqs = texts.join('').split('\n').filter(Boolean).map((l) => Number(l.slice(0, l.indexOf(' '))));
      expect(seqs).toEqual(ids.map((_, i) => i + 1));
      await rec.flush();
      // Committed: every segment but the active one is gone (deleted in the background: waited for,
      // not assumed done within 100 ms).
      await until(() => listJournals(path)[0]!.files.length <= 1, 'the committed segments deleted');
      expect(listJournals(path)[0]!.files).toHaveLength(1);
    } finally {
      await rec.close();
    }
    expect(listJournals(path)).toEqual([]);
    const reader = openAuditReader(path);
    try {
      expect(reader.query({ order: 'asc', limit: 200 }).rows.map((r) => r.requestId)).toEqual(ids);
      expect(reader.verify()).toMatchObject({ ok: true, rows: 120 });
    } finally {
      reader.close();
    }
  });

  it('cannot be reached outside the mapping from JavaScript: bad sizes and ranges raise, a closed journal raises', async () => {
    const { addon } = journalAddon();
    const file = join(tmp.dir, 'segment');
    expect(() => addon!.map(file, 100)).toThrow(/whole number of pages/);
    expect(() => addon!.map(file, 2 ** 31)).toThrow(/whole number of pages/);
    expect(() => addon!.map('', 4096)).toThrow(/path is empty/);
    const buffer = addon!.map(file, 8192);
    expect(() => addon!.map(file, 8192)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => addon!.prefault(buffer, 4096, 8192)).toThrow(/outside the mapping/);
    expect(() => addon!.prefault(buffer, -1, 1)).toThrow(/outside the mapping/);
    const view = Buffer.from(buffer);
    view.write('x', 100);
    addon!.unmap(buffer);
    // Unmapped: every view is empty, so a stale write raises (or a store is ignored) instead of
    // touching unmapped memory.
    expect(buffer.byteLength).toBe(0);
    expect(view.length).toBe(0);
    expect(() => view.write('y', 100)).toThrow(RangeError);
    expect(() => addon!.unmap(buffer)).toThrow(/not a mapped journal segment/);
    expect(() => addon!.unmap(new ArrayBuffer(4096))).toThrow(/not a mapped journal segment/);
    expect(readFileSync(file).subarray(100, 101).toString()).toBe('x');
    // Unmapped while the pool thread faults its pages in: detached at once, unmapped once that is done.
    const busy = addon!.map(join(tmp.dir, 'busy'), 1 << 20);
    expect(addon!.prefault(busy, 0, 1 << 20)).toBe(true);
    addon!.unmap(busy);
    expect(busy.byteLength).toBe(0);
    expect(() => addon!.prefault(busy, 0, 4096)).toThrow(/not a mapped journal segment/);

    const spool = new Spool(path);
    const [first, second] = lines(1, 2);
    spool.append(first!, 1);
    spool.close(false);
    expect(() => spool.append(second!, 2)).toThrow(RangeError);
    expect(readSegment(listJournals(path)[0]!.files[0]!)).toBe(first);
    // The pool thread's prefault of `busy` completes (and unmaps) without touching freed memory.
    await new Promise((r) => setTimeout(r, 50));
  });
});

describe('filesystems the journal is not mapped on', () => {
  it('copy-on-write, network and FUSE filesystems get the write() journal (a full disk would be SIGBUS); ext4, xfs, tmpfs and overlay are mapped', () => {
    expect(unsafeForMapping(0x9123683e)).toMatch(/btrfs: a store into a mapped segment could fail with SIGBUS/);
    expect(unsafeForMapping(0x2fc12fc1)).toMatch(/zfs/);
    expect(unsafeForMapping(0x6969)).toMatch(/nfs/);
    expect(unsafeForMapping(0x65735546)).toMatch(/fuse/);
    for (const ok of [0xef53, 0x58465342, 0x01021994, 0x794c7630]) expect(unsafeForMapping(ok)).toBeUndefined();
  });
});

describe('write() journal (the fallback)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'audit.db');
  });
  afterEach(() => tmp.cleanup());

  it('is taken when mapping is turned off, writes plain lines, and says so once at info level', () => {
    const logged: Array<{ level: number; msg: string; reason: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const previous = process.env.MCP_WARDEN_AUDIT_JOURNAL;
    process.env.MCP_WARDEN_AUDIT_JOURNAL = 'write';
    let spools: Spool[];
    try {
      spools = [new Spool(path, { logger }), new Spool(path, { logger })];
    } finally {
      if (previous === undefined) delete process.env.MCP_WARDEN_AUDIT_JOURNAL;
      else process.env.MCP_WARDEN_AUDIT_JOURNAL = previous;
    }
    const [line] = lines(1, 1);
    for (const spool of spools) {
      expect(spool.mode).toBe('write');
      spool.append(line!, 1);
    }
    for (const journal of listJournals(path)) {
      const data = readFileSync(journal.files[0]!);
      expect(data.toString()).toBe(line);
      expect(readSegment(journal.files[0]!)).toBe(line);
    }
    for (const spool of spools) spool.close(true);
    expect(logged).toEqual([expect.objectContaining({ level: 30, reason: 'MCP_WARDEN_AUDIT_JOURNAL=write', msg: expect.stringMatching(/write\(\).*not mapped/) })]);
    const off = new Spool(path, { mapped: false });
    expect(off.mode).toBe('write');
    off.close(true);
  });

  it('through wrap: MCP_WARDEN_AUDIT_JOURNAL=write logs the fallback once, and the calls are recorded', async () => {
    const dbPath = join(tmp.dir, 'wrap.db');
    const wrap = spawn(process.execPath, [CLI, 'wrap', '--policy', 'allow-all', '--audit', dbPath, '--', process.execPath, BACKEND], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'info', MCP_WARDEN_AUDIT_JOURNAL: 'write' },
    });
    let stderr = '';
    let stdout = '';
    wrap.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const answered = new Promise<void>((resolve) =>
      wrap.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('"id":3')) resolve();
      }),
    );
    wrap.stdin.write('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n');
    wrap.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    for (const id of [2, 3]) wrap.stdin.write(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"t-${id}"}}}\n`);
    await answered;
    wrap.stdin.end();
    await new Promise((resolve) => wrap.on('close', resolve));
    const notes = stderr.split('\n').filter((l) => l.includes('not mapped into memory'));
    expect(notes).toHaveLength(1);
    expect(JSON.parse(notes[0]!)).toMatchObject({ level: 30, reason: 'MCP_WARDEN_AUDIT_JOURNAL=write' });
    const reader = openAuditReader(dbPath);
    try {
      expect(reader.query({ order: 'asc' }).rows.filter((r) => r.method === 'tools/call').map((r) => r.requestId)).toEqual([2, 3]);
    } finally {
      reader.close();
    }
  }, 120_000);
});
