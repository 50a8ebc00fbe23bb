/**
 * wrap forwards a backend's answer as the bytes the backend wrote (only the id changed) when nothing
 * in the proxy judged it (allow-all policy without a response phase, no audit), and as the parsed
 * answer serialized again as soon as something did (here: the audit records it). The same holds for
 * a client's request: its own bytes reach the backend while the policy allows everything whatever
 * the input and the audit is off; with the audit on, or a policy that reads the request, the backend
 * gets the parsed request serialized again.
 */
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/proxy.js';

const SERVER = join(ROOT, 'test/servers/verbatim-server.mjs');
const dir = mkdtempSync(join(tmpdir(), 'warden-passthrough-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one session through wrap; returns the raw line answering the tools/call (`call`: its id, or its whole line). */
async function callThroughWrap(options: string[], call: unknown, afterInitialize = false): Promise<string> {
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
    const timer = setTimeout(() => reject(new Error(`no answer; stderr:\n${stderr}`)), 60_000);
    proc.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (afterInitialize && line.includes('"protocolVersion"')) sendCall();
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
  const sendCall = (): void => {
    if (typeof call === 'string' && call.startsWith('{')) proc.stdin.write(`${call}\n`);
    else send({ jsonrpc: '2.0', id: call, method: 'tools/call', params: { name: 'spell', arguments: {} } });
  };
  if (!afterInitialize) sendCall();
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

describe('wrap: requests nothing judged reach the backend as the client wrote them', () => {
  // Spellings JSON.stringify would not produce: a number written 1.0, an integer beyond a double, a space.
  const request = '{"jsonrpc":"2.0","id":"r-1","method":"tools/call","params":{"name":"received","arguments":{"ratio":1.0, "big":12345678901234567890}}}';
  const received = (answer: string, id: unknown = 'r-1'): string => {
    const parsed = JSON.parse(answer) as { id: unknown; result: { content: Array<{ text: string }> } };
    expect(parsed.id).toBe(id);
    return parsed.result.content[0]!.text;
  };
  const ARGS = '{"name":"received","arguments":{"ratio":1.0, "big":12345678901234567890}}';

  const asWritten = /^\{"jsonrpc":"2\.0","id":\d+,"method":"tools\/call","params":\{"name":"received","arguments":\{"ratio":1\.0, "big":12345678901234567890\}\}\}$/;

  it('allow-all without audit: the client bytes, with the proxy id spliced in', async () => {
    expect(received(await callThroughWrap(['--policy', 'allow-all', '--no-audit'], request, true))).toMatch(asWritten);
  });

  it('allow-all without audit, the call pipelined behind initialize (held until the backend is up): the same', async () => {
    expect(received(await callThroughWrap(['--policy', 'allow-all', '--no-audit'], request))).toMatch(asWritten);
  });

  // Integer ids written compactly go to the backend without being parsed at all, id included (the same bytes).
  it('allow-all without audit, an integer id written first (Python SDK order): the client bytes, id and all', async () => {
    const request = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":${ARGS}}`;
    expect(received(await callThroughWrap(['--policy', 'allow-all', '--no-audit'], request, true), 7)).toBe(request);
  });

  it('allow-all without audit, an integer id written last (TypeScript SDK order): the client bytes, id and all', async () => {
    const request = `{"method":"tools/call","params":${ARGS},"jsonrpc":"2.0","id":0}`;
    expect(received(await callThroughWrap(['--policy', 'allow-all', '--no-audit'], request, true), 0)).toBe(request);
  });

  it('allow-all without audit, "id" written twice: answered under the id a JSON parser reads (the last)', async () => {
    const line = received(await callThroughWrap(['--policy', 'allow-all', '--no-audit'], `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":${ARGS},"id":9}`, true), 9);
    expect(line).toMatch(/^\{"jsonrpc":"2\.0","id":7,"method":"tools\/call","params":.*,"id":\d+\}$/);
  });

  // With the audit on, a compact call whose line holds no name the audit redacts is recorded raw (docs/audit.md).
  it('allow-all with the audit on, an integer id, no redacted name in the line: the client bytes (the raw path)', async () => {
    const request = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":${ARGS}}`;
    expect(received(await callThroughWrap(['--policy', 'allow-all', '--audit', join(dir, 'audit-int.db')], request, true), 7)).toBe(request);
  });

  it('allow-all with the audit on, an integer id, a redacted name in the line: serialized again', async () => {
    const args = '{"name":"received","arguments":{"ratio":1.0, "password":"x"}}';
    const line = received(await callThroughWrap(['--policy', 'allow-all', '--audit', join(dir, 'audit-secret.db')], `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":${args}}`, true), 7);
    expect(line).toContain('"ratio":1,');
  });

  it('with the audit on: the request the audit saw, serialized again', async () => {
    const line = received(await callThroughWrap(['--policy', 'allow-all', '--audit', join(dir, 'audit-request.db')], request));
    expect(JSON.parse(line)).toMatchObject({ method: 'tools/call', params: { name: 'received', arguments: { ratio: 1 } } });
    expect(line).toContain('"ratio":1,');
    expect(line).not.toContain('12345678901234567890');
  });

  it('with a policy that reads the request: the request the policy judged, serialized again', async () => {
    const policy = join(dir, 'reads-input.rego');
    writeFileSync(policy, 'package mcp.authz\n\nimport rego.v1\n\ndefault allow := false\n\nallow if input.method == "tools/call"\n\nallow if input.method != "tools/call"\n');
    const line = received(await callThroughWrap(['--policy', policy, '--no-audit'], request));
    expect(line).toContain('"ratio":1,');
    expect(line).not.toContain('12345678901234567890');
  });
});
