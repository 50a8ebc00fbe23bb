/**
 * `mcp-warden serve` with no config file: the embedded default (the bundled demo backend over
 * stdio, the default policy, anonymous local clients) answers over Streamable HTTP and legacy SSE.
 * The demo's read tools work; its destructive delete_item is not let through by the default policy.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, connectHttp, firstText, tempDir } from './helpers/proxy.js';

describe('serve with the embedded default configuration', () => {
  let dir: string;
  let proc: ChildProcessWithoutNullStreams;
  let url: string;
  let sseUrl: string;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    proc = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: dir, env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' } });
    let err = '';
    ({ url, sseUrl } = await new Promise<{ url: string; sseUrl: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
      proc.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (\S+) \(legacy SSE: (\S+)\)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve({ url: m[1]!, sseUrl: m[2]! });
        }
      });
      proc.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    }));
    client = await connectHttp(url, new Client({ name: 'demo-test', version: '1' }));
  });
  afterAll(async () => {
    await client?.close();
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the demo backend transparently', async () => {
    expect(client.getServerVersion()?.name).toBe('mcp-warden-demo');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['list_items', 'get_item']));
    const items = JSON.parse(firstText(await client.callTool({ name: 'list_items', arguments: {} }))) as Array<{ name: string }>;
    expect(items.map((i) => i.name)).toContain('hammer');
    expect(firstText(await client.callTool({ name: 'get_item', arguments: { id: '2' } }))).toContain('screwdriver');
    const summary = await client.readResource({ uri: 'inventory://summary' });
    expect(JSON.parse((summary.contents[0] as { text: string }).text)).toMatchObject({ items: 3 });
    const prompt = await client.getPrompt({ name: 'restock_report', arguments: { threshold: '4' } });
    expect(JSON.stringify(prompt.messages)).toContain('hammer');
  });

  it('the default policy does not let delete_item through', async () => {
    const { tools } = await client.listTools();
    if (tools.some((t) => t.name === 'delete_item')) {
      const result = await client.callTool({ name: 'delete_item', arguments: { id: '1' } });
      expect(result.isError).toBe(true);
      expect(firstText(result)).toMatch(/^Denied by policy/);
    }
    const items = JSON.parse(firstText(await client.callTool({ name: 'list_items', arguments: {} }))) as Array<{ id: string }>;
    expect(items.map((i) => i.id)).toContain('1');
  });

  it('answers over legacy HTTP+SSE too', async () => {
    const sse = new Client({ name: 'demo-sse', version: '1' });
    await sse.connect(new SSEClientTransport(new URL(sseUrl)));
    expect(firstText(await sse.callTool({ name: 'get_item', arguments: { id: '3' } }))).toContain('wrench');
    await sse.close();
  });
});
