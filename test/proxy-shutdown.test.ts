/**
 * Shutdown and exit: SIGINT/SIGTERM to `wrap` and to `serve` end every child backend (the child's
 * pid is gone afterwards), the client closing stdin ends the child, a child's exit ends `wrap` with
 * the child's exit code, and a command that does not exist exits 127 with one clear line.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { connectHttp, firstText, isAlive, startServe, TEST_BACKEND, waitFor, ALLOW_ALL_POLICY } from './helpers/proxy.js';

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
      await waitFor(() => !isAlive(childPid), 5000, 'child gone');
    });
  }

  it('the client closing stdin ends the child and wrap exits 0', async () => {
    const { c, childPid } = await wrapWithChildPid();
    c.proc.stdin.end();
    expect((await c.exited).code).toBe(0);
    await waitFor(() => !isAlive(childPid), 5000, 'child gone');
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
      await waitFor(() => pids.every((p) => !isAlive(p)), 5000, 'children gone');
      for (const client of clients) await client.close().catch(() => undefined);
    });
  }
});
