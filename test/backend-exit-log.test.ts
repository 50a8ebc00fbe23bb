/**
 * A backend's exit is warned about only when nobody asked for it. The proxy ending a backend itself
 * (its client session closed, `serve` shutting down) used to log its own SIGTERM at warn level
 * ("backend process exited", signal SIGTERM), and so did a stop signal sent to serve's whole
 * process group (Ctrl-C in a terminal, systemd's stop), which reaches the backends too. Those are
 * now said at debug ("backend process stopped"); a backend dying on its own while serving is still
 * a warning, and so is one that had to be SIGKILLed because it ignored SIGTERM. Real `serve`, real
 * child processes, log level debug.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { connectHttp, firstText, isAlive, startServe, TEST_BACKEND, testClient, waitFor } from './helpers/proxy.js';

const config = (env = '') => `backends:
  - name: one
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(TEST_BACKEND)}]
    restart: { initialDelayMs: 60000, maxDelayMs: 60000 }
${env}auth: { anonymous: true }
audit: { enabled: false }
policy: { paths: [allow-all], watch: false }
log: { level: debug }
`;

const pidOf = async (c: Client) => (JSON.parse(firstText(await c.callTool({ name: 'whoami', arguments: {} }))) as { pid: number }).pid;

/** The log lines about backend exits, as [level, msg, signal]. */
function exitLines(stderr: string): Array<[number, string, string | null]> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"backend process'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; signal: string | null })
    .map((l) => [l.level, l.msg, l.signal]);
}

const WARN = 40;
const DEBUG = 20;

describe('backend exit log levels', () => {
  it("a session's backend ended by the proxy (DELETE) is logged at debug, one killed from outside still warns", async () => {
    const serve = await startServe(config());
    try {
      const leaving = testClient('leaving');
      const transport = new StreamableHTTPClientTransport(new URL(serve.url));
      await leaving.connect(transport);
      const staying = await connectHttp(serve.url);
      const gone = await pidOf(leaving);
      const killed = await pidOf(staying);
      await transport.terminateSession();
      await leaving.close();
      await waitFor(() => exitLines(serve.stderr()).length === 1, 30_000, 'the ended backend logged');
      expect(exitLines(serve.stderr())).toEqual([[DEBUG, 'backend process stopped', 'SIGTERM']]);
      expect(isAlive(gone)).toBe(false);

      process.kill(killed, 'SIGTERM'); // not the proxy's doing: a warning
      await waitFor(() => exitLines(serve.stderr()).length === 2, 30_000, 'the killed backend logged');
      expect(exitLines(serve.stderr())[1]).toEqual([WARN, 'backend process exited', 'SIGTERM']);
      await staying.close();
    } finally {
      await serve.stop();
    }
  });

  for (const group of [false, true]) {
    it(`serve stopped by SIGTERM ${group ? "to its process group (the backends get it too)" : 'to serve alone'}: backends' exits logged at debug`, async () => {
      const serve = await startServe(config(), [], { detached: group });
      const clients = [await connectHttp(serve.url), await connectHttp(serve.url)];
      const pids = await Promise.all(clients.map(pidOf));
      const exited = new Promise<number | null>((r) => serve.proc.once('exit', (code) => r(code)));
      if (group) process.kill(-serve.proc.pid!, 'SIGTERM');
      else serve.proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      await serve.stop();
      for (const c of clients) await c.close().catch(() => undefined);
      await waitFor(() => pids.every((p) => !isAlive(p)), 30_000, 'backends gone');
      // Each exit is handled before serve exits (close() waits for it), so both lines are there.
      const lines = exitLines(serve.stderr());
      expect(lines).toHaveLength(2);
      for (const [level, msg] of lines) expect([level, msg]).toEqual([DEBUG, 'backend process stopped']);
      expect(serve.stderr()).not.toContain('restarting backend');
    });
  }

  it('a backend that ignores SIGTERM and has to be SIGKILLed is warned about', async () => {
    const serve = await startServe(config('    env: { TEST_BACKEND_IGNORE_SIGTERM: "1" }\n'));
    const client = await connectHttp(serve.url);
    const pid = await pidOf(client);
    expect(await serve.stop('SIGTERM')).toBe(0);
    await client.close().catch(() => undefined);
    expect(isAlive(pid)).toBe(false);
    expect(exitLines(serve.stderr())).toEqual([[WARN, 'backend process did not exit after SIGTERM within the grace period: killed', 'SIGKILL']]);
  });

  it('a backend command that cannot be spawned is said once per attempt, at error level (it was said twice)', async () => {
    const serve = await startServe(`backends:
  - name: one
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(TEST_BACKEND)}]
  - name: gone
    transport: stdio
    command: /nonexistent/mcp-server-walk
    restart: { initialDelayMs: 60000, maxDelayMs: 60000 }
auth: { anonymous: true }
audit: { enabled: false }
policy: { paths: [allow-all], watch: false }
`);
    try {
      const client = await connectHttp(serve.url);
      // 'restarting backend' follows everything said about the first attempt.
      await waitFor(() => /"backend":"gone"[^\n]*"msg":"restarting backend"/.test(serve.stderr()), 30_000, 'the restart scheduled');
      const said = serve
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"backend":"gone"'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; err?: string });
      expect(said.map((l) => [l.level, l.msg])).toEqual([
        [50, 'backend could not be started'],
        [30, 'restarting backend'],
      ]);
      expect(said[0]!.err).toBe('spawn /nonexistent/mcp-server-walk ENOENT');
      await client.close();
    } finally {
      await serve.stop();
    }
  });
});
