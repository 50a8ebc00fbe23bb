/**
 * The chain's hashes of a batch in one native call (native/chain_hash.c, chain-key.ts) are the
 * hashes node:crypto gives row by row, in both modes (plain SHA-256 and HMAC-SHA256 under
 * audit.chainKey), for any text: non-ASCII, lone surrogates, lines around the addon's buffer size
 * with multi-byte characters at its edge, large lines, keys of every length around SHA-256's block.
 * The writer, hashing a batch's rows together a chunk at a time, stores the rows and hashes the
 * JavaScript path stores (batch sizes around its chunk, large rows), its chain verifies (verify
 * hashes row by row in JavaScript), and a batch that failed leaves nothing behind for the next.
 */
import { createHash, createHmac } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainKeying, checkChainKeying, nativeChainHashes, type ChainHashes } from '../src/audit/chain-key.js';
import { ChainWriter } from '../src/audit/chain-writer.js';
import { journalBody } from '../src/audit/journal-line.js';
import { RawEntryReader, rawHeadJson, rawJournalBody } from '../src/audit/raw-entry.js';
import { Redactor } from '../src/audit/redact.js';
import { configureWriter, migrate } from '../src/audit/schema.js';
import { verifyChain } from '../src/audit/verify.js';
import { sampleRecord, tempDir } from './helpers/audit.js';
import { runsUnless } from './helpers/skip-reason.js';

const native = nativeChainHashes();
const GENESIS = '0'.repeat(64);

/** Lines that test the hashing's edges. */
function edgeLines(): string[] {
  const lines = ['', 'abc', 'héllo wörld €', 'lone \ud800 high', 'lone \udc00 low', 'pair \ud83d\ude00', '\u0000nul\u0000', '\t\n\r'];
  // Lengths around the addon's 4096-byte buffer, with 2-, 3- and 4-byte characters at its edge.
  for (let n = 4085; n < 4100; n++) {
    lines.push('x'.repeat(n));
    lines.push('x'.repeat(n - 1) + 'é');
    lines.push('x'.repeat(n - 2) + '€');
    lines.push('x'.repeat(n - 3) + '\ud83d\ude00');
    lines.push('a'.repeat(n % 3) + '€'.repeat(Math.floor(n / 3)));
  }
  lines.push('y'.repeat(3 << 20) + '€');
  lines.push('z');
  return lines;
}

function jsChain(prev: string, lines: readonly string[], key?: string): string[] {
  return lines.map((line) => {
    prev = key === undefined ? createHash('sha256').update(`${prev}\n${line}`).digest('hex') : createHmac('sha256', key).update(prev).update('\n').update(line).digest('hex');
    return prev;
  });
}

describe.runIf(runsUnless('audit-chain-hash-native', native === undefined ? 'the native addon has no chainHashes (npm run build:native)' : undefined))('the chain hashes of a batch in one native call', () => {
  const hashes = native as ChainHashes;

  it('gives node:crypto\'s plain SHA-256 chain, for any text and any previous hash', () => {
    const lines = edgeLines();
    for (const prev of [GENESIS, 'f'.repeat(64), '', 'not hex €', 'x'.repeat(5000)]) {
      expect(hashes(prev, lines)).toEqual(jsChain(prev, lines));
    }
    expect(hashes(GENESIS, [])).toEqual([]);
    // The known answer: SHA-256 of 64 zeros, a newline and "abc".
    expect(hashes(GENESIS, ['abc'])).toEqual([createHash('sha256').update(`${GENESIS}\nabc`).digest('hex')]);
  });

  it('gives node:crypto\'s HMAC-SHA256 chain for keys of every length around the block, and non-ASCII keys', () => {
    const lines = edgeLines().slice(0, 40);
    for (const key of ['k', 'secret key', 'ключ', 'k\ud800', 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(65), 'b'.repeat(200)]) {
      expect(hashes(GENESIS, lines, Buffer.from(key, 'utf8'))).toEqual(jsChain(GENESIS, lines, key));
    }
  });

  it('chainKeying hashes the same with and without the addon, hash() agreeing with hashes()', () => {
    const lines = edgeLines().slice(0, 60);
    for (const key of [undefined, 'secret']) {
      const withAddon = chainKeying(key);
      const without = chainKeying(key, null);
      const expected = jsChain(GENESIS, lines, key);
      expect(withAddon.hashes(GENESIS, lines)).toEqual(expected);
      expect(without.hashes(GENESIS, lines)).toEqual(expected);
      expect(withAddon.hash(GENESIS, lines[0]!)).toBe(expected[0]);
      expect(withAddon.hash(expected[0]!, lines[1]!)).toBe(expected[1]);
    }
  });

  it('refuses arguments of the wrong type with a TypeError', () => {
    expect(() => (hashes as unknown as (...a: unknown[]) => unknown)(1, [])).toThrow(TypeError);
    expect(() => (hashes as unknown as (...a: unknown[]) => unknown)(GENESIS, 'abc')).toThrow(TypeError);
    expect(() => (hashes as unknown as (...a: unknown[]) => unknown)(GENESIS, ['a', 2])).toThrow(TypeError);
    expect(() => (hashes as unknown as (...a: unknown[]) => unknown)(GENESIS, ['a'], 'key')).toThrow(TypeError);
  });
});

