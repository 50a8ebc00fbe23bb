/**
 * The backend SSE parser on large events. Backends built on the MCP SDK answer a POST with an SSE
 * stream, so a big answer (a file read, a long listing) arrives as one event in many network
 * chunks. The parser used to join the held text with each chunk and search it all again for the
 * blank line: quadratic, about 0.6 s of CPU for a 4 MiB answer and 13 s for 16 MiB on this
 * machine, all on the proxy's event loop (the limit is 64 MiB). Checked by how the time scales
 * with the size (a ratio within one run, not a time budget): 16x the bytes take ~16-45x the time
 * when linear (CPU time: ~15x here), ~200x and more with the old parser. And
 * the events come out the same in every chunking.
 */
import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../src/transport/http/sse-parser.js';

const CHUNK = 64 * 1024;

function feed(text: string, chunk: number, max = 64 * 1024 * 1024): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e), max);
  for (let i = 0; i < text.length; i += chunk) parser.push(text.slice(i, i + chunk));
  return events;
}

/** Least CPU time (ms) of `runs` parses of one event of `bytes` of data, in 64 KiB chunks. */
function parseMs(bytes: number, runs: number): number {
  const text = `id: 9\nevent: message\ndata: ${'x'.repeat(bytes)}\n\n`;
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    // CPU time, not wall time: on a loaded machine a long run is preempted more than a short one.
    const start = process.cpuUsage();
    const events = feed(text, CHUNK);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
    expect(events).toHaveLength(1);
    expect(events[0]!.data.length).toBe(bytes);
  }
  return best;
}

describe('SseParser on large events', () => {
  it('time grows linearly with the size of one event fed in 64 KiB chunks (1 MiB vs 16 MiB)', () => {
    parseMs(1 << 20, 2); // warm up
    const small = parseMs(1 << 20, 5);
    const large = parseMs(16 << 20, 3);
    // A floor keeps timer noise out of the small run.
    expect(large / Math.max(small, 2), `1 MiB ${small.toFixed(1)} ms, 16 MiB ${large.toFixed(1)} ms`).toBeLessThan(60);
  }, 120_000);

  it('many small events in one chunk, CRLF and LF terminators split anywhere: the same events as one push', () => {
    let text = '';
    const expected: SseEvent[] = [];
    for (let i = 0; i < 3000; i++) {
      const nl = i % 3 === 0 ? '\r\n' : '\n';
      text += `id: ${i}${nl}data: {"n":${i}}${nl}data: second${nl}${nl}`;
      expected.push({ id: String(i), event: undefined, data: `{"n":${i}}\nsecond` });
      if (i % 100 === 0) text += `: keep-alive${nl}${nl}`;
    }
    expect(feed(text, text.length)).toEqual(expected);
    for (const chunk of [1, 2, 3, 5, 7, 64, 1000, CHUNK]) expect(feed(text, chunk), `chunk ${chunk}`).toEqual(expected);
  });

  it('a large event after small ones and before more, and the limit still holds for one event', () => {
    const big = 'y'.repeat(3 << 20);
    const text = `data: a\n\ndata: ${big}\n\ndata: b\n\n`;
    expect(feed(text, 4096).map((e) => e.data.length)).toEqual([1, big.length, 1]);
    expect(() => feed(`data: a\n\ndata: ${'z'.repeat(5000)}`, 100, 4096)).toThrow(/larger than 4096 bytes/);
  });
});
