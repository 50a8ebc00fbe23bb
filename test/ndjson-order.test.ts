/**
 * NdjsonTransport's ordering rule (src/transport/ndjson.ts send()): the MCP SDK handles a
 * notification a microtask later than a response, so a notification (say the last progress) and the
 * answer after it, read in one chunk, lose the notification. An answer after a notification therefore
 * leaves in a later turn of the event loop, also when the notification already left in a write of
 * this turn (an answer that waited for the audit journal comes a few microtasks after the batch
 * that carried the notification).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '../src/transport/types.js';
import { NdjsonTransport } from '../src/transport/ndjson.js';

function setup() {
  const input = new PassThrough();
  const output = new PassThrough();
  const writes: string[] = [];
  output.on('data', (chunk: Buffer) => writes.push(chunk.toString('utf8')));
  const transport = new NdjsonTransport(input, output);
  return { transport, writes };
}

const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } } as JSONRPCMessage;
const answer = { jsonrpc: '2.0', id: 7, result: { content: [] } } as JSONRPCMessage;
const microtasks = async (n: number) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('NdjsonTransport ordering of a notification and the answer after it', () => {
  it('sends an answer queued after a queued notification in a later turn', async () => {
    const { transport, writes } = setup();
    await transport.start();
    void transport.send(progress);
    void transport.send(answer);
    await microtasks(5);
    expect(writes.join('')).toBe(`${JSON.stringify(progress)}\n`);
    await nextTurn();
    await nextTurn();
    expect(writes.join('')).toBe(`${JSON.stringify(progress)}\n${JSON.stringify(answer)}\n`);
  });

  it('also when the notification already left in a write of this turn', async () => {
    const { transport, writes } = setup();
    await transport.start();
    void transport.send(progress);
    await microtasks(5); // the notification's batch is written
    expect(writes.join('')).toBe(`${JSON.stringify(progress)}\n`);
    void transport.send(answer); // e.g. released by the audit journal's write, same turn
    await microtasks(5);
    expect(writes.join('')).toBe(`${JSON.stringify(progress)}\n`);
    await nextTurn();
    await nextTurn();
    expect(writes.join('')).toBe(`${JSON.stringify(progress)}\n${JSON.stringify(answer)}\n`);
  });

  it('does not hold answers back in a turn without notifications', async () => {
    const { transport, writes } = setup();
    await transport.start();
    void transport.send(progress);
    await nextTurn();
    await nextTurn();
    void transport.send(answer);
    await microtasks(5);
    expect(writes.join('')).toBe(`${JSON.stringify(progress)}\n${JSON.stringify(answer)}\n`);
  });
});
