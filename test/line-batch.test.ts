/**
 * LineBatch (transport/line-batch.ts) passes a peer's lines on without copying them when nothing in
 * them changes: lines that follow each other in one chunk leave as that chunk (the very Buffer when
 * they are all of it), and anything else in the same batch (a text, a line with its id changed, a
 * line of another chunk, a CRLF line, a line put together from several chunks) keeps the order the
 * lines were appended in.
 */
import { describe, expect, it } from 'vitest';
import { LineBatch } from '../src/transport/line-batch.js';

const A = '{"jsonrpc":"2.0","id":7,"result":{"a":1}}';
const B = '{"jsonrpc":"2.0","id":8,"result":{"b":"é☃😀"}}';

/** The chunk `lines` joined with newlines (each line ended by one), and each line's [start, end). */
function chunkOf(...lines: string[]): { buf: Buffer; spans: Array<[number, number]> } {
  const spans: Array<[number, number]> = [];
  let at = 0;
  for (const l of lines) {
    const n = Buffer.byteLength(l);
    spans.push([at, at + n]);
    at += n + 1;
  }
  return { buf: Buffer.from(lines.map((l) => `${l}\n`).join('')), spans };
}

describe('LineBatch: lines passed on unchanged', () => {
  it('a chunk that is exactly the lines appended leaves as that same Buffer', () => {
    const c = chunkOf(A, B);
    const batch = new LineBatch();
    for (const [s, e] of c.spans) batch.line(c.buf, s, e);
    expect(batch.empty).toBe(false);
    expect(batch.take()).toBe(c.buf);
    expect(batch.empty).toBe(true);
  });

  it('lines that are part of a chunk leave as the bytes they span, newlines included', () => {
    const c = chunkOf('{"x":1}', A, B, '{"partial"');
    const batch = new LineBatch();
    batch.line(c.buf, c.spans[1]![0], c.spans[1]![1]);
    batch.line(c.buf, c.spans[2]![0], c.spans[2]![1]);
    const out = batch.take();
    expect(out.buffer).toBe(c.buf.buffer);
    expect(out.toString()).toBe(`${A}\n${B}\n`);
  });

  it('a line whose id is rewritten to the same id is passed on uncopied; another id is spliced in', () => {
    const c = chunkOf(A);
    const idStart = A.indexOf('7');
    const batch = new LineBatch();
    batch.spliced(c.buf, 0, idStart, idStart + 1, c.spans[0]![1], 7);
    expect(batch.take()).toBe(c.buf);
    batch.spliced(c.buf, 0, idStart, idStart + 1, c.spans[0]![1], 70);
    const out = batch.take();
    expect(out.buffer).not.toBe(c.buf.buffer);
    expect(out.toString()).toBe(`${A.replace('"id":7', '"id":70')}\n`);
    // "07" is not how 7 is written: spliced, not passed on.
    const z = chunkOf('{"jsonrpc":"2.0","id":07,"result":{}}');
    batch.spliced(z.buf, 0, 22, 24, z.spans[0]![1], 7);
    expect(batch.take().toString()).toBe('{"jsonrpc":"2.0","id":7,"result":{}}\n');
  });

  it('keeps the order of borrowed lines, texts, spliced lines and lines of other chunks', () => {
    const c1 = chunkOf(A, B);
    const c2 = chunkOf('{"c":3}');
    const batch = new LineBatch();
    batch.line(c1.buf, c1.spans[0]![0], c1.spans[0]![1]);
    batch.text('{"t":1}');
    batch.line(c1.buf, c1.spans[1]![0], c1.spans[1]![1]);
    batch.line(c2.buf, c2.spans[0]![0], c2.spans[0]![1]);
    const idStart = A.indexOf('7');
    batch.spliced(c1.buf, 0, idStart, idStart + 1, c1.spans[0]![1], 'x');
    batch.line(c1.buf, c1.spans[1]![0], c1.spans[1]![1]);
    expect(batch.take().toString()).toBe(`${A}\n{"t":1}\n${B}\n{"c":3}\n${A.replace('7', '"x"')}\n${B}\n`);
    // Lines not next to each other in the chunk (the one between was not passed on): copied, in order.
    const c3 = chunkOf(A, '{"skip":1}', B);
    batch.line(c3.buf, c3.spans[0]![0], c3.spans[0]![1]);
    batch.line(c3.buf, c3.spans[2]![0], c3.spans[2]![1]);
    expect(batch.take().toString()).toBe(`${A}\n${B}\n`);
  });

  it('a CRLF line, or a line at the very end of its buffer (put together from several chunks), is copied with a plain newline', () => {
    const crlf = Buffer.from(`${A}\r\n`);
    const batch = new LineBatch();
    batch.line(crlf, 0, A.length);
    const out = batch.take();
    expect(out.buffer).not.toBe(crlf.buffer);
    expect(out.toString()).toBe(`${A}\n`);
    const joined = Buffer.from(B);
    batch.line(joined, 0, joined.length);
    expect(batch.take().toString()).toBe(`${B}\n`);
  });

  it('copies a borrowed batch into a grown buffer when a text that does not fit comes after it', () => {
    const c = chunkOf(A);
    const batch = new LineBatch();
    batch.line(c.buf, 0, c.spans[0]![1]);
    const big = 'x'.repeat(40_000);
    batch.text(big);
    expect(batch.take().toString()).toBe(`${A}\n${big}\n`);
    batch.rewind();
    batch.line(c.buf, 0, c.spans[0]![1]);
    expect(batch.take()).toBe(c.buf);
  });
});
