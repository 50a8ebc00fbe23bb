/**
 * The raw path tests a request line for the redacted names once it is forwarded (raw-audit.ts
 * scanRequestLater), not before: a tools/call line with a secret in its arguments goes to the
 * backend as its bytes, like any line nothing judges, and is then recorded the parsed way, redacted,
 * with its answer. Through `mcp-warden wrap` (allow-all, audit on) over real pipes, with a backend
 * that answers with the request line it received (test/servers/verbatim-server.mjs), and the real
 * SQLite file read after the proxy has shut down.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/proxy.js';

const SERVER = join(ROOT, 'test/servers/verbatim-server.mjs');
const dir = mkdtempSync(join(tmpdir(), 'warden-raw-later-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One session through wrap with the audit on: sends `calls` (whole lines) after initialize; returns the answer lines and the audit rows. */
async function session(db: string, calls: string[]): Promise<{ answers: Map<number, string>; rows: Array<Record<string, unknown>> }> {
  const proc = spawn(process.execPath, [CLI, 'wrap', '--policy', 'allow-all', '--audit', db, '--', process.execPath, SERVER], {
    cwd: ROOT,
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const answers = new Map<number, string>();
  let buffer = '';
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answers; stderr:\n${stderr}`)), 15_000);
    proc.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const id = (JSON.parse(line) as { id: number }).id;
        if (id === 1) for (const call of calls) proc.stdin.write(`${call}\n`);
        else answers.set(id, line);
        if (answers.size === calls.length) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
  });
  proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`);
  proc.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  await done;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
  const handle = new Database(db, { readonly: true });
  try {
    const rows = handle.prepare("SELECT request_id, arguments, result FROM audit_log WHERE method = 'tools/call' ORDER BY seq").all() as Array<Record<string, unknown>>;
    return { answers, rows };
  } finally {
    handle.close();
  }
}

/** The request line the backend received, from the `received` tool's answer. */
function receivedLine(answer: string): string {
  return (JSON.parse(answer) as { result: { content: Array<{ text: string }> } }).result.content[0]!.text;
}

describe('audit raw path: a request line is tested for secrets after it is forwarded', () => {
  it('a line with a secret reaches the backend as its bytes; its row is redacted; a plain one goes raw', async () => {
    // 1.50: a spelling JSON.stringify would not give back, so a line parsed and serialized again shows.
    const secret = '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"received","arguments":{"password":"hunter2-later","n":1.50}}}';
    const plain = '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"received","arguments":{"n":1.50}}}';
    const { answers, rows } = await session(join(dir, 'later.db'), [secret, plain]);
    expect(receivedLine(answers.get(2)!)).toBe(secret);
    expect(receivedLine(answers.get(3)!)).toBe(plain);
    expect(rows.map((r) => [r.request_id, JSON.parse(r.arguments as string)])).toEqual([
      ['2', { password: '[REDACTED]', n: 1.5 }],
      ['3', { n: 1.5 }],
    ]);
  });
});
