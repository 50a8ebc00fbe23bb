/** The client-side SSE parser: framing edge cases, fed in every possible chunking. */
import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../src/transport/http/sse-parser.js';

function parseAll(chunks: string[], max = 1 << 20): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e), max);
  for (const c of chunks) parser.push(c);
  return events;
}

const STREAM =
  ': comment\n\n' +
  'id: 1\nevent: message\ndata: {"a":1}\n\n' +
  'data: line one\ndata: line two\n\n' +
  'retry: 1000\nid: 7\ndata:\n\n' +
  'event: endpoint\r\ndata: /messages?sessionId=x\r\n\r\n' +
  'data:no-space\n\n';

const EXPECTED: SseEvent[] = [
  { id: '1', event: 'message', data: '{"a":1}' },
  { id: undefined, event: undefined, data: 'line one\nline two' },
  { id: '7', event: undefined, data: '' },
  { id: undefined, event: 'endpoint', data: '/messages?sessionId=x' },
  { id: undefined, event: undefined, data: 'no-space' },
];

describe('SseParser', () => {
  it('parses ids, event names, multi-line data, empty data (priming events), CRLF framing; skips comments and retry', () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events however the stream is split into chunks', () => {
    for (let size = 1; size <= 12; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < STREAM.length; i += size) chunks.push(STREAM.slice(i, i + size));
      expect(parseAll(chunks), `chunk size ${size}`).toEqual(EXPECTED);
    }
  });

  it('holds back an incomplete event until its blank line arrives', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e), 1024);
    parser.push('data: {"partial":');
    expect(events).toEqual([]);
    parser.push('true}\n\n');
    expect(events).toEqual([{ id: undefined, event: undefined, data: '{"partial":true}' }]);
  });

  it('throws when one event grows past the limit', () => {
    const parser = new SseParser(() => undefined, 64);
    expect(() => parser.push(`data: ${'x'.repeat(100)}`)).toThrow(/larger than 64 bytes/);
  });
});
