/**
 * A raw entry head's own INSERT (src/audit/head-insert.ts): once a head has had enough rows, its
 * ten column values (roles too) are constants of a statement of its own (hex blob literals cast to text) and
 * each row binds only the rest. The rows must be exactly those of the statement that binds every
 * column: the same journal written by a ChainWriter whose heads never get a statement and by one
 * whose heads get one at once, into real SQLite files, gives the same value and the same SQLite type
 * in every column of every row, and both chains verify. Heads with quotes, SQL, backslashes,
 * non-ASCII, empty strings, nulls, a NUL character and a 100 KB name (both keep their head on the bound
 * statement).
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainKeying } from '../src/audit/chain-key.js';
import { ChainWriter } from '../src/audit/chain-writer.js';
import { openAuditReader } from '../src/audit/index.js';
import { rawHeadJson, rawJournalBody, RawEntryReader } from '../src/audit/raw-entry.js';
import { Redactor } from '../src/audit/redact.js';
import { configureWriter, migrate, ROW_COLUMNS } from '../src/audit/schema.js';
import type { RawRecordHead } from '../src/types.js';
import { tempDir } from './helpers/audit.js';

const HEADS: RawRecordHead[] = [
  { clientId: 'local:root', clientName: 'root', authMethod: 'local', roles: ['operator'], sessionId: 'stdio-1', transport: 'stdio', backend: 'inv', decision: 'allow', reasons: [], policyVersion: 'sha256:0f3a9c', decisionMicros: 3 },
  {
    clientId: "o'brien\"; DROP TABLE audit_log; --",
    clientName: "X'41' || char(66) \\ ' '' \\'",
    authMethod: 'api_key',
    roles: ["x'); DROP TABLE audit_log; --", 'grüße', ''],
    sessionId: 'grüße 日本 🎉 \u2028',
    transport: 'streamable-http',
    backend: '',
    decision: 'deny',
    reasons: ["it's \"denied\"", 'two\nlines'],
    policyVersion: undefined,
    decisionMicros: 17,
  },
  // Too long to be worth a statement of its own: stays bound.
  { clientId: 'long', clientName: 'n'.repeat(100_000), authMethod: 'jwt', sessionId: 's-4', transport: 'sse', backend: 'b', decision: 'allow', reasons: [], policyVersion: 'v', decisionMicros: 0 },
  { clientId: 'nul\u0000inside', clientName: 'n', authMethod: 'jwt', roles: ['r\u0000'], sessionId: 's-3', transport: 'sse', backend: undefined, decision: 'allow', reasons: [], policyVersion: 'v\u0000', decisionMicros: 0 },
];

const CALLS: Array<[string, string]> = [
  ['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}', '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"echo:hi"}]}}'],
  ['{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fail","arguments":{}}}', '{"jsonrpc":"2.0","id":2,"result":{"content":[],"isError":true}}'],
  ['{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}', '{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"Unknown tool: nope"}}'],
  // Not in the fast path's form: the row is made the long way (parsed), with the same head.
  ['{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"b":1, "a" : 2}}}', '{"jsonrpc":"2.0","id":4,"result":{"x":[1,2]}}'],
];

/** A journal of `rows` raw entries, heads interleaved in runs of a few rows. */
function journal(rows: number): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const head = HEADS[Math.floor(i / 3) % HEADS.length]!;
    const [request, answer] = CALLS[i % CALLS.length]!;
    lines.push(`${i + 1} ${rawJournalBody(rawHeadJson(head), 1_790_000_000_000 + i, 100 + i, request.length, answer.length, request, answer)}\n`);
  }
  return lines.join('');
}

function write(path: string, text: string, headInsertAfter: number): void {
  const db = new Database(path);
  try {
    configureWriter(db);
    migrate(db);
    const writer = new ChainWriter(db, chainKeying(undefined), new RawEntryReader(new Redactor(['password']), 16 * 1024), headInsertAfter);
    // In batches, as the writer thread gets them.
    const lines = text.split(/(?<=\n)/);
    for (let i = 0; i < lines.length; i += 50) expect(writer.writeBatch('j', lines.slice(i, i + 50).join('')).unreadable).toBe(0);
  } finally {
    db.close();
  }
}

/** Every column of every row with its SQLite type, in chain order. */
function stored(path: string): unknown[][] {
  const db = new Database(path, { readonly: true });
  try {
    const cols = [...ROW_COLUMNS, 'prev_hash', 'hash'];
    const sql = `SELECT ${cols.map((c) => `${c}, typeof(${c}), length(CAST(${c} AS BLOB))`).join(', ')} FROM audit_log ORDER BY seq`;
    return db.prepare(sql).raw().all() as unknown[][];
  } finally {
    db.close();
  }
}

describe('audit: raw entry heads with an INSERT of their own', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('stores every column exactly as binding every column does (value, type, bytes), and both chains verify', () => {
    const text = journal(240);
    const bound = `${tmp.dir}/bound.db`;
    const own = `${tmp.dir}/own.db`;
    const later = `${tmp.dir}/later.db`;
    write(bound, text, Infinity);
    write(own, text, 1);
    // The default: a head gets its statement after its first rows (both kinds of rows in one chain).
    write(later, text, 32);
    const want = stored(bound);
    expect(want).toHaveLength(240);
    expect(stored(own)).toEqual(want);
    expect(stored(later)).toEqual(want);
    // The hostile head's values came through as text, byte for byte.
    const hostile = want.find((r) => r[3 * 2] === HEADS[1]!.clientId)!;
    expect(hostile).toBeDefined();
    expect(hostile[3 * 7]).toBe('');
    expect(hostile[3 * 7 + 1]).toBe('text');
    expect(hostile[3 * 17 + 1]).toBe('null');
    // The roles too (a head constant like the nine): JSON text, or null for a head without roles.
    expect([hostile[3 * 28], hostile[3 * 28 + 1]]).toEqual([JSON.stringify(HEADS[1]!.roles), 'text']);
    expect(want.find((r) => r[3 * 2] === 'long')![3 * 28 + 1]).toBe('null');
    const nul = want.find((r) => r[3 * 2] === HEADS[3]!.clientId)!;
    expect(nul[3 * 2 + 2]).toBe(Buffer.byteLength(HEADS[3]!.clientId));
    expect(want.filter((r) => r[3 * 2] === 'long').length).toBeGreaterThan(40);
    for (const path of [bound, own, later]) {
      const reader = openAuditReader(path);
      try {
        expect(reader.verify()).toMatchObject({ ok: true, rows: 240 });
      } finally {
        reader.close();
      }
    }
    // audit_log is still there (nothing in a head was run as SQL).
    const db = new Database(own, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM audit_log').pluck().get()).toBe(240);
    } finally {
      db.close();
    }
  });
});
