/**
 * `mcp-warden wrap` in front of real npm servers over real pipes, driven by the SDK's Client:
 * @modelcontextprotocol/server-everything (tools, resources, subscriptions, prompts, completions,
 * progress, cancellation, sampling, elicitation, roots, logging) and server-filesystem, plus our
 * paginated test backend. wrap with one backend must be transparent: names, serverInfo and
 * instructions exactly as the server gives them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMessageRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWrap, EVERYTHING, expectProgress, FILESYSTEM, firstText, TEST_BACKEND, testClient, waitFor, type StdioConnection } from './helpers/proxy.js';

describe('wrap -- server-everything (stdio)', () => {
  let conn: StdioConnection;
  beforeAll(async () => {
    conn = await connectWrap([process.execPath, EVERYTHING, 'stdio']);
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('passes initialize through unchanged (serverInfo, instructions, capabilities)', () => {
    const info = conn.client.getServerVersion();
    expect(info?.name).toMatch(/everything/i);
    expect(conn.client.getInstructions()).toBeTruthy();
    const caps = conn.client.getServerCapabilities();
    expect(caps?.tools).toBeDefined();
    expect(caps?.resources?.subscribe).toBe(true);
    expect(caps?.prompts).toBeDefined();
  });

  it('lists and calls tools under their own names', async () => {
    const { tools } = await conn.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names.some((n) => n.includes('__'))).toBe(false);
    const echo = tools.find((t) => t.name === 'echo');
    expect(echo?.inputSchema).toBeDefined();
    const result = await conn.client.callTool({ name: 'echo', arguments: { message: 'through warden' } });
    expect(firstText(result)).toBe('Echo: through warden');
    const sum = await conn.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
    expect(firstText(sum)).toContain('42');
  });

  it('relays a sampling request to the client and its answer back', async () => {
    await waitFor(async () => (await conn.client.listTools()).tools.some((t) => t.name === 'trigger-sampling-request'), 30_000, 'sampling tool');
    const result = await conn.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 10 } });
    expect(firstText(result)).toContain('sampled: 1 message(s)');
  });

  it('relays an elicitation request and its answer', async () => {
    const result = await conn.client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    const all = (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
    expect(all).toContain('Ada');
  });

  it('relays roots/list from the server to the client', async () => {
    const result = await conn.client.callTool({ name: 'get-roots-list', arguments: {} });
    const all = (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
    expect(all).toContain('file:///tmp');
  });

  it('relays progress notifications for the call that asked for them', async () => {
    const progress: number[] = [];
    const result = await conn.client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(firstText(result)).toContain('Long running operation completed');
    expectProgress(progress, 3);
  });

  it('cancels a call in the middle and keeps serving', async () => {
    const controller = new AbortController();
    const call = conn.client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 5, steps: 50 } },
      undefined,
      { signal: controller.signal, onprogress: () => controller.abort('user changed their mind') },
    );
    await expect(call).rejects.toThrow();
    const next = await conn.client.callTool({ name: 'echo', arguments: { message: 'after cancel' } });
    expect(firstText(next)).toBe('Echo: after cancel');
  });

  it('lists and reads resources, resource templates, and relays subscription updates', async () => {
    const { resources } = await conn.client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const first = resources[0]!;
    const read = await conn.client.readResource({ uri: first.uri });
    expect(read.contents[0]?.uri).toBe(first.uri);
    const { resourceTemplates } = await conn.client.listResourceTemplates();
    expect(resourceTemplates.length).toBeGreaterThan(0);

    const updates: string[] = [];
    conn.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await conn.client.subscribeResource({ uri: first.uri });
    await conn.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    await waitFor(() => updates.includes(first.uri), 30_000, 'resources/updated');
    await conn.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    await conn.client.unsubscribeResource({ uri: first.uri });
  });

  it('gets prompts and completes prompt arguments', async () => {
    const { prompts } = await conn.client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('simple-prompt');
    const prompt = await conn.client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lyon' } });
    expect(JSON.stringify(prompt.messages)).toContain('Lyon');
    const completion = await conn.client.complete({
      ref: { type: 'ref/prompt', name: 'completable-prompt' },
      argument: { name: 'department', value: 'Eng' },
    });
    expect(completion.completion.values).toEqual(['Engineering']);
  });

  it('relays logging notifications after logging/setLevel', async () => {
    const logs: unknown[] = [];
    conn.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params.data);
    });
    await conn.client.setLoggingLevel('debug');
    await conn.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await waitFor(() => logs.length > 0, 30_000, 'a log message');
    await conn.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
  });

  it('answers ping itself', async () => {
    await expect(conn.client.ping()).resolves.toBeDefined();
  });
});

describe('wrap -- server-filesystem (stdio)', () => {
  let dir: string;
  let conn: StdioConnection;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-fs-'));
    await writeFile(join(dir, 'hello.txt'), 'hello from a file\n');
    const client = testClient('fs-test');
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: `file://${dir}`, name: 'tmp' }] }));
    conn = await connectWrap([process.execPath, FILESYSTEM, dir], [], client);
  });
  afterAll(async () => {
    await conn?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads, writes and lists files through the proxy', async () => {
    const { tools } = await conn.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['read_text_file', 'write_file', 'list_directory']));
    const read = await conn.client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'hello.txt') } });
    expect(firstText(read)).toContain('hello from a file');
    await conn.client.callTool({ name: 'write_file', arguments: { path: join(dir, 'new.txt'), content: 'written via warden' } });
    const listing = await conn.client.callTool({ name: 'list_directory', arguments: { path: dir } });
    expect(firstText(listing)).toContain('new.txt');
  });

  it('passes a tool error through unchanged', async () => {
    const result = await conn.client.callTool({ name: 'read_text_file', arguments: { path: '/etc/passwd' } });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toMatch(/denied|outside|not allowed/i);
  });
});

describe('wrap -- paginated test backend', () => {
  let conn: StdioConnection;
  beforeAll(async () => {
    conn = await connectWrap([process.execPath, TEST_BACKEND]);
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('passes cursors through: every tool, prompt and resource across pages', async () => {
    const tools: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await conn.client.listTools(cursor === undefined ? undefined : { cursor });
      tools.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(4);
    expect(tools).toEqual(['echo', 'whoami', 'crash', 'slow', 'cancelled_count', 'delete_thing', 'secret', 'sample_then_cancel']);
    const prompts = await conn.client.listPrompts();
    expect(prompts.nextCursor).toBe('2');
    const rest = await conn.client.listPrompts({ cursor: prompts.nextCursor! });
    expect(rest.prompts.map((p) => p.name)).toEqual(['third']);
  });

  it("a backend cancelling its own sampling request: the client's handler is told, under the id it knows", async () => {
    let aborted = false;
    conn.client.setRequestHandler(CreateMessageRequestSchema, (_req, extra) =>
      new Promise((resolve) => {
        extra.signal.addEventListener('abort', () => {
          aborted = true;
          resolve({ role: 'assistant', model: 'm', content: { type: 'text', text: 'too late' } });
        });
      }),
    );
    const result = await conn.client.callTool({ name: 'sample_then_cancel', arguments: {} });
    expect(firstText(result)).toBe('sampling cancelled');
    await waitFor(() => aborted, 30_000, 'sampling handler aborted');
  });

  it('cancellation reaches the backend (the tool sees it aborted)', async () => {
    const controller = new AbortController();
    const call = conn.client.callTool({ name: 'slow', arguments: { ms: 5000 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort(),
    });
    await expect(call).rejects.toThrow();
    await waitFor(async () => firstText(await conn.client.callTool({ name: 'cancelled_count', arguments: {} })) === '1', 30_000, 'backend cancel');
  });
});
