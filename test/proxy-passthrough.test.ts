/**
 * wrap forwards a backend's answer as the bytes the backend wrote (only the id changed) when nothing
 * in the proxy judged it (allow-all policy without a response phase, no audit), and as the parsed
 * answer serialized again as soon as something did (here: the audit records it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/proxy.js';

const SERVER = join(ROOT, 'test/servers/verbatim-server.mjs');
const dir = mkdtempSync(join(tmpdir(), 'warden-passthrough-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one session through wrap; returns the raw line answering the tools/call. */
async function callThroughWrap(options: string[], id: unknown): Promise<string> {
  const proc = spawn(process.execPath, [CLI, 'wrap', ...options, '--', process.execPath, SERVER], {
    cwd: ROOT,
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  let buffer = '';
  const answered = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer; stderr:\n${stderr}`)), 15_000);
    proc.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (line.includes('"structuredContent"') || line.includes('"error"')) {
          clearTimeout(timer);
          resolve(line);
        }
      }
    });
  });
  const send = (m: unknown) => proc.stdin.write(JSON.stringify(m) + '\n');
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'spell', arguments: {} } });
  try {
    return await answered;
  } finally {
    proc.stdin.end();
    proc.kill('SIGTERM');
  }
}

describe('wrap: answers nothing judged pass as the backend wrote them', () => {
  it('allow-all without audit: the backend bytes, with the client id spliced in', async () => {
    const line = await callThroughWrap(['--policy', 'allow-all', '--no-audit'], 'c-"7"');
    expect(line).toBe('{"jsonrpc":"2.0","id":"c-\\"7\\"","result":{"content":[{"type":"text","text":"ok"}],"structuredContent":{"ratio":1.0,"big":12345678901234567890}}}');
  });

  it('with the audit on: the answer the audit recorded, serialized again', async () => {
    const line = await callThroughWrap(['--policy', 'allow-all', '--audit', join(dir, 'audit.db')], 42);
    expect(JSON.parse(line)).toMatchObject({ id: 42, result: { structuredContent: { ratio: 1 } } });
    expect(line).toContain('"ratio":1,');
    expect(line).not.toContain('12345678901234567890');
  });
});
