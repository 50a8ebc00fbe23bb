/**
 * The proof a judged request needs before it is forwarded as bytes or its decision reused
 * (src/proxy/distinct-keys.ts) agrees with its text reference (JSON.parse plus a token walk):
 * hand-picked cases, a seeded mutation fuzz of valid messages (bytes of every UTF-8 width, malformed
 * UTF-8 too), generated JSON objects (fast-check) with and without a member written twice at a random
 * depth, and tools/call lines scanned from inside their params (where params ends included).
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactToolCallIdAt, idSpan } from '../src/proxy/compact-bytes.js';
import { distinctKeysToolCall, distinctSpan, hasDistinctKeys } from '../src/proxy/distinct-keys.js';
import { hasDistinctKeysText, paramsEndText } from './helpers/distinct-keys-reference.js';

const PAD = Buffer.from('{"a":1,"a":2}\n');
const TAIL = Buffer.from('\n}]"');

/** The scanner's verdict on `inner`, placed inside a larger buffer (bytes around it must not matter). */
function bytesVerdict(inner: Buffer): boolean {
  const buf = Buffer.concat([PAD, inner, TAIL]);
  return hasDistinctKeys(buf, PAD.length, PAD.length + inner.length);
}

/** The reference's verdict on the same bytes: valid UTF-8 and the text form agrees. */
function referenceVerdict(inner: Buffer): boolean {
  return isUtf8(inner) && hasDistinctKeysText(inner.toString('utf8'));
}

/** For a compact tools/call line: [scanned from params, where params ends] or undefined when not recognized. */
function toolCallVerdict(inner: Buffer): [boolean, number | undefined] | undefined {
  const buf = Buffer.concat([PAD, inner, TAIL]);
  const start = PAD.length;
  const end = start + inner.length;
  if (compactToolCallIdAt(buf, start, end) < 0) return undefined;
  const ok = distinctKeysToolCall(buf, start, end, idSpan.params, idSpan.before);
  return [ok, ok ? distinctSpan.paramsEnd - start : undefined];
}

function referenceParamsEnd(inner: Buffer): number | undefined {
  const text = inner.toString('utf8');
  const end = paramsEndText(text);
  return end === undefined ? undefined : Buffer.byteLength(text.slice(0, end));
}

const SEEDS = [
  '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"kubectl_get","arguments":{"resourceType":"pods","namespace":"default"}}}',
  '{"method":"tools/call","params":{"name":"echo","arguments":{"text":"é ☃ 😀","n":[1,2.5e3,{"a":{"b":[]}}]},"_meta":{"progressToken":3}},"jsonrpc":"2.0","id":12}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":"\\u0041\\n"}}}',
  '{"a":[true,false,null,-0.5,{"":1," ":2}],"b":{"c":{"d":{}}}}',
];

