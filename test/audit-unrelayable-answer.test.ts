/**
 * A backend's answer nested deeper than JSON.stringify goes (no bound on the backend's side; JSON.parse
 * reads it) can be neither recorded nor sent. With the audit on, a result like that made building
 * the record throw: the client got -32004 "audit log unavailable" and the call, which the backend
 * had run, was in no row; an error whose message was that deep did the same; an error whose `data`
 * was that deep was recorded, then its send threw and the call was recorded a second time as the
 * relay failure. Now each is answered -32603 ("the answer cannot be relayed", as without the audit)
 * and recorded once, so. Real `wrap` over real backends, a raw client, the real SQLite file.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalBody, rowFromBody } from '../src/audit/journal-line.js';
import { Redactor } from '../src/audit/redact.js';
import { auditSchema } from '../src/config/audit.js';
import { runCli, sampleRecord, tempDir } from './helpers/audit.js';
import { LineClient } from './helpers/line-client.js';

const DEEP_RESULT = resolve('test/servers/deep-answer-server.mjs');
const ODD_ERROR = resolve('test/servers/odd-error-backend.mjs');
const RELAY_FAILED = /^Internal error in mcp-warden: the answer cannot be relayed: /;

interface Row {
  requestId: number | null;
  outcome: string;
  errorCode: number | null;
  errorMessage: string | null;
}

/** Runs `calls` (tool name, arguments) through wrap in front of `backend`; the answers, and the tools/call rows. */
async function run(policy: string, backend: string, calls: Array<[string, Record<string, unknown>]>): Promise<{ answers: Array<Record<string, unknown>>; rows: Row[] }> {
  const tmp = tempDir();
  const db = join(tmp.dir, 'audit.db');
  const c = new LineClient(['wrap', ...(policy === 'allow-all' ? ['--policy', 'allow-all'] : []), '--audit', db, '--', process.execPath, backend]);
  try {
    c.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    expect(await c.next()).toMatchObject({ id: 1 });
    c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const answers = [];
    for (let i = 0; i < calls.length; i++) {
      c.send({ jsonrpc: '2.0', id: 10 + i, method: 'tools/call', params: { name: calls[i]![0], arguments: calls[i]![1] } });
      answers.push(await c.next());
    }
    c.proc.stdin.end();
    expect((await c.exited).code).toBe(0);
    const r = await runCli(['audit', 'query', '--db', db, '--json', '--asc', '--method', 'tools/call']);
    expect(r.code, r.stderr).toBe(0);
    expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
    return { answers, rows: JSON.parse(r.stdout) as Row[] };
  } finally {
    c.proc.kill('SIGKILL');
    tmp.cleanup();
  }
}

describe('audit of a backend answer nested deeper than JSON.stringify goes', { timeout: 60_000 }, () => {
  it('a record whose payload or error message JSON.stringify cannot write is made, saying so, not thrown', () => {
    const deep = JSON.parse('['.repeat(20000) + ']'.repeat(20000)) as unknown;
    const redactor = new Redactor(auditSchema.parse({}).redactFields);
    const body = journalBody(sampleRecord({ arguments: { a: 1 }, result: deep, outcome: 'rpc_error', errorMessage: deep as string }), redactor, 16384);
    const [, values] = rowFromBody(1, body)!;
    expect(values).toContain('{"a":1}');
    expect(values.find((v) => typeof v === 'string' && v.startsWith('the result is not recorded'))).toBe(
      'the result is not recorded: it nests too deeply (or is too large) to be written as JSON; the error message is not recorded: it nests too deeply (or is too large) to be written as JSON',
    );
  });

  for (const policy of ['default', 'allow-all']) {
    it(`answers -32603 and records the call once, so (${policy} policy)`, async () => {
      const results = await run(policy, DEEP_RESULT, [['deep', {}]]);
      const errors = await run(policy, ODD_ERROR, [
        ['fail', { deep: 'message' }],
        ['fail', { deep: 'data' }],
      ]);
      for (const { answers, rows } of [results, errors]) {
        expect(answers.map((a) => [a.id, (a.error as { code?: number } | undefined)?.code])).toEqual(answers.map((_, i) => [10 + i, -32603]));
        for (const a of answers) expect((a.error as { message: string }).message).toMatch(RELAY_FAILED);
        // One row per call (none missing, none twice), saying what the client got.
        expect(rows.map((r) => [r.requestId, r.outcome, r.errorCode])).toEqual(answers.map((_, i) => [10 + i, 'rpc_error', -32603]));
        for (const r of rows) expect(r.errorMessage).toMatch(RELAY_FAILED);
      }
    });
  }
});
