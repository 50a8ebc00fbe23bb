/**
 * Review of the audit's raw path on bytes (src/audit/raw-safe-bytes.ts, Redactor.rawSafeBytes,
 * Spool.appendRaw), through the real proxy: `mcp-warden wrap` (stdio, allow-all, audit on) gets
 * tools/call lines written by hand whose arguments hold a secret under a sensitive name spelled
 * every way a JSON writer can: escapes (\u0070assword, pass\u0077ord), any case, `-` for `_`, the
 * name as the last word of a longer one, U+212A KELVIN SIGN for a `k` (lower-cases to `k`), deep
 * nesting, and lines split across reads in the middle of the name and in the middle of a
 * multi-byte character. Every call is answered; wrap is then killed with SIGKILL, and neither the journal nor the
 * database holds any of the secrets, and each row's arguments are redacted. Both journals.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { listJournals, readSegment } from '../src/audit/spool.js';
import { openAuditStore } from '../src/audit/index.js';
import { auditConfig, CLI, databaseBytes, tempDir } from './helpers/audit.js';
import { ROOT } from './helpers/proxy.js';

const BACKEND = join(ROOT, 'test/servers/raw-audit-backend.mjs');

/** Argument objects as JSON text (written as they are), each with its secret. */
const CASES: Array<[string, string]> = [
  ['{"text":"a","\\u0070assword":"S1-zq"}', 'S1-zq'],
  ['{"text":"a","PASSWORD":"S2-zq"}', 'S2-zq'],
  ['{"text":"a","pass\\u0077ord":"S3-zq"}', 'S3-zq'],
  ['{"text":"a","api-key":"S4-zq"}', 'S4-zq'],
  ['{"text":"a","Api_Key":"S5-zq"}', 'S5-zq'],
  ['{"text":"a","api\u212aey":"S6-zq"}', 'S6-zq'],
  ['{"text":"a","clientSecret":"S7-zq"}', 'S7-zq'],
  ['{"text":"a","\\u0050ASSWORD":"S8-zq"}', 'S8-zq'],
  ['{"text":"a","a":{"b":[{"c":{"token":"S9-zq"}}]}}', 'S9-zq'],
  ['{"text":"a","x-Authorization":"S10-zq"}', 'S10-zq'],
  ['{"text":"a","tok\\u0065n":"S11-zq"}', 'S11-zq'],
  ['{"text":"é","session_token":"S12-zq"}', 'S12-zq'],
  ['{"text":"a","\\u0074\\u006f\\u006b\\u0065\\u006e":"S13-zq"}', 'S13-zq'],
];
/** Split across two writes: in the middle of the name, and inside a multi-byte character before it. */
const SPLIT: Array<[string, string, string]> = [
  ['{"text":"a","pass', 'word":"S14-zq"}', 'S14-zq'],
  ['{"text":"\u00e9\u00e9', '","token":"S15-zq"}', 'S15-zq'],
];

function line(id: number, args: string): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":${args}}}\n`;
}

function drive(dbPath: string, journal: string): Promise<number[]> {
  return new Promise((done, fail) => {
    const wrap = spawn(process.execPath, [CLI, 'wrap', '--policy', 'allow-all', '--audit', dbPath, '--', process.execPath, BACKEND], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'silent', MCP_WARDEN_AUDIT_JOURNAL: journal },
    });
    const answered: number[] = [];
    const total = 2 * CASES.length + SPLIT.length;
    let buffer = '';
    wrap.stdout.on('data', async (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buffer.slice(0, nl)) as { id?: number };
        buffer = buffer.slice(nl + 1);
        if (msg.id === 1) {
          wrap.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
          // each case twice (the second after the session settled), then the split lines
          let id = 2;
          for (const [args] of CASES) wrap.stdin.write(line(id++, args));
          for (const [args] of CASES) wrap.stdin.write(line(id++, args));
          for (const [a, b] of SPLIT) {
            const bytes = Buffer.from(line(id++, a + b), 'utf8');
            // cut inside the name, or inside the multi-byte character
            const cut = bytes.indexOf(Buffer.from(a.endsWith('pass') ? 'pass' : '\u00e9', 'utf8')) + (a.endsWith('pass') ? 4 : 1);
            wrap.stdin.write(bytes.subarray(0, cut));
            await new Promise((r) => setTimeout(r, 30));
            wrap.stdin.write(bytes.subarray(cut));
          }
          continue;
        }
        if (typeof msg.id === 'number') answered.push(msg.id);
        if (answered.length === total) wrap.kill('SIGKILL');
      }
    });
    wrap.on('error', fail);
    wrap.on('close', () => done(answered));
    wrap.stdin.write('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"spell","version":"1"}}}\n');
  });
}

const JOURNALS = process.platform === 'linux' ? ['mapped', 'write'] : ['write'];

describe.each(JOURNALS)('raw path: secrets spelled every way never reach the journal or the database (%s journal)', (kind) => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => tmp?.cleanup());

  it('answers every call and stores none of the secrets', async () => {
    tmp = tempDir();
    const dbPath = join(tmp.dir, 'audit.db');
    const answered = await drive(dbPath, kind);
    expect(answered.length).toBe(2 * CASES.length + SPLIT.length);
    const secrets = [...CASES.map((c) => c[1]), ...SPLIT.map((c) => c[2])];
    // killed with SIGKILL once every answer came: the journal it left holds every call
    const journal = listJournals(dbPath).flatMap((j) => j.files.map((f) => readSegment(f))).join('');
    expect(journal.match(/^\d+ /gm)?.length ?? 0).toBeGreaterThanOrEqual(answered.length);
    const store = openAuditStore(auditConfig(dbPath));
    try {
      expect(store.verify()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare("SELECT request_id, arguments FROM audit_log WHERE method = 'tools/call'").all() as Array<{ request_id: string; arguments: string }>;
    db.close();
    expect(rows.length).toBe(answered.length);
    const bytes = databaseBytes(dbPath);
    for (const s of secrets) {
      expect(journal.includes(s), `${s} in the journal`).toBe(false);
      expect(bytes.includes(Buffer.from(s)), `${s} in the database`).toBe(false);
      expect(rows.some((r) => r.arguments.includes(s)), `${s} in a row`).toBe(false);
    }
    for (const r of rows) expect(r.arguments, r.request_id).toContain('[REDACTED]');
  }, 120_000);
});
