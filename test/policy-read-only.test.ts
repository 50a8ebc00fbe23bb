/**
 * The read-only pack end to end, through `mcp-warden wrap` (built CLI) in front of the real npm
 * servers, each behind a recording relay that notes every call reaching the server:
 * server-filesystem (write_file denied, read_file allowed) and server-everything (its tools carry
 * annotations; deny_tools refuses its get-env, a read that returns the server's environment). Also: the default policy (no --policy) is the read-only pack, logged at startup.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, FILESYSTEM, type StdioConnection } from './helpers/proxy.js';
import { KUBERNETES, RELAY, SERVERS, resultText, scratch, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

describe('read-only pack: server-filesystem', () => {
  let s: Scratch;
  let conn: StdioConnection;
  beforeAll(async () => {
    s = await scratch();
    await writeFile(join(s.dir, 'notes.txt'), 'hello from disk');
    conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, FILESYSTEM, s.dir], { policy: 'read-only' });
  });
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
  });

  it('lists only the tools the policy lets the client use', async () => {
    const names = (await conn.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('read_file');
    expect(names).toContain('list_directory');
    expect(names).not.toContain('write_file');
    expect(names).not.toContain('edit_file');
    expect(names).not.toContain('move_file');
  });

  it('read_file reaches the server and answers', async () => {
    const result = await conn.client.callTool({ name: 'read_file', arguments: { path: join(s.dir, 'notes.txt') } });
    expect(resultText(result)).toContain('hello from disk');
    expect(s.toolsReceived()).toContain('read_file');
  });

  it('write_file is answered with the reason and never reaches the server', async () => {
    const result = await conn.client.callTool({ name: 'write_file', arguments: { path: join(s.dir, 'x.txt'), content: 'no' } });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toBe("Denied by policy: Operation 'write' is not allowed in read-only mode (tool 'write_file')");
    const move = await conn.client.callTool({ name: 'move_file', arguments: { source: join(s.dir, 'notes.txt'), destination: join(s.dir, 'y.txt') } });
    expect(resultText(move)).toBe("Denied by policy: Operation 'move' is not allowed in read-only mode (tool 'move_file')");
    expect(s.toolsReceived()).not.toContain('write_file');
    expect(s.toolsReceived()).not.toContain('move_file');
  });
});

describe('read-only pack: server-everything (annotated tools)', () => {
  let s: Scratch;
  let conn: StdioConnection;
  beforeAll(async () => {
    s = await scratch();
    conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, EVERYTHING, 'stdio'], { policy: 'read-only' });
  });
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
  });

  it('allows tools annotated readOnlyHint and hides the others', async () => {
    const names = (await conn.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-tiny-image', 'trigger-long-running-operation']));
    expect(names).not.toContain('toggle-simulated-logging');
    expect(names).not.toContain('gzip-file-as-resource');
    const sum = await conn.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
    expect(resultText(sum)).toContain('5');
    expect(s.toolsReceived()).toEqual(['get-sum']);
  });

  it('denies a tool annotated readOnlyHint: false even though it is not listed, without reaching the server', async () => {
    const result = await conn.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/^Denied by policy: Tool 'toggle-simulated-logging' is not known to be read-only/);
    expect(s.toolsReceived()).not.toContain('toggle-simulated-logging');
  });

  it('prompts and resources stay readable', async () => {
    const { resources } = await conn.client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const read = await conn.client.readResource({ uri: resources[0]!.uri });
    expect(read.contents.length).toBeGreaterThan(0);
    expect((await conn.client.listPrompts()).prompts.length).toBeGreaterThan(0);
  });
});

describe('read-only pack: deny_tools refuses a read that discloses too much (server-everything get-env)', () => {
  it('get-env is a read and allowed by default; listed in deny_tools it is hidden and refused with the reason, never reaching the server', async () => {
    const s = await scratch();
    const open = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, EVERYTHING, 'stdio'], { policy: 'read-only' });
    try {
      expect((await open.client.listTools()).tools.map((t) => t.name)).toContain('get-env');
      const env = await open.client.callTool({ name: 'get-env', arguments: {} });
      expect(env.isError).not.toBe(true);
      expect(s.toolsReceived()).toEqual(['get-env']);
    } finally {
      await open.close();
    }
    const data = join(s.dir, 'deny.yaml');
    await writeFile(data, 'warden:\n  read_only:\n    deny_tools: [get-env]\n');
    const conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, EVERYTHING, 'stdio'], { policy: 'read-only', data });
    try {
      const names = (await conn.client.listTools()).tools.map((t) => t.name);
      expect(names).not.toContain('get-env');
      expect(names).toContain('get-sum');
      const result = await conn.client.callTool({ name: 'get-env', arguments: {} });
      expect(result.isError).toBe(true);
      expect(resultText(result)).toBe("Denied by policy: Tool 'get-env' is denied by this deployment (read_only.deny_tools)");
      // the first session's call only
      expect(s.toolsReceived()).toEqual(['get-env']);
    } finally {
      await conn.close();
      await s.remove();
    }
  });
});

// mcp-server-kubernetes annotates kubectl_context readOnlyHint: true, but its operation "set" runs
// `kubectl config use-context`, written to the server's kubeconfig: the default policy ran it.
describe('read-only pack: an operation argument naming a write (mcp-server-kubernetes kubectl_context)', () => {
  it('kubectl_context list runs; set is denied whatever the annotation says, and kubectl never switches', async () => {
    const s = await scratch();
    const record = join(s.dir, 'kubectl.jsonl');
    const runs = (): string[][] => (existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []);
    const env = { PATH: `${join(SERVERS, 'fake-kubectl')}:${process.env.PATH}`, KUBECTL_RECORD_FILE: record, KUBECTL_CONTEXTS: 'staging,prod' };
    // no --policy: the default pack (read-only rules)
    const conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, KUBERNETES], { env });
    try {
      const tool = (await conn.client.listTools()).tools.find((t) => t.name === 'kubectl_context');
      expect(tool?.annotations?.readOnlyHint).toBe(true);
      await conn.client.callTool({ name: 'kubectl_context', arguments: { operation: 'list', output: 'name' } });
      expect(runs()).toEqual([['config', 'get-contexts', '-o', 'name']]);
      const set = await conn.client.callTool({ name: 'kubectl_context', arguments: { operation: 'set', name: 'prod' } });
      expect(set.isError).toBe(true);
      expect(resultText(set)).toBe("Denied by policy: Operation 'set' is not allowed in read-only mode (tool 'kubectl_context', argument 'operation')");
      expect(runs()).toEqual([['config', 'get-contexts', '-o', 'name']]);
      expect(s.toolsReceived()).toEqual(['kubectl_context']);
    } finally {
      await conn.close();
      await s.remove();
    }
  }, 120_000);
});

describe('no policy named', () => {
  it('enforces the default pack (read-only rules) and says so at startup', async () => {
    const s = await scratch();
    const conn = await wrapWithPolicy(s, [process.execPath, RELAY, process.execPath, FILESYSTEM, s.dir], { env: { MCP_WARDEN_LOG_LEVEL: 'info' } });
    try {
      const result = await conn.client.callTool({ name: 'write_file', arguments: { path: join(s.dir, 'x.txt'), content: 'no' } });
      expect(resultText(result)).toContain("Operation 'write' is not allowed in read-only mode");
      expect(s.toolsReceived()).toEqual([]);
      expect(conn.stderr()).toContain('policy: no policy named: using the default pack (read-only rules');
    } finally {
      await conn.close();
      await s.remove();
    }
  });
});
