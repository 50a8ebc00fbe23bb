/**
 * Acceptance 2 on the raw path, through the real proxy: a client keeps 32 tools/call in flight
 * through `mcp-warden wrap` (stdio, allow-all, audit on); most calls are journaled raw (request and
 * answer lines as they came), every fourth carries a password and takes the parsed path. wrap is
 * killed with SIGKILL mid-load. After a restart (opening the database imports the journal the
 * killed process left), every call whose answer reached the client is in the database exactly once,
 * the chain verifies, and the password is nowhere in the files. Both journals: segments mapped into
 * memory (Linux, the addon built) and the write() fallback (MCP_WARDEN_AUDIT_JOURNAL=write).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { MAGIC } from '../src/audit/mapped-journal.js';
import { listJournals, readSegment } from '../src/audit/spool.js';
import { auditConfig, CLI, databaseBytes, tempDir } from './helpers/audit.js';
import { expectAnsweredStoredOnce } from './helpers/audit-journal.js';
import { ROOT } from './helpers/proxy.js';

const BACKEND = join(ROOT, 'test/servers/raw-audit-backend.mjs');
const SECRET = 'hunter2-raw-kill';

/** Drives wrap until `target` answers came back, then kills it with SIGKILL; returns the answered ids. */
function loadAndKill(dbPath: string, target: number, journal: string): Promise<{ answered: number[]; signal: NodeJS.Signals | null }> {
  return new Promise((done, fail) => {
    const wrap = spawn(process.execPath, [CLI, 'wrap', '--policy', 'allow-all', '--audit', dbPath, '--', process.execPath, BACKEND], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'silent', MCP_WARDEN_AUDIT_JOURNAL: journal },
    });
    const answered: number[] = [];
    let next = 2;
    let killed = false;
    let buffer = '';
    const send = () => {
      const id = next++;
      const args = id % 4 === 0 ? { text: `t-${id}`, password: SECRET } : { text: `t-${id}` };
      wrap.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: args } })}\n`);
    };
    wrap.stdin.on('error', () => undefined);
    wrap.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const msg = JSON.parse(line) as { id?: number; result?: { content?: Array<{ text: string }> } };
        if (msg.id === 1) {
          wrap.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
          for (let k = 0; k < 32; k++) send();
          continue;
        }
        if (typeof msg.id !== 'number' || msg.result?.content?.[0]?.text !== `echo:t-${msg.id}`) continue;
        answered.push(msg.id);
        if (killed) continue;
        if (answered.length >= target) {
          killed = true;
          wrap.kill('SIGKILL');
        } else send();
      }
    });
    wrap.on('error', fail);
    // 'close' fires after stdout is drained: every answer written before the kill is read.
    wrap.on('close', (_code, signal) => done({ answered, signal }));
    wrap.stdin.write('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"kill","version":"1"}}}\n');
  });
}

const JOURNALS = process.platform === 'linux' ? ['mapped', 'write'] : ['write'];

describe.each(JOURNALS)('audit durability on the raw path, through wrap (%s journal)', (kind) => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => tmp?.cleanup());

  it('keeps every answered call, raw and redacted, across kill -9 of wrap and a restart', async () => {
    tmp = tempDir();
    const dbPath = join(tmp.dir, 'audit.db');
    const run = await loadAndKill(dbPath, 3000, kind);
    expect(run.signal).toBe('SIGKILL');
    expect(run.answered.length).toBeGreaterThanOrEqual(3000);
    // The killed process left its journal: raw entries and redacted rows, no password.
    const journals = listJournals(dbPath);
    expect(journals.length).toBe(1);
    for (const file of journals[0]!.files) expect(readFileSync(file).subarray(0, MAGIC.length).equals(MAGIC)).toBe(kind === 'mapped');
    const journal = journals[0]!.files.map((f) => readSegment(f)).join('');
    expect(journal).toMatch(/^\d+ R/m);
    expect(journal).toMatch(/^\d+ \[.*\[REDACTED\]/m);
    expect(journal.includes(SECRET)).toBe(false);

    const store = openAuditStore(auditConfig(dbPath));
    try {
      expect(store.verify()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare("SELECT request_id, arguments FROM audit_log WHERE method = 'tools/call'").all() as Array<{ request_id: string; arguments: string }>;
    db.close();
    const ids = rows.map((r) => JSON.parse(r.request_id) as number);
    expectAnsweredStoredOnce(ids, run.answered);
    const byId = new Map(rows.map((r) => [JSON.parse(r.request_id) as number, r.arguments]));
    for (const id of run.answered.slice(0, 200)) {
      expect(byId.get(id)).toBe(id % 4 === 0 ? `{"text":"t-${id}","password":"[REDACTED]"}` : `{"text":"t-${id}"}`);
    }
    expect(databaseBytes(dbPath).includes(Buffer.from(SECRET))).toBe(false);
  }, 120_000);
});
