/**
 * `wrap` moves large messages through full pipes intact and in order: its stdio and the backend's
 * are read and written below Node's streams (transport/pipe-io.ts), and what a full pipe does not
 * take waits in the stream. Requests of 300 KB (each read in several pieces, over several read
 * buffers) go to the bench server unparsed, and their 300 KB answers come back to a client that
 * does not read for a while (our stdout fills up), then reads everything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { LineClient } from './helpers/line-client.js';
import { ROOT } from './helpers/proxy.js';

const BENCH_SERVER = path.join(ROOT, 'test', 'servers', 'bench-server.mjs');

let c: LineClient | undefined;
afterEach(async () => {
  c?.proc.kill('SIGTERM');
  await c?.exited;
  c = undefined;
});

/** A text of `n` characters that differs for every `seed` (so that answers cannot be mixed up unnoticed). */
function textOf(seed: number, n: number): string {
  const unit = `call ${seed}: ${'abcdefghijklmnopqrstuvwxyz'.slice(seed % 26)}é☃ `;
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

describe('wrap: large messages through full pipes', () => {
  it('20 calls of 300 KB each way, the client reading nothing for 400 ms: every answer intact, in order', async () => {
    c = new LineClient(['wrap', '--no-audit', '--policy', 'allow-all', '--', process.execPath, BENCH_SERVER]);
    c.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    expect((await c.next()).id).toBe(0);
    c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });

    c.proc.stdout.pause();
    const count = 20;
    for (let id = 1; id <= count; id++) {
      c.write(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":${JSON.stringify(textOf(id, 300_000))}}}}\n`);
    }
    await new Promise((r) => setTimeout(r, 400));
    c.proc.stdout.resume();

    for (let id = 1; id <= count; id++) {
      const answer = await c.next(20_000);
      expect(answer.id).toBe(id);
      const result = answer.result as { content: Array<{ type: string; text: string }> };
      expect(JSON.parse(result.content[0]!.text)).toEqual({ text: textOf(id, 300_000) });
    }
  }, 120_000);
});