const FIELDS = ['password', 'token'];
const headJson = rawHeadJson({ clientId: 'local:root', clientName: 'root', authMethod: 'local', sessionId: 's', transport: 'stdio', backend: 'b', decision: 'allow', reasons: [], policyVersion: 'v', decisionMicros: 2 });

/** Journal line `seq`: raw entries and parsed rows mixed, some with non-ASCII text. */
function line(seq: number, bigArgs = 0): string {
  if (bigArgs > 0 || seq % 3 === 0) {
    const args = bigArgs > 0 ? { blob: 'é'.repeat(bigArgs) } : { n: seq, s: 'wörld' };
    return `${seq} ${journalBody(sampleRecord({ tool: `t${seq % 5}`, requestId: seq, arguments: args }), new Redactor(FIELDS), 1 << 22)}\n`;
  }
  const text = seq % 2 === 0 ? `hello ${seq}` : `h€llo ${seq}`;
  const request = `{"jsonrpc":"2.0","id":${seq},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${text}"}}}`;
  const answer = `{"jsonrpc":"2.0","id":${seq},"result":{"content":[{"type":"text","text":"${text}"}]}}`;
  return `${seq} ${rawJournalBody(headJson, 1_700_000_000_000 + seq, 5, request.length, answer.length, request, answer)}\n`;
}

describe('the writer hashing a batch together, a chunk at a time', () => {
  let tmp: ReturnType<typeof tempDir>;
  const open: Database.Database[] = [];
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
    tmp.cleanup();
  });

  function writerOn(name: string, key: string | undefined, withAddon: boolean): { db: Database.Database; writer: ChainWriter } {
    const db = new Database(`${tmp.dir}/${name}.db`);
    open.push(db);
    configureWriter(db);
    migrate(db);
    const keying = chainKeying(key, withAddon ? undefined : null);
    checkChainKeying(db, keying, true);
    // Heads get their own INSERT after 2 rows here, so both statements are used.
    return { db, writer: new ChainWriter(db, keying, new RawEntryReader(new Redactor(FIELDS), 1 << 22), 2) };
  }

  /** The hash of row `seq` (the head a batch reports). */
  const hashOf = (db: Database.Database, seq: number): string => db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq) as string;
  const allRows = (db: Database.Database): unknown[] => db.prepare('SELECT * FROM audit_log ORDER BY seq').all();

  for (const key of [undefined, 'chain secret']) {
    it(`stores the rows and hashes of the row-by-row JavaScript path (${key === undefined ? 'SHA-256' : 'HMAC'}), batches of 1 to 2 chunks and more`, () => {
      const a = writerOn('addon', key, true);
      const b = writerOn('js', key, false);
      let seq = 0;
      for (const size of [1, 255, 256, 257, 515, 3]) {
        const text = Array.from({ length: size }, () => line(++seq)).join('');
        const ra = a.writer.writeBatch('j', text);
        const rb = b.writer.writeBatch('j', text);
        expect(ra).toEqual({ committed: seq, headSeq: seq, headHash: hashOf(a.db, seq), inserted: size, unreadable: 0, skipped: [] });
        expect(rb).toEqual(ra);
      }
      // Rows over the chunk's size in characters (4 Mi): hashed and inserted in several chunks.
      const big = Array.from({ length: 5 }, () => line(++seq, 1 << 20)).join('');
      expect(a.writer.writeBatch('j', big).inserted).toBe(5);
      b.writer.writeBatch('j', big);
      const rows = allRows(a.db);
      expect(rows).toHaveLength(seq);
      expect(rows).toEqual(allRows(b.db));
      for (const { db } of [a, b]) expect(verifyChain(db, chainKeying(key, null))).toMatchObject({ ok: true, rows: seq });
    });
  }

  it('leaves nothing of a batch that failed for the next one', () => {
    const { db, writer } = writerOn('fail', undefined, true);
    writer.writeBatch('j', `${line(1)}${line(2)}`);
    // Row 302 is refused: the batch's first chunk (seq 3-258) is in, the second fails partway, all rolled back.
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON audit_log WHEN NEW.seq = 302 BEGIN SELECT RAISE(ABORT, 'refused'); END");
    const text = Array.from({ length: 400 }, (_, i) => line(i + 3)).join('');
    expect(() => writer.writeBatch('j', text)).toThrow('refused');
    db.exec('DROP TRIGGER refuse');
    expect(writer.writeBatch('j', text)).toEqual({ committed: 402, headSeq: 402, headHash: hashOf(db, 402), inserted: 400, unreadable: 0, skipped: [] });
    expect(verifyChain(db, chainKeying())).toMatchObject({ ok: true, rows: 402 });
    expect(db.prepare('SELECT request_id FROM audit_log WHERE seq = 3').pluck().get()).toBe('3');
  });
});
