/**
 * The byte forms of the unparsed way (proxy/compact-bytes.ts, transport/line-batch.ts) agree with
 * the text forms they replace on the hot path: compactToolCallIdAt / compactAnswerIdAt recognize
 * exactly what compactToolCallId / compactAnswerId recognize, wherever the line sits in a chunk, and
 * a line copied into a LineBatch with its id replaced at the recorded span is withSplicedId's line.
 * Hand-picked lines plus seeded mutations of compact requests and answers.
 */
import { describe, expect, it } from 'vitest';
import { compactAnswerIdAt, compactToolCallIdAt, idSpan } from '../src/proxy/compact-bytes.js';
import { withSplicedId, type RequestId } from '../src/proxy/jsonrpc.js';
import { compactAnswerId, compactToolCallId } from './helpers/compact-text-reference.js';
import { isSingleJsonObjectBytes, isSingleJsonObjectBytesInParams } from '../src/transport/json-bytes.js';
import { LineBatch } from '../src/transport/line-batch.js';

/** The line's bytes inside a chunk with other lines around it, and where it is. */
function inChunk(line: string): { buf: Buffer; start: number; end: number } {
  const before = Buffer.from('{"jsonrpc":"2.0","id":99,"result":{}}\n');
  const inner = Buffer.from(line, 'utf8');
  const buf = Buffer.concat([before, inner, Buffer.from('\n{"jsonrpc":"2.0","id":98,"result":{}}')]);
  return { buf, start: before.length, end: before.length + inner.length };
}

/** The line with the id at the last recognized span replaced by `to`, through a LineBatch (without its newline). */
function splicedThroughBatch(c: { buf: Buffer; start: number; end: number }, to: RequestId): string {
  const batch = new LineBatch();
  batch.spliced(c.buf, c.start, idSpan.start, idSpan.end, c.end, to);
  const out = batch.take().toString('utf8');
  expect(out.endsWith('\n')).toBe(true);
  return out.slice(0, -1);
}

const LINES = [
  '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a"}}',
  '{"method":"tools/call","params":{"name":"a"},"jsonrpc":"2.0","id":0}',
  '{"method":"tools/call","params":{"name":"é☃😀","arguments":{"id":5}},"jsonrpc":"2.0","id":123456789012345}',
  '{"jsonrpc":"2.0","id":"7","method":"tools/call","params":{}}',
  '{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}',
  '{"jsonrpc":"2.0","id":7,"method":"tools/call"}',
  '{"method":"tools/call","params":{},"id":7,"jsonrpc":"2.0"}',
  '{"jsonrpc":"2.0","id":-1,"method":"tools/call","params":{}}',
  '{"jsonrpc":"2.0","id":7,"result":{"content":[]}}',
  '{"jsonrpc":"2.0","id":123456,"error":{"code":-32601,"message":"x"}}',
  '{"result":{"content":[{"type":"text","text":"a,\\"id\\":9"}]},"jsonrpc":"2.0","id":42}',
  '{"error":{"code":1,"message":"m"},"jsonrpc":"2.0","id":3}',
  '{"jsonrpc":"2.0","id":0,"result":{}}',
  '{"jsonrpc":"2.0","id":07,"result":{}}',
  '{"jsonrpc":"2.0","id":7.5,"result":{}}',
  '{"jsonrpc":"2.0","id":1234567890123456,"result":{}}',
  '{"jsonrpc":"2.0","id":7,"result":{"a":1',
  '{"id":7,"jsonrpc":"2.0","result":{}}',
  '{"result":{},"jsonrpc":"2.0","id": 7}',
  '{"result":{},"jsonrpc":"2.0","id":"a:7"}',
  '{"jsonrpc":"2.0","id":7}',
  '{"result":"ü","jsonrpc":"2.0","id":8}',
  '[1,2]',
  '}',
  '',
];

function agrees(line: string): void {
  const c = inChunk(line);
  const call = compactToolCallId(line);
  expect(compactToolCallIdAt(c.buf, c.start, c.end), line).toBe(call);
  if (call >= 0) {
    for (const to of [1, 123456789, 'a"b', 2.5, -3]) expect(splicedThroughBatch(c, to), line).toBe(withSplicedId(line, call, to));
  }
  const answer = compactAnswerId(line);
  expect(compactAnswerIdAt(c.buf, c.start, c.end), line).toBe(answer);
  if (answer >= 0) {
    for (const to of [0, 77, 'x-1', 'é', 1e21]) expect(splicedThroughBatch(c, to), line).toBe(withSplicedId(line, answer, to));
  }
}

describe('compactToolCallIdAt / compactAnswerIdAt and LineBatch.spliced', () => {
  it('agree with the text forms on hand-picked lines', () => {
    for (const line of LINES) agrees(line);
  });

  it('agree with the text forms on 50,000 mutated lines', () => {
    const seeds = LINES.slice(0, 3).concat(LINES.slice(8, 12));
    const alphabet = '{}[]",:0123456789-.e \\idjsonrpcmethodresulterr/é';
    let seed = 4242;
    const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let recognized = 0;
    for (let t = 0; t < 50_000; t++) {
      let text = seeds[t % seeds.length]!;
      const edits = 1 + Math.floor(random() * 2);
      for (let k = 0; k < edits; k++) {
        // Edits near the ends, where the spellings are read.
        const at = random() < 0.5 ? Math.floor(random() * 26) : text.length - 1 - Math.floor(random() * 26);
        const ch = alphabet[Math.floor(random() * alphabet.length)]!;
        const op = random();
        if (op < 0.33) text = text.slice(0, at) + text.slice(at + 1);
        else if (op < 0.66) text = text.slice(0, at) + ch + text.slice(at);
        else text = text.slice(0, at) + ch + text.slice(at + 1);
      }
      agrees(text);
      if (compactToolCallId(text) >= 0 || compactAnswerId(text) >= 0) recognized++;
    }
    expect(recognized).toBeGreaterThan(5_000);
  });
});

