/**
 * A backend's JSON-RPC error whose `message` is not a string (a number, an object, null, an array:
 * a misbehaving or hostile backend) made the record of the call throw (`s.isWellFormed is not a
 * function`): the client got -32004 "audit log unavailable" and the call, which the backend had
 * run, was in no row at all (the raw path recorded the same answer, as the message's JSON text).
 * Such a message is recorded as its JSON text, masked as any error message (a secret it names
 * never reaches the file). Real `wrap` over a real backend, a raw client (the SDK's Client drops an
 * answer of that shape and waits forever), the real SQLite file searched.
 */
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseBytes, runCli, tempDir } from './helpers/audit.js';
import { LineClient } from './helpers/line-client.js';

const BACKEND = resolve('test/servers/odd-error-backend.mjs');
const SECRET = 'SEKRIT-errmsg-3c01';
const MESSAGES: unknown[] = [42, { detail: `login failed: password=${SECRET}` }, null, ['a', 1]];
/** What the row's error_message holds for each. */
const STORED = ['42', '{"detail":"login failed: password=[REDACTED]"}', 'null', '["a",1]'];

interface Row {
  method: string;
  requestId: number | null;
  outcome: string;
  errorCode: number | null;
  errorMessage: string | null;
}

describe('audit of a backend error whose message is not a string', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  for (const policy of ['default', 'allow-all']) {
    it(`records the call with the message's JSON text, and the client gets the backend's answer (${policy} policy)`, async () => {
      const tmp = tempDir();
      cleanups.push(tmp.cleanup);
      const db = join(tmp.dir, 'audit.db');
      const c = new LineClient(['wrap', ...(policy === 'allow-all' ? ['--policy', 'allow-all'] : []), '--audit', db, '--', process.execPath, BACKEND]);
      cleanups.push(() => void c.proc.kill('SIGKILL'));
      c.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      expect(await c.next()).toMatchObject({ id: 1, result: { serverInfo: { name: 'odd-error' } } });
      c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      for (let i = 0; i < MESSAGES.length; i++) {
        c.send({ jsonrpc: '2.0', id: 10 + i, method: 'tools/call', params: { name: 'fail', arguments: { message: MESSAGES[i] } } });
        // The backend's answer, not -32004 (audit log unavailable).
        expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 10 + i, error: { code: -32000, message: MESSAGES[i] } });
      }
      c.proc.stdin.end();
      expect((await c.exited).code).toBe(0);

      const r = await runCli(['audit', 'query', '--db', db, '--json', '--asc', '--method', 'tools/call']);
      expect(r.code, r.stderr).toBe(0);
      const rows = JSON.parse(r.stdout) as Row[];
      expect(rows.map((row) => [row.requestId, row.outcome, row.errorCode, row.errorMessage])).toEqual(STORED.map((s, i) => [10 + i, 'rpc_error', -32000, s]));
      expect(databaseBytes(db).includes(Buffer.from(SECRET))).toBe(false);
      expect((await runCli(['audit', 'verify', '--db', db])).code).toBe(0);
    });
  }
});