describe('hasDistinctKeys', () => {
  it('accepts objects whose names are distinct in every object, the same name in different objects included', () => {
    for (const text of [...SEEDS, '{}', ' {"a" : [] }\t', '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}', '{"x":"\\"a\\":1,\\"a\\":2"}']) {
      expect(hasDistinctKeysText(text), text).toBe(true);
      expect(bytesVerdict(Buffer.from(text)), text).toBe(true);
    }
  });

  it('declines a name written twice at any depth, an escaped name, and what JSON.parse rejects', () => {
    for (const text of [
      '{"a":1,"a":2}',
      '{"x":{"a":1,"b":2,"a":3}}',
      '{"x":[1,{"y":[{"a":1,"a":1}]}]}',
      '{"params":{"name":"n","arguments":{"ns":"a","ns":"b"}}}',
      '{"\\u0061":1}',
      '{"a":1,"\\u0061":2}',
      '{"a\\n":1}',
      '{"a":1',
      '{"a":01}',
      '[{"a":1}]',
      '{"a":1}{"b":2}',
      '{"a":"\u0001"}',
    ]) {
      expect(hasDistinctKeysText(text), text).toBe(false);
      expect(bytesVerdict(Buffer.from(text)), text).toBe(false);
    }
    // Malformed UTF-8 inside a string value.
    expect(bytesVerdict(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')]))).toBe(false);
    // Deeper than the scanner follows: declined, never misread.
    expect(bytesVerdict(Buffer.from(`{"a":${'['.repeat(80)}${']'.repeat(80)}}`))).toBe(false);
  });

  it('agrees with the reference on 100,000 seeded mutations of valid messages (tools/call lines scanned from params too)', () => {
    let seed = 0x5eed;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = ['{', '}', '[', ']', '"', ':', ',', '\\', '\\u00e9', 'a', '"a":1,', '"name":', '"params":', ' ', '1', '-', '.', 'e', 'é', '☃', '😀', 'true', 'null', '"id":2,'];
    let accepted = 0;
    let recognized = 0;
    for (let n = 0; n < 100_000; n++) {
      let bytes = Buffer.from(SEEDS[rand(SEEDS.length)]!);
      const edits = 1 + rand(3);
      for (let e = 0; e < edits; e++) {
        const at = rand(bytes.length + 1);
        const kind = rand(5);
        if (kind === 0) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(pieces[rand(pieces.length)]!), bytes.subarray(at)]);
        else if (kind === 1) bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + rand(4)))]);
        else if (kind === 2) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([0x80 + rand(0x80)]), bytes.subarray(at)]);
        else if (kind === 3) {
          // a member copied next to itself (a duplicate, when it lands between members)
          const text = bytes.toString('latin1');
          const m = /"[a-zA-Z_]+":("[^"]*"|\d+|\{\}|\[\]),/g;
          const found = [...text.matchAll(m)];
          if (found.length > 0) {
            const f = found[rand(found.length)]!;
            bytes = Buffer.concat([bytes.subarray(0, f.index!), Buffer.from(f[0], 'latin1'), bytes.subarray(f.index!)]);
          }
        } else bytes = Buffer.from(bytes.toString('latin1').replace(/"[a-z]+":/, `"${'abcdefgh'[rand(8)]}":`), 'latin1');
      }
      const expected = referenceVerdict(bytes);
      expect(bytesVerdict(bytes), bytes.toString('utf8')).toBe(expected);
      if (expected) accepted++;
      const call = toolCallVerdict(bytes);
      if (call !== undefined) {
        recognized++;
        expect(call[0], bytes.toString('utf8')).toBe(expected);
        if (expected) expect(call[1], bytes.toString('utf8')).toBe(referenceParamsEnd(bytes));
      }
    }
    // The fuzz reached both verdicts and the tools/call entry.
    expect(accepted).toBeGreaterThan(5_000);
    expect(accepted).toBeLessThan(95_000);
    expect(recognized).toBeGreaterThan(5_000);
  });

  it('accepts generated JSON objects, and declines each with one member written twice at a random depth', () => {
    const objects = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 4 }), { minKeys: 1, maxKeys: 6 });
    fc.assert(
      fc.property(objects, fc.nat(), (obj, pick) => {
        const text = JSON.stringify(obj);
        // JSON.stringify escapes some names (quotes, control characters): the reference and the scanner decline those alike.
        expect(bytesVerdict(Buffer.from(text))).toBe(referenceVerdict(Buffer.from(text)));
        if (!/\\/.test(text)) expect(bytesVerdict(Buffer.from(text))).toBe(true);
        // Duplicate one member of some object: find the objects' first members in the text.
        const firsts = [...text.matchAll(/\{("(?:[^"\\]|\\.)*":)/g)];
        const f = firsts[pick % firsts.length]!;
        const at = f.index! + 1;
        const name = f[1]!;
        const dup = `${text.slice(0, at)}${name}0,${text.slice(at)}`;
        expect(bytesVerdict(Buffer.from(dup)), dup).toBe(false);
        expect(hasDistinctKeysText(dup), dup).toBe(false);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});
