/**
 * A client's tools/call line that mcp-warden would forward as its bytes unparsed while nothing
 * judges it (allow-all policy: with the audit on, the raw path, whose row is made from a parse of
 * the bytes, src/proxy/raw-audit.ts, in native code when the addon is built; with the audit off,
 * RequestRouter.unparsedToolCall alone) is refused like a parsed one when it holds member names
 * that differ only in case (member-case.ts): a Go backend (test/servers/go-json-server.mjs reads as
 * encoding/json does) would run `"Name":"delete_x"` while the audit row, made by JSON.parse, named
 * get_x. Real `wrap` processes, a real SQLite audit file read after the process exits.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { scratch, SERVERS, type Scratch } from './helpers/policy-e2e.js';

const GO_SERVER = join(SERVERS, 'go-json-server.mjs');

/** Compact lines (the form forwarded as bytes), each with a case variant somewhere; ID is replaced. */
const VARIANTS: Array<[string, string]> = [
  ['"Name" beside the name (params)', '{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"get_x","Name":"delete_x","arguments":{}}}'],
  ['"Name" beside the name, the other compact head', '{"method":"tools/call","params":{"name":"get_x","arguments":{},"Name":"delete_x"},"jsonrpc":"2.0","id":ID}'],
  ['"Arguments" beside the arguments', '{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"get_x","arguments":{"id":"a"},"Arguments":{"id":"b"}}}'],
  ['"argumentſ" alone (U+017F)', '{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"get_x","argumentſ":{"id":"b"}}}'],
  ['"Params" after params (top level)', '{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"get_x","arguments":{}},"Params":{"name":"delete_x","arguments":{}}}'],
  ['"paramſ" after params (U+017F)', '{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"get_x","arguments":{}},"paramſ":{"name":"delete_x","arguments":{}}}'],
  ['"kind"/"\u212aind" in arguments (U+212A)', '{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"get_x","arguments":{"kind":"a","\u212aind":"b"}}}'],
  ['"id"/"ID" deep in arguments', '{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"get_x","arguments":{"t":[{"u":{"id":"a","ID":"b"}}]}}}'],
];

async function answerTo(c: LineClient, line: string, id: number): Promise<Record<string, unknown>> {
  c.write(`${line}\n`);
  for (;;) {
    const msg = await c.next();
    if (msg.id === id) return msg;
  }
}

function rows(path: string): Array<Record<string, unknown>> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT request_id, method, tool, arguments, decision, reasons, outcome, error_code FROM audit_log ORDER BY seq').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

for (const audited of [true, false]) {
  describe(`allow-all, audit ${audited ? 'on (raw path)' : 'off'}: a compact tools/call with case-variant names is refused, never forwarded as bytes`, () => {
    let s: Scratch;
    let c: LineClient;
    let db: string;

    beforeAll(async () => {
      s = await scratch();
      db = join(s.dir, 'audit.db');
      const audit = audited ? ['--audit', db] : ['--no-audit'];
      c = new LineClient(['wrap', '--policy', 'allow-all', ...audit, '--', process.execPath, GO_SERVER, 'get_x', 'delete_x'], { MCP_RECORD_FILE: s.recordFile });
      await c.initialize();
    });
    afterAll(async () => {
      c?.proc.kill();
      await s?.remove();
    });

    it('a plain compact call runs', async () => {
      const a = await answerTo(c, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_x","arguments":{"id":"a"}}}', 1);
      expect(a.error).toBeUndefined();
      expect(s.received()).toEqual([expect.objectContaining({ name: 'get_x', arguments: { id: 'a' } })]);
    });

    it.each(VARIANTS.map(([label, line], i) => [label, line, 10 + i] as const))('%s: -32600, the backend gets nothing', async (_label, line, id) => {
      const before = s.received().length;
      const a = await answerTo(c, line.replace('ID', String(id)), id);
      expect(a.error).toMatchObject({ code: -32600, message: expect.stringMatching(/differs from .* only in case/) });
      expect(s.received().slice(before)).toEqual([]);
    });

    // only with the audit on (defined, not skipped, so that the suite's skip count stays meaningful)
    if (audited) it('the audit file has the refusals (denied, -32600, no tool), and no row saying get_x ran but the plain call', async () => {
      c.proc.stdin.end();
      await c.exited;
      const got = rows(db).filter((r) => r.method === 'tools/call');
      expect(got[0]).toMatchObject({ request_id: '1', tool: 'get_x', decision: 'allow', outcome: 'ok' });
      const refused = got.slice(1);
      expect(refused.map((r) => r.request_id)).toEqual(VARIANTS.map((_, i) => String(10 + i)));
      for (const r of refused) {
        expect(r).toMatchObject({ tool: null, arguments: null, decision: 'deny', outcome: 'denied', error_code: -32600 });
        expect(String(r.reasons)).toMatch(/differs from .* only in case/);
      }
    });
  });
}
