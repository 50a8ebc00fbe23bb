/**
 * How the writer reads a batch of journal lines ("<journal seq> <body>\n", read in place): rows of
 * parsed and raw entries go on the chain in order; empty lines are nothing; a line without a
 * number, a space after it, or a readable body (a torn tail after a kill) is counted unreadable,
 * named (its seq and why) and skipped without holding up the lines after it; lines at or below the journal's committed mark
 * are skipped, so a batch imported twice inserts nothing the second time.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainKeying } from '../src/audit/chain-key.js';
import { ChainWriter } from '../src/audit/chain-writer.js';
import { journalBody } from '../src/audit/journal-line.js';
import { RawEntryReader, rawHeadJson, rawJournalBody } from '../src/audit/raw-entry.js';
import { Redactor } from '../src/audit/redact.js';
import { configureWriter, migrate } from '../src/audit/schema.js';
import { verifyChain } from '../src/audit/verify.js';
import { sampleRecord, tempDir } from './helpers/audit.js';

const FIELDS = ['password', 'token'];
const redactor = new Redactor(FIELDS);
const head = rawHeadJson({ clientId: 'local:root', clientName: 'root', authMethod: 'local', sessionId: 's', transport: 'stdio', backend: 'b', decision: 'allow', reasons: [], policyVersion: 'v', decisionMicros: 2 });

function parsedLine(seq: number, tool: string): string {
  return `${seq} ${journalBody(sampleRecord({ tool, requestId: seq }), redactor, 16384)}\n`;
}

function rawLine(seq: number, text: string): string {
  const request = `{"jsonrpc":"2.0","id":${seq},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${text}"}}}`;
  const answer = `{"jsonrpc":"2.0","id":${seq},"result":{"content":[{"type":"text","text":"${text}"}]}}`;
  return `${seq} ${rawJournalBody(head, 1_700_000_000_000 + seq, 5, request.length, answer.length, request, answer)}\n`;
}

describe('audit writer: reading a batch of journal lines', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Database.Database;
  let writer: ChainWriter;
  beforeEach(() => {
    tmp = tempDir();
    db = new Database(`${tmp.dir}/audit.db`);
    configureWriter(db);
    migrate(db);
    writer = new ChainWriter(db, chainKeying(), new RawEntryReader(new Redactor(FIELDS), 16384));
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  /** The hash of row `seq` (the head a batch reports). */
  const hashOf = (seq: number): string => db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq) as string;
  const rows = (): Array<{ seq: number; tool: string; request_id: string }> =>
    db.prepare('SELECT seq, tool, request_id FROM audit_log ORDER BY seq').all() as Array<{ seq: number; tool: string; request_id: string }>;

  it('inserts parsed and raw entries in order, with nothing between lines and no newline at the end', () => {
    const text = `${parsedLine(1, 't1')}\n${rawLine(2, 'two')}\n\n${parsedLine(3, 't3')}${rawLine(4, 'four').slice(0, -1)}`;
    expect(writer.writeBatch('j', text)).toEqual({ committed: 4, headSeq: 4, headHash: hashOf(4), inserted: 4, unreadable: 0, skipped: [] });
    expect(rows()).toEqual([
      { seq: 1, tool: 't1', request_id: '1' },
      { seq: 2, tool: 'echo', request_id: '2' },
      { seq: 3, tool: 't3', request_id: '3' },
      { seq: 4, tool: 'echo', request_id: '4' },
    ]);
    expect(verifyChain(db, chainKeying())).toMatchObject({ ok: true, rows: 4 });
  });

  it('counts malformed lines unreadable and keeps going', () => {
    const good = parsedLine(5, 't5');
    const torn = rawLine(6, 'six');
    const text = [
      parsedLine(1, 't1'),
      'nospace\n',
      `abc ${good.slice(2)}`, // no number
      ` 2 ${good.slice(2)}`, // a space before the number
      `3x${good.slice(2)}`, // no space after the number
      `12345678901234567 ${good.slice(2)}`, // more digits than a journal number has
      '4 [not json\n', // a body that does not read
      good,
      torn.slice(0, torn.length - 20), // a raw entry cut short (the torn tail of a kill)
    ].join('');
    const result = writer.writeBatch('j', text);
    const noNumber = { seq: null, why: 'it does not start with a journal sequence number and a space' };
    expect(result).toEqual({
      // The torn line's number (6) is in range: the mark moves past it, named (docs/audit.md).
      committed: 6,
      headSeq: 2,
      headHash: hashOf(2),
      inserted: 2,
      unreadable: 7,
      // Each named: its journal seq (when it has one) and why.
      skipped: [noNumber, noNumber, noNumber, noNumber, noNumber, { seq: 4, why: 'it has no payload columns (cut short)' }, { seq: 6, why: 'its lines are not the length it gives (cut short, or damaged)' }],
    });
    expect(rows().map((r) => r.tool)).toEqual(['t1', 't5']);
    expect(verifyChain(db, chainKeying())).toMatchObject({ ok: true, rows: 2 });
  });

  it('skips lines at or below the committed mark (a batch imported twice, or resent after a restart)', () => {
    const first = `${parsedLine(1, 'a')}${rawLine(2, 'b')}`;
    expect(writer.writeBatch('j', first)).toMatchObject({ committed: 2, inserted: 2 });
    expect(writer.writeBatch('j', `${first}${parsedLine(3, 'c')}`)).toEqual({ committed: 3, headSeq: 3, headHash: hashOf(3), inserted: 1, unreadable: 0, skipped: [] });
    // Another journal has its own mark and goes on the same chain.
    expect(writer.writeBatch('k', parsedLine(1, 'd'))).toEqual({ committed: 1, headSeq: 4, headHash: hashOf(4), inserted: 1, unreadable: 0, skipped: [] });
    expect(rows().map((r) => r.tool)).toEqual(['a', 'echo', 'c', 'd']);
    expect(verifyChain(db, chainKeying())).toMatchObject({ ok: true, rows: 4 });
  });
});
