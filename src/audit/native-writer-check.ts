/**
 * The native writer's start-up self-check (native-writer.ts): a few fixed journal lines written by
 * the C loop and by ChainWriter into two in-memory databases, with this configuration's redacted
 * fields, payload cap and chain key, must give the same batch results and the same rows (every
 * column's value and type), head and journal mark. A build that makes different rows (another
 * SQLite, a broken hash, a stale addon) is then not used: the JS writer runs.
 */
import Database from 'better-sqlite3';
import { chainKeying, checkChainKeying } from './chain-key.js';
import { ChainWriter } from './chain-writer.js';
import { journalBody } from './journal-line.js';
import type { NativeWriterOptions, WriterAddon } from './native-writer.js';
import { headOfFor, loadWriterExtension } from './native-writer.js';
import { rawHeadJson, rawJournalBody, RawEntryReader } from './raw-entry.js';
import { Redactor } from './redact.js';
import { migrate } from './schema.js';

/** The check's journal lines (numbered): raw entries C makes, and others that go to a JS run. */
export function checkLines(options: NativeWriterOptions): string {
  const head = rawHeadJson({ clientId: 'local:check', clientName: 'check', authMethod: 'local', sessionId: 's', transport: 'stdio', backend: 'b', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 3 });
  const call = (id: number, args: string, result: string, method = 'tools/call', headJson = head): string => {
    const request = `{"jsonrpc":"2.0","id":${id},"method":"${method}","params":{"name":"t","arguments":${args}}}`;
    const answer = `{"jsonrpc":"2.0","id":${id},"result":${result}}`;
    return rawJournalBody(headJson, 1795000000000 + id, 100 + id, request.length, answer.length, request, answer);
  };
  const bodies = [
    call(1, '{"text":"hello"}', '{"content":[{"type":"text","text":"hello"}]}'),
    call(2, '{"n":[1,2.5,-3,true,null]}', '{"content":[],"isError":true}'),
    call(3, '{}', '{"contents":[]}', 'resources/read'),
  ];
  // Over the payload cap (its size and SHA-256 stored, not the text), when the cap is small enough to try here.
  if (options.maxPayloadBytes <= 64 * 1024) bodies.push(call(4, `{"big":"${'x'.repeat(options.maxPayloadBytes)}"}`, '{"content":[]}'));
  // A redacted field: the whole entry through a JS run.
  const field = options.redactFields.find((f) => /^[a-z_-]+$/i.test(f));
  if (field !== undefined) bodies.push(call(5, `{"${field}":"s3cret"}`, '{"content":[]}'));
  const redactor = new Redactor(options.redactFields);
  bodies.push(
    journalBody(
      { time: 1795000000006, clientId: 'key:k', clientName: 'k', authMethod: 'api_key', sessionId: 's2', transport: 'streamable-http', method: 'tools/call', requestId: 6, tool: 't', arguments: { a: 1 }, decision: 'deny', reasons: ['no'], outcome: 'denied', decisionMicros: 4 },
      redactor,
      options.maxPayloadBytes,
    ),
  );
  bodies.push(call(7, '{"text":"after a run"}', '{"content":[]}'));
  // A damaged line (a head whose clientId is not a string): skipped and named alike, the next line written.
  bodies.push(call(8, '{}', '{"content":[]}', 'tools/call', head.replace('"local:check"', '5')));
  bodies.push(call(9, '{"text":"after a damaged line"}', '{"content":[]}'));
  const k = bodies.length;
  // Damaged numbers (skipped and named alike; the lines after them written): one beyond what the
  // batch can hold (it takes number k + 1), one not after the journal's number before it.
  const numbered = [`99999999 ${call(10, '{}', '{"content":[]}')}`, `${k + 2} ${call(11, '{}', '{"content":[]}')}`, `1 ${call(12, '{}', '{"content":[]}')}`, `${k + 3} ${call(13, '{}', '{"content":[]}')}`];
  return bodies.map((b, i) => `${i + 1} ${b}\n`).join('') + numbered.map((l) => `${l}\n`).join('') + 'torn';
}

function dump(db: Database.Database): string {
  const cols = db.prepare("SELECT name FROM pragma_table_info('audit_log')").pluck().all() as string[];
  const rows = db.prepare(`SELECT ${cols.map((c) => `${c}, typeof(${c})`).join(', ')} FROM audit_log ORDER BY seq`).raw().all();
  const meta = db.prepare('SELECT key, value, typeof(value) FROM audit_meta ORDER BY key').raw().all();
  const journal = db.prepare('SELECT id, committed, typeof(committed) FROM audit_journal ORDER BY id').raw().all();
  return JSON.stringify({ rows, meta, journal });
}

/** undefined when C and JS agree; else what differs. */
export function nativeWriterCheck(addon: WriterAddon, file: string, options: NativeWriterOptions): string | undefined {
  const js = new Database(':memory:');
  const c = new Database(':memory:');
  let w: unknown;
  try {
    const keying = chainKeying(options.chainKey);
    for (const db of [js, c]) {
      migrate(db);
      checkChainKeying(db, keying, true);
    }
    const reader = () => new RawEntryReader(new Redactor(options.redactFields), options.maxPayloadBytes);
    const text = checkLines(options);
    const expected = new ChainWriter(js, keying, reader()).writeBatch('check', text);
    loadWriterExtension(c, file);
    w = addon.writerOpen(null, options.maxPayloadBytes, options.redactFields, options.chainKey ? Buffer.from(options.chainKey, 'utf8') : null);
    const chain = new ChainWriter(c, keying, reader());
    const bytes = Buffer.from(text, 'utf8');
    chain.startBatch();
    const r = addon.writerBatch(w, 'check', bytes, headOfFor(reader()), (from, to, seq, hash, committed, ceiling, moved) => chain.appendRun(bytes.toString('utf8', from, to), seq, hash, committed, ceiling, moved), -1, false);
    const got = { committed: r[0], headSeq: r[1], headHash: r[6], inserted: r[2], unreadable: r[3], skipped: chain.skipped };
    if (JSON.stringify(got) !== JSON.stringify(expected)) return `batch result ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`;
    if (r[4] === 0) return 'no row was made in C';
    if (r[6] !== c.prepare("SELECT value FROM audit_meta WHERE key = 'head_hash'").pluck().get()) return `head hash ${r[6]} is not the stored head`;
    if (dump(c) !== dump(js)) return 'the rows differ from the JS writer\'s';
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    if (w !== undefined) addon.writerClose(w);
    js.close();
    c.close();
  }
}
