/**
 * The native audit writer (native/writer/) on input and calls it must survive, found by its fuzzers
 * (native/writer/fuzz/): a head headOf throws on, on a line the JS writer skips; a stored head hash
 * that is not a hash; a cap that is not a number; writerClose from inside the batch's own runJs.
 * Real SQLite files, the built addon. The sanitizer cases (a read past the batch, integer overflow,
 * a double cast out of range) are replayed under ASan/UBSan by the last test when gcc has them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { chainKeying, checkChainKeying } from '../src/audit/chain-key.js';
import { ChainWriter } from '../src/audit/chain-writer.js';
import { headOfFor, loadWriterAddon, loadWriterExtension } from '../src/audit/native-writer.js';
import { rawHeadJson, rawJournalBody, RawEntryReader } from '../src/audit/raw-entry.js';
import { Redactor } from '../src/audit/redact.js';
import { configureWriter, migrate } from '../src/audit/schema.js';

/** A child process run to its end, awaited: its exit status and output. */
function runChild(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const built = loadWriterAddon();
const FIELDS = ['password', 'token'];
const CAP = 4096;
const reader = () => new RawEntryReader(new Redactor(FIELDS), CAP);

function openDb(): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'warden-native-safety-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'a.db'));
  configureWriter(db);
  migrate(db);
  checkChainKeying(db, chainKeying(undefined), true);
  return db;
}
const HEAD = rawHeadJson({ clientId: 'local:root', clientName: 'root', authMethod: 'local', sessionId: 's', transport: 'stdio', backend: 'b', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 0 } as Parameters<typeof rawHeadJson>[0]);
function entry(n: number, args: string, head = HEAD): string {
  const request = `{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":"echo","arguments":${args}}}`;
  const answer = `{"jsonrpc":"2.0","id":${n},"result":{"content":[]}}`;
  return `${n} ${rawJournalBody(head, 1795000000000 + n, 850, request.length, answer.length, request, answer)}\n`;
}
const rows = (db: Database.Database) => db.prepare('SELECT seq, request_id FROM audit_log ORDER BY seq').raw().all();

