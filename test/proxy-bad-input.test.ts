/**
 * Bad input on the stdio frontend (`wrap`): each kind gets its JSON-RPC error on stdout, and the
 * next good request is still served. The size limit comes from server.maxMessageBytes (here 2048
 * via --config; default 4 MiB).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { ROOT, TEST_BACKEND } from './helpers/proxy.js';

const ROGUE_BACKEND = join(ROOT, 'test/servers/rogue-backend.mjs');

describe('wrap: bad input on stdin', () => {
  let dir: string;
  let c: LineClient;
  let nextId = 100;

  async function stillServes(): Promise<void> {
    const id = nextId++;
    const answer = await c.request(id, 'tools/call', { name: 'echo', arguments: { text: `ok${id}` } });
    expect(answer.result).toEqual({ content: [{ type: 'text', text: `a:ok${id}` }] });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-bad-'));
    const config = join(dir, 'warden.yaml');
    await writeFile(config, 'server:\n  maxMessageBytes: 2048\n');
    c = new LineClient(['wrap', '--no-audit', '--policy', 'allow-all', '--config', config, '--', process.execPath, TEST_BACKEND]);
    const init = await c.initialize();
    expect((init.result as { serverInfo: { name: string } }).serverInfo.name).toBe('proxy-backend-a');
  });
  afterAll(async () => {
    c?.proc.stdin.end();
    await c?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('malformed JSON: -32700 Parse error with id null', async () => {
    c.write('{"jsonrpc":"2.0","id":1,"method":\n');
    const answer = await c.next();
    expect(answer).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect((answer.error as { message: string }).message).toMatch(/^Parse error/);
    await stillServes();
  });

  it('a JSON value that is not an object: -32600', async () => {
    c.write('42\n');
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining('must be a JSON object') } });
    c.write('"ping"\n');
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600 } });
    await stillServes();
  });

  it('a JSON-RPC batch: -32600, batches are not supported', async () => {
    c.send([{ jsonrpc: '2.0', id: 7, method: 'ping' }, { jsonrpc: '2.0', id: 8, method: 'ping' }]);
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining('batches are not supported') } });
    await stillServes();
  });

  it('a request without method (with and without id), a bad method, a bad id, a wrong jsonrpc', async () => {
    c.send({ jsonrpc: '2.0', id: 9 });
    expect(await c.next()).toMatchObject({ id: 9, error: { code: -32600, message: expect.stringContaining('missing "method"') } });
    c.send({ jsonrpc: '2.0', params: {} });
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600 } });
    c.send({ jsonrpc: '2.0', id: 10, method: 42 });
    expect(await c.next()).toMatchObject({ id: 10, error: { code: -32600, message: expect.stringContaining('"method" must be a string') } });
    c.send({ jsonrpc: '2.0', id: { nested: true }, method: 'ping' });
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining('"id"') } });
    // An id too large for a double parses as Infinity, which JSON writes as null: refused, as over HTTP.
    c.write('{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}\n');
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining('"id"') } });
    c.send({ jsonrpc: '1.0', id: 11, method: 'ping' });
    expect(await c.next()).toMatchObject({ id: 11, error: { code: -32600, message: expect.stringContaining('"jsonrpc" must be "2.0"') } });
    await stillServes();
  });

  it('a message over the size limit: -32600 naming the limit, without parsing it', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(5000) } } });
    // Written in pieces, as a pipe would deliver it.
    c.write(big.slice(0, 1000));
    await new Promise((r) => setTimeout(r, 20));
    c.write(big.slice(1000) + '\n');
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining('2048-byte limit') } });
    await stillServes();
  });

  it('an unknown method passes through to the backend, whose error comes back unchanged', async () => {
    const answer = await c.request(13, 'vendor/unknownThing', { x: 1 });
    expect(answer).toMatchObject({ id: 13, error: { code: -32601, message: 'Method not found' } });
    await stillServes();
  });

  it('ping is answered, blank lines are ignored', async () => {
    c.write('\n\r\n');
    expect(await c.request(14, 'ping')).toEqual({ jsonrpc: '2.0', id: 14, result: {} });
  });

  it('string ids come back as the same strings', async () => {
    const answer = await c.request('req-α', 'tools/call', { name: 'echo', arguments: { text: 's' } });
    expect(answer.id).toBe('req-α');
  });
});

describe('wrap: a misbehaving backend', () => {
  let c: LineClient;
  beforeAll(async () => {
    c = new LineClient(['wrap', '--no-audit', '--policy', 'allow-all', '--', process.execPath, ROGUE_BACKEND]);
    await c.initialize();
  });
  afterAll(async () => {
    c?.proc.stdin.end();
    await c?.exited;
  });

  it('survives garbage, stray answers and malformed notifications from the backend', async () => {
    const list = await c.request(1, 'tools/list');
    expect(list).toEqual({ jsonrpc: '2.0', id: 1, result: null });
    const call = await c.request(2, 'tools/call', { name: 'anything', arguments: {} });
    expect(call.result).toEqual({ content: [{ type: 'text', text: 'survived' }] });
    const unknown = await c.request(3, 'vendor/x');
    expect(unknown).toEqual({ jsonrpc: '2.0', id: 3, error: { code: -32601, message: 'Method not found', data: { method: 'vendor/x' } } });
    expect(await c.request(4, 'ping')).toEqual({ jsonrpc: '2.0', id: 4, result: {} });
    expect(c.proc.exitCode).toBeNull();
  });
});
