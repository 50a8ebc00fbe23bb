/**
 * `mcp-warden serve` in front of @modelcontextprotocol/server-everything, reached by the SDK's
 * Client over Streamable HTTP: once with everything as a stdio backend, once with everything in
 * its own Streamable HTTP mode as an HTTP backend. Server-to-client requests (sampling,
 * elicitation, roots) must come back to the right client session, progress must reach the call
 * that asked for it, and a cancelled call must not break the session. Also server-filesystem
 * (stdio backend) through serve.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, EVERYTHING, expectProgress, FILESYSTEM, firstText, startServe, testClient, waitFor, type ServeProcess, ALLOW_ALL_POLICY } from './helpers/proxy.js';

/** A free TCP port for a third-party server that cannot report the port it bound. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function exercise(name: string, setup: () => Promise<{ serve: ServeProcess; cleanup?: () => Promise<void> }>): void {
  describe(name, () => {
    let serve: ServeProcess;
    let cleanup: (() => Promise<void>) | undefined;
    let client: Client;
    let other: Client;
    beforeAll(async () => {
      ({ serve, cleanup } = await setup());
      client = await connectHttp(serve.url, testClient('first'));
      other = await connectHttp(serve.url, testClient('second'));
    });
    afterAll(async () => {
      await client?.close();
      await other?.close();
      await serve?.stop();
      await cleanup?.();
    });

    it('lists and calls tools, transparently named', async () => {
      expect(client.getServerVersion()?.name).toMatch(/everything/i);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
      expect(firstText(await client.callTool({ name: 'echo', arguments: { message: 'http' } }))).toBe('Echo: http');
    });

    it('routes sampling and elicitation back to the session that made the call', async () => {
      await waitFor(async () => (await client.listTools()).tools.some((t) => t.name === 'trigger-sampling-request'), 30_000, 'sampling tool');
      const [a, b] = await Promise.all([
        client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'one', maxTokens: 5 } }),
        other.callTool({ name: 'trigger-elicitation-request', arguments: {} }),
      ]);
      expect(firstText(a)).toContain('sampled: 1 message(s)');
      expect((b.content as Array<{ text?: string }>).map((c) => c.text).join('\n')).toContain('Ada');
    });

    it('relays progress and survives a cancelled call', async () => {
      const progress: number[] = [];
      await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      expectProgress(progress, 3);
      const controller = new AbortController();
      const call = client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 5, steps: 50 } }, undefined, {
        signal: controller.signal,
        onprogress: () => controller.abort(),
      });
      await expect(call).rejects.toThrow();
      expect(firstText(await client.callTool({ name: 'echo', arguments: { message: 'next' } }))).toBe('Echo: next');
    });

    it('reads resources and completes prompt arguments', async () => {
      const { resources } = await client.listResources();
      const read = await client.readResource({ uri: resources[0]!.uri });
      expect(read.contents[0]?.uri).toBe(resources[0]!.uri);
      const c = await client.complete({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: 'Sa' } });
      expect(c.completion.values).toEqual(['Sales']);
    });
  });
}

exercise('serve (Streamable HTTP) -> server-everything (stdio backend)', async () => ({
  serve: await startServe(`backends:
  - name: everything
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(EVERYTHING)}, stdio]
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`),
}));

exercise('serve (Streamable HTTP) -> server-everything (Streamable HTTP backend)', async () => {
  const port = await freePort();
  const upstream: ChildProcess = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`everything (HTTP) did not start: ${log}`)), 60_000);
    upstream.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('listening on port')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const serve = await startServe(`backends:
  - name: everything
    transport: streamable-http
    url: http://127.0.0.1:${port}/mcp
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
  return {
    serve,
    cleanup: async () => {
      upstream.kill('SIGTERM');
    },
  };
});

exercise('serve (Streamable HTTP) -> server-everything (legacy SSE backend)', async () => {
  const port = await freePort();
  const upstream: ChildProcess = spawn(process.execPath, [EVERYTHING, 'sse'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`everything (SSE) did not start: ${log}`)), 60_000);
    upstream.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('running on port')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const serve = await startServe(`backends:
  - name: everything
    transport: sse
    url: http://127.0.0.1:${port}/sse
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
  return {
    serve,
    cleanup: async () => {
      upstream.kill('SIGTERM');
    },
  };
});

describe('serve (Streamable HTTP) -> server-filesystem (stdio backend)', () => {
  let dir: string;
  let serve: ServeProcess;
  let client: Client;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-fs-serve-'));
    await writeFile(join(dir, 'a.txt'), 'alpha');
    serve = await startServe(`backends:
  - name: fs
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(FILESYSTEM)}, ${JSON.stringify(dir)}]
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
    const { Client: SdkClient } = await import('@modelcontextprotocol/sdk/client/index.js');
    client = await connectHttp(serve.url, new SdkClient({ name: 'fs', version: '1' }));
  });
  afterAll(async () => {
    await client?.close();
    await serve?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and searches files through serve', async () => {
    expect(firstText(await client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'a.txt') } }))).toBe('alpha');
    const found = await client.callTool({ name: 'search_files', arguments: { path: dir, pattern: '*.txt' } });
    expect(firstText(found)).toContain('a.txt');
  });
});

describe('serve (Streamable HTTP) -> two server-everything backends (stdio)', () => {
  let serve: ServeProcess;
  let client: Client;
  beforeAll(async () => {
    const backend = (name: string) => `
  - name: ${name}
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(EVERYTHING)}, stdio]`;
    serve = await startServe(`backends:${backend('one')}${backend('two')}
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}`);
    client = await connectHttp(serve.url, testClient('two-everything'));
  });
  afterAll(async () => {
    await client?.close();
    await serve?.stop();
  });

  it('routes concurrent sampling and elicitation from two backends to the client and back to the right one', async () => {
    await waitFor(async () => {
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? undefined : { cursor });
        names.push(...page.tools.map((t) => t.name));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return names.includes('one__trigger-sampling-request') && names.includes('two__trigger-elicitation-request');
    }, 30_000, 'conditional tools of both backends');
    const [a, b, c] = await Promise.all([
      client.callTool({ name: 'one__trigger-sampling-request', arguments: { prompt: 'p1', maxTokens: 5 } }),
      client.callTool({ name: 'two__trigger-sampling-request', arguments: { prompt: 'p2', maxTokens: 5 } }),
      client.callTool({ name: 'two__trigger-elicitation-request', arguments: {} }),
    ]);
    expect(firstText(a)).toContain('sampled: 1 message(s)');
    expect(firstText(b)).toContain('sampled: 1 message(s)');
    expect((c.content as Array<{ text?: string }>).map((x) => x.text).join('\n')).toContain('Ada');
  });

  it("routes a task's tasks/get and tasks/result to the backend that created it", async () => {
    const seen: string[] = [];
    let text = '';
    const stream = client.experimental.tasks.callToolStream(
      { name: 'two__simulate-research-query', arguments: { topic: 'proxies', ambiguous: false } },
      undefined,
      { task: { ttl: 60_000 }, timeout: 30_000 },
    );
    for await (const message of stream) {
      seen.push(message.type);
      if (message.type === 'error') throw message.error;
      if (message.type === 'result') text = (message.result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
    }
    expect(seen[0]).toBe('taskCreated');
    expect(seen.at(-1)).toBe('result');
    expect(text).toContain('proxies');
  });

  it('relays progress from both backends to the calls that asked for it', async () => {
    const p1: number[] = [];
    const p2: number[] = [];
    await Promise.all([
      client.callTool({ name: 'one__trigger-long-running-operation', arguments: { duration: 0.4, steps: 2 } }, undefined, { onprogress: (p) => p1.push(p.progress) }),
      client.callTool({ name: 'two__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } }, undefined, { onprogress: (p) => p2.push(p.progress) }),
    ]);
    expectProgress(p1, 2);
    expectProgress(p2, 3);
  });
});
