/**
 * `mcp-warden serve` with two stdio backends whose tool names collide, behind one Streamable HTTP
 * endpoint (and the stdio frontend): namespaced names, merged and paginated lists, honest merged
 * capabilities, resource URIs kept unambiguous, routing of prompts/completions/templates, and a
 * backend killed in the middle of a session (clear error, the other keeps working, it comes back).
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCli, connectHttp, firstText, startServe, tempDir, TEST_BACKEND, waitFor, type ServeProcess, type StdioConnection, ALLOW_ALL_POLICY } from './helpers/proxy.js';

function twoBackends(): string {
  const backend = (name: string, label: string) => `
  - name: ${name}
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(TEST_BACKEND)}]
    env: { TEST_BACKEND_LABEL: ${label} }
    timeoutMs: 5000
    restart: { initialDelayMs: 2000, maxDelayMs: 2000 }`;
  return `backends:${backend('alpha', 'a')}${backend('beta', 'b')}
auth: { anonymous: true }
audit: { enabled: false }
${ALLOW_ALL_POLICY}
`;
}

async function allPages<T>(fetch: (cursor?: string) => Promise<{ nextCursor?: string; items: T[] }>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(cursor);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== undefined && pages < 50);
  return { items, pages };
}

describe('serve: two backends with colliding names behind one Streamable HTTP endpoint', () => {
  let serve: ServeProcess;
  let client: Client;
  beforeAll(async () => {
    serve = await startServe(twoBackends());
    client = await connectHttp(serve.url);
  });
  afterAll(async () => {
    await client?.close();
    await serve?.stop();
  });

  it('merges initialize honestly', () => {
    expect(client.getServerVersion()?.name).toBe('mcp-warden');
    const caps = client.getServerCapabilities()!;
    expect(caps.tools?.listChanged).toBe(true);
    expect(caps.resources?.subscribe).toBe(true);
    expect(caps.prompts).toBeDefined();
    expect(caps.completions).toBeDefined();
    expect(caps.logging).toBeDefined();
    expect(caps.experimental).toBeUndefined();
    expect(client.getInstructions()).toContain('backend a');
    expect(client.getInstructions()).toContain('backend b');
  });

  it('lists every tool of both backends, namespaced, across composed cursors', async () => {
    const { items, pages } = await allPages(async (cursor) => {
      const r = await client.listTools(cursor === undefined ? undefined : { cursor });
      return { items: r.tools.map((t) => t.name), nextCursor: r.nextCursor };
    });
    expect(pages).toBe(8);
    expect(items).toHaveLength(16);
    expect(items).toContain('alpha__echo');
    expect(items).toContain('beta__echo');
    expect(items.filter((n) => !n.includes('__'))).toEqual([]);
  });

  it('calls both colliding tools by their namespaced names', async () => {
    expect(firstText(await client.callTool({ name: 'alpha__echo', arguments: { text: 'x' } }))).toBe('a:x');
    expect(firstText(await client.callTool({ name: 'beta__echo', arguments: { text: 'y' } }))).toBe('b:y');
  });

  it('answers an unknown or unprefixed tool name with Invalid params', async () => {
    await expect(client.callTool({ name: 'echo', arguments: {} })).rejects.toThrow(/Unknown tool: echo/);
    await expect(client.callTool({ name: 'gamma__echo', arguments: {} })).rejects.toThrow(/-32602/);
  });

  it('keeps resource URIs unambiguous and routes reads to their backend', async () => {
    const { items } = await allPages(async (cursor) => {
      const r = await client.listResources(cursor === undefined ? undefined : { cursor });
      return { items: r.resources.map((x) => x.uri), nextCursor: r.nextCursor };
    });
    expect(items).toEqual(['test://shared', 'test://a/only', 'mcp-warden:beta:test://shared', 'test://b/only']);
    const read = async (uri: string) => (await client.readResource({ uri })).contents[0] as { uri: string; text: string };
    expect((await read('test://shared')).text).toBe('a:test://shared');
    expect((await read('mcp-warden:beta:test://shared')).text).toBe('b:test://shared');
    expect((await read('test://b/only')).text).toBe('b:test://b/only');
  });

  it('namespaces resource templates and routes URIs that match them', async () => {
    const { items } = await allPages(async (cursor) => {
      const r = await client.listResourceTemplates(cursor === undefined ? undefined : { cursor });
      return { items: r.resourceTemplates.map((t) => `${t.name} ${t.uriTemplate}`), nextCursor: r.nextCursor };
    });
    expect(items).toEqual(['alpha__item test://a/items/{id}', 'beta__item test://b/items/{id}']);
    const r = await client.readResource({ uri: 'test://b/items/7' });
    expect((r.contents[0] as { text: string }).text).toBe('b:test://b/items/7');
  });

  it('relays resources/updated with the URI the client knows', async () => {
    const seen: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      seen.push(n.params.uri);
    });
    await client.subscribeResource({ uri: 'mcp-warden:beta:test://shared' });
    await waitFor(() => seen.includes('mcp-warden:beta:test://shared'), 30_000, 'aliased update');
  });

  it('routes prompts and completions by namespaced name', async () => {
    const prompts = await allPages(async (cursor) => {
      const r = await client.listPrompts(cursor === undefined ? undefined : { cursor });
      return { items: r.prompts.map((p) => p.name), nextCursor: r.nextCursor };
    });
    expect(prompts.items).toEqual(['alpha__greet', 'alpha__farewell', 'alpha__third', 'beta__greet', 'beta__farewell', 'beta__third']);
    const got = await client.getPrompt({ name: 'beta__greet', arguments: { name: 'Bob' } });
    expect(JSON.stringify(got.messages)).toContain('b:greet:Bob');
    const done = await client.complete({ ref: { type: 'ref/prompt', name: 'alpha__greet' }, argument: { name: 'name', value: 'al' } });
    expect(done.completion.values).toEqual(['a-alice', 'a-albert']);
  });

  it('survives a backend killed mid-session: clear error, the other keeps working, it comes back', async () => {
    const changed: number[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed.push(Date.now());
    });
    const before = JSON.parse(firstText(await client.callTool({ name: 'beta__whoami', arguments: {} }))) as { pid: number };
    // A call in flight when it dies gets the error too.
    const inFlight = client.callTool({ name: 'beta__slow', arguments: { ms: 3000 } });
    await new Promise((r) => setTimeout(r, 100));
    process.kill(before.pid, 'SIGKILL');
    await expect(inFlight).rejects.toThrow(/backend 'beta' is unavailable/);
    // Sent right after the failure: the restart waits 2 s (restart.initialDelayMs), so the call
    // meets it restarting even when this process was held up (500 ms was not always enough).
    const during = client.callTool({ name: 'beta__echo', arguments: { text: 'z' } });
    await expect(during).rejects.toThrow(/backend 'beta' is unavailable: (restarting|starting)/);
    expect(firstText(await client.callTool({ name: 'alpha__echo', arguments: { text: 'still' } }))).toBe('a:still');
    let after: { pid: number } | undefined;
    await waitFor(async () => {
      try {
        after = JSON.parse(firstText(await client.callTool({ name: 'beta__whoami', arguments: {} }))) as { pid: number };
        return true;
      } catch {
        return false;
      }
    }, 30_000, 'beta restarted');
    expect(after!.pid).not.toBe(before.pid);
    expect(changed.length).toBeGreaterThan(0);
    // A tool that kills its own backend: the caller gets the exit, and the backend comes back again.
    await expect(client.callTool({ name: 'beta__crash', arguments: {} })).rejects.toThrow(/backend 'beta' is unavailable: exited \(code 3\)/);
    await waitFor(async () => {
      try {
        return firstText(await client.callTool({ name: 'beta__echo', arguments: { text: 'back' } })) === 'b:back';
      } catch {
        return false;
      }
    }, 30_000, 'beta back after crash');
  });
});

describe('serve: stdio frontend (server.stdio) with two backends', () => {
  let conn: StdioConnection;
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    const file = join(dir, 'warden.yaml');
    await writeFile(file, twoBackends().replace('auth:', 'namespaceSeparator: "."\nauth:'));
    conn = await connectCli(['serve', '--config', file, '--stdio', '--no-http']);
  });
  afterAll(async () => {
    await conn?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves namespaced tools with the configured separator', async () => {
    const first = await conn.client.listTools();
    expect(first.tools.map((t) => t.name)).toEqual(['alpha.echo', 'alpha.whoami']);
    expect(firstText(await conn.client.callTool({ name: 'beta.echo', arguments: { text: 'q' } }))).toBe('b:q');
  });
});