describe('native audit writer: what its fuzzers found', () => {
  it('a line whose head headOf throws on, skipped by the JS writer (a pending run moved the mark past it), does not fail the batch', () => {
    if ('why' in built) return;
    const { addon, file } = built;
    // Line 5 goes to a JS run (a redacted name) and moves the mark to 5; line 3 is then named by
    // ChainWriter (its number is not after 5) without reading its head, but C read its head (headOf threw: a clientId not a string) before the run ran.
    const text = `${entry(5, '{"password":"x"}')}${entry(3, '{"a":1}', '[1,2,3,4,5,6,7,8,9,10]')}${entry(6, '{"a":1}')}`;
    const js = openDb();
    // The proxy's last number 6 (line 3's number is damaged or out of place: named, not written).
    const expected = new ChainWriter(js, chainKeying(undefined), reader()).writeBatch('j', text, { last: 6 });
    const db = openDb();
    const chain = new ChainWriter(db, chainKeying(undefined), reader());
    loadWriterExtension(db, file);
    const w = addon.writerOpen(null, CAP, FIELDS, null);
    const bytes = Buffer.from(text);
    try {
      chain.startBatch();
      const r = addon.writerBatch(w, 'j', bytes, headOfFor(reader()), (from, to, seq, hash, committed, ceiling, moved) => chain.appendRun(bytes.toString('utf8', from, to), seq, hash, committed, ceiling, moved), 6, false);
      expect({ committed: r[0], headSeq: r[1], headHash: r[6], inserted: r[2], unreadable: r[3], skipped: chain.skipped }).toEqual(expected);
      expect(rows(db)).toEqual(rows(js));
      expect(rows(db)).toEqual([[1, '5'], [2, '6']]);
    } finally {
      addon.writerClose(w);
      js.close();
      db.close();
    }
  });

  it('a stored head_hash that is not a hash fails the batch, rolled back (never chained onto as the genesis hash)', () => {
    if ('why' in built) return;
    const { addon, file } = built;
    const db = openDb();
    db.prepare("UPDATE audit_meta SET value = ? WHERE key = 'head_hash'").run('f'.repeat(5000));
    loadWriterExtension(db, file);
    const w = addon.writerOpen(null, CAP, FIELDS, null);
    try {
      const chain = new ChainWriter(db, chainKeying(undefined), reader());
      const bytes = Buffer.from(entry(1, '{"a":1}'));
      expect(() => addon.writerBatch(w, 'j', bytes, headOfFor(reader()), (f, t, s, h, c, u, m) => chain.appendRun(bytes.toString('utf8', f, t), s, h, c, u, m), -1, false)).toThrow('the stored head_hash is not a hash');
      expect(rows(db)).toEqual([]);
      expect(db.inTransaction).toBe(false);
    } finally {
      addon.writerClose(w);
      db.close();
    }
  });

  it('writerOpen refuses a cap that is not a non-negative safe integer', () => {
    if ('why' in built) return;
    const { addon, file } = built;
    const db = openDb();
    try {
      for (const cap of ['4096', Number.NaN, -1, 1e300, 1.5]) {
        loadWriterExtension(db, file);
        expect(() => addon.writerOpen(null, cap as number, FIELDS, null)).toThrow('cap must be a non-negative safe integer');
      }
    } finally {
      db.close();
    }
  });

  it('writerClose and writerBatch from inside a batch (its runJs) are refused; the batch rolls back and the writer still works', () => {
    if ('why' in built) return;
    const { addon, file } = built;
    const db = openDb();
    const chain = new ChainWriter(db, chainKeying(undefined), reader());
    loadWriterExtension(db, file);
    const w = addon.writerOpen(null, CAP, FIELDS, null);
    const bytes = Buffer.from(`${entry(1, '{"a":1}')}${entry(2, '{"password":"x"}')}`);
    const seen: string[] = [];
    try {
      for (const inner of [() => addon.writerClose(w), () => addon.writerBatch(w, 'j', bytes, headOfFor(reader()), () => [0, '', 0, 0, 0], -1, false)]) {
        expect(() =>
          addon.writerBatch(w, 'j', bytes, headOfFor(reader()), () => {
            try {
              inner();
            } catch (err) {
              seen.push((err as Error).message);
              throw err;
            }
            return [0, '', 0, 0, 0];
          }, -1, false),
        ).toThrow();
        expect(rows(db)).toEqual([]);
      }
      expect(seen).toEqual(['writerClose: a batch of this writer runs (from its headOf or runJs)', 'writerBatch: called again while a batch of this writer runs']);
      const r = addon.writerBatch(w, 'j', bytes, headOfFor(reader()), (f, t, s, h, c, u, m) => chain.appendRun(bytes.toString('utf8', f, t), s, h, c, u, m), -1, false);
      expect(r.slice(0, 6)).toEqual([2, 2, 2, 0, 1, 1]);
    } finally {
      addon.writerClose(w);
      db.close();
    }
  });

  // The build and the replay run as child processes awaited, not spawnSync: a worker blocked for
  // over 60 s (a loaded machine compiling under ASan) makes vitest's worker RPC time out.
  it('replays native/writer/fuzz/regressions.json under ASan and UBSan with no report and no difference (when gcc has them)', async () => {
    if ('why' in built) return;
    const gcc = (lib: string) => spawnSync('gcc', [`-print-file-name=${lib}`], { encoding: 'utf8' }).stdout?.trim() ?? '';
    const libs = [gcc('libasan.so'), gcc('libubsan.so')];
    if (!libs.every((l) => l.startsWith('/') && existsSync(l))) return; // no gcc sanitizers here
    const out = mkdtempSync(join(tmpdir(), 'warden-native-asan-'));
    dirs.push(out);
    const build = await runChild('sh', ['native/writer/fuzz/build-asan.sh'], { ...process.env, WARDEN_FUZZ_OUT: out });
    expect(build.status, build.stderr).toBe(0);
    const run = await runChild(process.execPath, ['native/writer/fuzz/diff.mjs', '--addon', join(out, 'warden_writer_asan.node'), '--replay', 'native/writer/fuzz/regressions.json'], {
      ...process.env,
      LD_PRELOAD: libs.join(' '),
      ASAN_OPTIONS: 'detect_leaks=0',
    });
    expect(run.stderr + run.stdout).toContain('no difference');
    expect(run.status).toBe(0);
  }, 120_000);
});
