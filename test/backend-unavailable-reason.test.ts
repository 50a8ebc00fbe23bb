/**
 * A backend that cannot start: the client's error says why. With several backends, a session opens
 * over those that started, and a request for one that did not was answered `backend 'bad' is
 * unavailable: restarting`, nothing more: the operator looking at the client's error could not tell
 * a typo in the command from a server crashing at startup. Now the last failure is said with it (the
 * spawn error with what its code means, or the exit code), as the client's initialize answer already
 * said it with one backend. Real `serve` over Streamable HTTP; one good backend, one whose command
 * does not exist, one that exits with code 3 at once.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL_POLICY, connectHttp, startServe, TEST_BACKEND, type ServeProcess } from './helpers/proxy.js';
import { until } from './helpers/wait.js';

describe('serve: a backend that cannot start is unavailable with its reason', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  let client: Client;
  beforeAll(async () => {
    serve = await startServe(`backends:
  - { name: good, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TEST_BACKEND)}] }
  - { name: bad, transport: stdio, command: /nonexistent/mcp-server-typo, restart: { initialDelayMs: 60000, maxDelayMs: 60000 } }
  - { name: crash, transport: stdio, command: /bin/sh, args: [-c, 'exit 3'], restart: { initialDelayMs: 60000, maxDelayMs: 60000 } }
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
    client = await connectHttp(serve.url);
  });
  afterAll(async () => {
    await client?.close();
    await serve?.stop();
  });

  it('a request for a backend whose command does not exist says so (spawn error, command not found), naming the command by its base name only', async () => {
    // initialize waited for every backend's first attempt: each has failed once by now.
    const err = await client.callTool({ name: 'bad__echo', arguments: {} }).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toContain("backend 'bad' is unavailable: restarting (last failure: spawn mcp-server-typo ENOENT (command not found))");
    // The configured path (a layout of the server's disk) is for the server log, not the client.
    expect(err?.message).not.toContain('/nonexistent');
    await until(() => serve.stderr().includes('spawn /nonexistent/mcp-server-typo ENOENT'), 'the spawn error with its path in the server log');
  });

  it('a request for a backend that exited at startup says with which code', async () => {
    await expect(client.callTool({ name: 'crash__echo', arguments: {} })).rejects.toThrow("backend 'crash' is unavailable: restarting (last failure: exited (code 3))");
  });

  it('the backend that started serves as before', async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools.every((t) => t.startsWith('good__'))).toBe(true);
    expect(tools.length).toBeGreaterThan(0);
  });
});

describe('serve: when no backend can start, the initialize error names the command by its base name only', { timeout: 120_000 }, () => {
  let serve: ServeProcess;
  afterAll(async () => {
    await serve?.stop();
  });

  it('the configured path is not in the error every client gets (it was: spawn /nonexistent/mcp-server-typo ENOENT)', async () => {
    serve = await startServe(`backends:
  - { name: bad, transport: stdio, command: /nonexistent/mcp-server-typo, restart: { initialDelayMs: 60000, maxDelayMs: 60000 } }
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
    const err = await connectHttp(serve.url).then(
      async (c) => {
        await c.close();
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain("backend 'bad' is unavailable: spawn mcp-server-typo ENOENT (command not found)");
    expect(err?.message).not.toContain('/nonexistent');
    // The server's log (written asynchronously: it may come after the client's answer) names the path.
    await until(() => serve.stderr().includes('spawn /nonexistent/mcp-server-typo ENOENT'), 'the spawn error with its path in the server log');
  });
});