describe('isSingleJsonObjectBytesInParams (the scan of a recognized tools/call from its params on)', () => {
  it('agrees with the whole-line scan on 100,000 mutated tools/call lines', () => {
    const seeds = [
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi","n":[1,2.5e3,true,null]}}}',
      '{"method":"tools/call","params":{"name":"a","arguments":{"x":{"y":"é"}},"_meta":{"progressToken":3}},"jsonrpc":"2.0","id":12}',
      '{"jsonrpc":"2.0","id":0,"method":"tools/call","params":{}}',
    ];
    const alphabet = '{}[]",:0123456789-.e \\idjsonrpcmethodparamsul\té';
    let seed = 777;
    const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let recognized = 0;
    let valid = 0;
    for (let t = 0; t < 100_000; t++) {
      let text = seeds[t % seeds.length]!;
      const edits = Math.floor(random() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(random() * text.length);
        const ch = alphabet[Math.floor(random() * alphabet.length)]!;
        const op = random();
        if (op < 0.25) text = text.slice(0, at) + text.slice(at + 1);
        else if (op < 0.5) text = text.slice(0, at) + ch + text.slice(at);
        else if (op < 0.75) text = text.slice(0, at) + ch + text.slice(at + 1);
        else text = text.slice(0, at) + ',"' + ['id', 'method', 'params', 'jsonrpc', 'x'][Math.floor(random() * 5)] + '":1' + text.slice(at);
      }
      const c = inChunk(text);
      if (compactToolCallIdAt(c.buf, c.start, c.end) < 0) continue;
      recognized++;
      const whole = isSingleJsonObjectBytes(c.buf, c.start, c.end);
      if (whole) valid++;
      expect(isSingleJsonObjectBytesInParams(c.buf, c.start, c.end, idSpan.params, idSpan.before), text).toBe(whole);
    }
    expect(recognized).toBeGreaterThan(20_000);
    expect(valid).toBeGreaterThan(5_000);
    expect(recognized - valid).toBeGreaterThan(5_000);
  });
});

describe('LineBatch', () => {
  it('keeps lines in the order sent, text and spliced, and starts a new batch after take()', () => {
    const batch = new LineBatch();
    expect(batch.empty).toBe(true);
    batch.text('{"a":"é"}');
    const src = Buffer.from('{"jsonrpc":"2.0","id":12,"result":{}}');
    batch.spliced(src, 0, 22, 24, src.length, 5);
    expect(batch.empty).toBe(false);
    const first = batch.take();
    expect(first.toString()).toBe('{"a":"é"}\n{"jsonrpc":"2.0","id":5,"result":{}}\n');
    expect(batch.empty).toBe(true);
    batch.text('x');
    // A batch taken but not released: its bytes stay as they were while the next one is built.
    expect(first.toString()).toBe('{"a":"é"}\n{"jsonrpc":"2.0","id":5,"result":{}}\n');
    expect(batch.take().toString()).toBe('x\n');
  });

  it('grows for large lines without losing the batch being built, and after rewind() reuses its buffer', () => {
    const batch = new LineBatch();
    batch.text('start');
    const big = 'ü'.repeat(40_000);
    batch.text(big);
    const src = Buffer.from(`{"result":"${'z'.repeat(70_000)}","jsonrpc":"2.0","id":3}`);
    batch.spliced(src, 0, src.length - 2, src.length - 1, src.length, 'long-id');
    const out = batch.take().toString();
    expect(out).toBe(`start\n${big}\n{"result":"${'z'.repeat(70_000)}","jsonrpc":"2.0","id":"long-id"}\n`);
    batch.rewind();
    batch.text('again');
    const a = batch.take();
    batch.rewind();
    batch.text('AGAIN');
    const b = batch.take();
    // Same bytes reused: the first view now shows the second batch (which is why only a released batch is rewound).
    expect(a.buffer).toBe(b.buffer);
    expect(a.toString()).toBe('AGAIN\n');
  });

  it('fills its buffer to the last byte before growing, with text of any width', () => {
    const batch = new LineBatch();
    const lines: string[] = [];
    // Lines of 1-, 2-, 3- and 4-byte characters (and a lone surrogate, written as U+FFFD) around the 16 KiB boundary.
    for (let n = 0; n < 400; n++) {
      const line = ['a', 'é', '☃', '😀', '\ud800'][n % 5]!.repeat(1 + (n % 37));
      lines.push(line);
      batch.text(line);
    }
    expect(batch.take().toString()).toBe(lines.map((l) => `${l.replace(/\ud800/g, '\ufffd')}\n`).join(''));
  });

  it('rewind() is a no-op while a batch is being built', () => {
    const batch = new LineBatch();
    batch.text('one');
    batch.rewind();
    batch.text('two');
    expect(batch.take().toString()).toBe('one\ntwo\n');
  });
});
