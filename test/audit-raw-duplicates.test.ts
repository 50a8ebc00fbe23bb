/**
 * The audit's raw path never records a line that two JSON parsers could read differently: a request
 * or an answer with a member name written twice at some depth, or an answer that is not valid UTF-8,
 * takes the parsed path, so the backend
 * gets (and the client reads) the parsed form serialized again, the very arguments and result the
 * audit row shows. Through `mcp-warden wrap` (allow-all policy, audit on) over real pipes, with a
 * backend that answers with the request line it received (test/servers/verbatim-server.mjs) and a
 * real SQLite file read after the proxy has shut down.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/proxy.js';

const SERVER = join(ROOT, 'test/servers/verbatim-server.mjs');
const dir = mkdtempSync(join(tmpdir(), 'warden-raw-dupes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * One session through wrap with the audit on (`db`; undefined: off): sends `calls` (whole lines)
 * after initialize; returns the answer lines, the bytes wrap wrote to the client, and the audit rows.
 */
async function session(db: string | undefined, calls: string[]): Promise<{ answers: Map<number, string>; rows: Array<Record<string, unknown>>; written: Buffer }> {
  const audit = db === undefined ? ['--no-audit'] : ['--audit', db];
  const proc = spawn(process.execPath, [CLI, 'wrap', '--policy', 'allow-all', ...audit, '--', process.execPath, SERVER], {
    cwd: ROOT,
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const answers = new Map<number, string>();
  const chunks: Buffer[] = [];
  let buffer = '';
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answers; stderr:\n${stderr}`)), 60_000);
    proc.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
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
  const written = Buffer.concat(chunks);
  if (db === undefined) return { answers, rows: [], written };
  const handle = new Database(db, { readonly: true });
  try {
    const rows = handle.prepare("SELECT request_id, arguments, result FROM audit_log WHERE method = 'tools/call' ORDER BY seq").all() as Array<Record<string, unknown>>;
    return { answers, rows, written };
  } finally {
    handle.close();
  }
}

/** The request line the backend received, from the `received` tool's answer. */
function receivedLine(answer: string): string {
  return (JSON.parse(answer) as { result: { content: Array<{ text: string }> } }).result.content[0]!.text;
}

describe('audit raw path: lines that parsers could read differently are parsed and serialized again', () => {
  it('a request with a nested duplicate name: the backend gets the arguments the row records', async () => {
    const dupe = '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"received","arguments":{"cmd":"rm -rf /","cmd":"ls"}}}';
    const plain = '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"received","arguments":{"cmd":"ls"}}}';
    const { answers, rows } = await session(join(dir, 'requests.db'), [dupe, plain]);
    const got = receivedLine(answers.get(2)!);
    // Serialized again from the parse the row is made of: one `cmd`, the last.
    expect(got).not.toContain('rm -rf');
    expect(JSON.parse(got)).toMatchObject({ params: { arguments: { cmd: 'ls' } } });
    // The plain line went as its bytes (raw path), id and all.
    expect(receivedLine(answers.get(3)!)).toBe(plain);
    expect(rows.map((r) => [r.request_id, JSON.parse(r.arguments as string)])).toEqual([
      ['2', { cmd: 'ls' }],
      ['3', { cmd: 'ls' }],
    ]);
  });

  it('an answer with a nested duplicate name: the client reads the result the row records', async () => {
    const { answers, rows } = await session(join(dir, 'answers.db'), ['{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"dupes","arguments":{}}}']);
    const line = answers.get(2)!;
    expect(line.match(/"verdict"/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ result: { structuredContent: { verdict: 'allow' } } });
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.result as string)).toMatchObject({ structuredContent: { verdict: 'allow' } });
  });

  // Not valid UTF-8: decoders disagree (U+FFFD, or an error), so the line is never passed on as its bytes.
  for (const audited of [true, false]) {
    it(`an answer that is not valid UTF-8 (audit ${audited ? 'on' : 'off'}): decoded and parsed, the client gets what the row records`, async () => {
      const call = '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"malformed","arguments":{}}}';
      const { answers, rows, written } = await session(audited ? join(dir, 'malformed.db') : undefined, [call]);
      // The byte never reaches the client: the answer was decoded (U+FFFD) and serialized again.
      expect(written.includes(0xff)).toBe(false);
      const result = (JSON.parse(answers.get(2)!) as { result: unknown }).result;
      expect(result).toEqual({ content: [{ type: 'text', text: 'a\ufffdb' }] });
      if (!audited) return;
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]!.result as string)).toEqual(result);
    });
  }
});
