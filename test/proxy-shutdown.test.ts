/**
 * Shutdown and exit: SIGINT/SIGTERM to `wrap` and to `serve` end every child backend (the child's
 * pid is gone afterwards), the client closing stdin ends the child, a child's exit ends `wrap` with
 * the child's exit code, and a command that does not exist exits 127 with one clear line.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { ALLOW_ALL_POLICY, connectHttp, firstText, isAlive, startServe, TEST_BACKEND, testClient, waitFor } from './helpers/proxy.js';

async function wrapWithChildPid(): Promise<{ c: LineClient; childPid: number }> {
  const c = new LineClient(['wrap', '--no-audit', '--policy', 'allow-all', '--', process.execPath, TEST_BACKEND]);
  await c.initialize();
  const answer = await c.request(1, 'tools/call', { name: 'whoami', arguments: {} });
  const text = (answer.result as { content: Array<{ text: string }> }).content[0]!.text;
  const childPid = (JSON.parse(text) as { pid: number }).pid;
  expect(isAlive(childPid)).toBe(true);
  return { c, childPid };
}

describe('wrap: shutdown and exit codes', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} ends the child process and exits ${code}`, async () => {
      const { c, childPid } = await wrapWithChildPid();
      c.proc.kill(signal);
      const exit = await c.exited;
      expect(exit.code).toBe(code);
      await waitFor(() => !isAlive(childPid), 30_000, 'child gone');
    });
  }

  it('the client closing stdin ends the child and wrap exits 0', async () => {
    const { c, childPid } = await wrapWithChildPid();
    c.proc.stdin.end();
    expect((await c.exited).code).toBe(0);
    await waitFor(() => !isAlive(childPid), 30_000, 'child gone');
  });

  it("the child's exit ends wrap with the child's exit code", async () => {
    const { c } = await wrapWithChildPid();
    c.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'crash', arguments: {} } });
    const answer = await c.next();
    expect(answer).toMatchObject({ id: 2, error: { code: -32000, message: "backend 'backend' is unavailable: exited (code 3)" } });
    expect((await c.exited).code).toBe(3);
  });

  it('a command that cannot be started: exit 127 and one line on stderr', async () => {
    const c = new LineClient(['wrap', '--no-audit', '--policy', 'allow-all', '--', 'definitely-not-a-command-xyz']);
    c.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const answer = await c.next();
    expect(answer).toMatchObject({ id: 0, error: { code: -32000, message: expect.stringContaining('ENOENT') } });
    expect((await c.exited).code).toBe(127);
    expect(c.stderr).toContain("mcp-warden: cannot start 'definitely-not-a-command-xyz'");
  });
});

describe('serve: shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} closes sessions and ends every child backend`, async () => {
      const serve = await startServe(`backends:
  - name: one
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(TEST_BACKEND)}]
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
      const clients: Client[] = [await connectHttp(serve.url), await connectHttp(serve.url)];
      const pids: number[] = [];
      for (const client of clients) {
        const who = JSON.parse(firstText(await client.callTool({ name: 'whoami', arguments: {} }))) as { pid: number };
        pids.push(who.pid);
      }
      expect(new Set(pids).size).toBe(2); // one child per client session
      expect(pids.every(isAlive)).toBe(true);
      const code = await serve.stop(signal);
      expect(code).toBe(0);
      await waitFor(() => pids.every((p) => !isAlive(p)), 30_000, 'children gone');
      for (const client of clients) await client.close().catch(() => undefined);
    });
  }

  it('an HTTP client ending its session (DELETE) ends that session\'s child backend only', async () => {
    const serve = await startServe(`backends:
  - name: one
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(TEST_BACKEND)}]
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
    try {
      const leaving = testClient('leaving');
      const transport = new StreamableHTTPClientTransport(new URL(serve.url));
      await leaving.connect(transport);
      const staying = await connectHttp(serve.url);
      const pidOf = async (c: Client) => (JSON.parse(firstText(await c.callTool({ name: 'whoami', arguments: {} }))) as { pid: number }).pid;
      const gone = await pidOf(leaving);
      const kept = await pidOf(staying);
      await transport.terminateSession();
      await leaving.close();
      await waitFor(() => !isAlive(gone), 5000, 'the leaving session\'s child gone');
      expect(isAlive(kept)).toBe(true);
      expect(await pidOf(staying)).toBe(kept);
      await staying.close();
    } finally {
      await serve.stop();
    }
  });
});
