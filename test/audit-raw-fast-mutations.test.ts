/**
 * Adversarial check of the audit writer's in-place reading of raw entries (src/audit/raw-fast.ts,
 * json-span.ts): request and answer lines in JSON.stringify's form, then mutated character by
 * character (inserted, deleted, replaced with JSON's structural characters, escapes, digits,
 * exponents, spaces, quotes, control characters, surrogate halves, a duplicated member), are read
 * by the writer's reader and by the same reader with the in-place path off: the rows (every column
 * and the canonical line the hash covers) must be identical, or both undefined.
 */
import { describe, expect, it } from 'vitest';
import { RawEntryReader, rawHeadJson, rawJournalBody } from '../src/audit/raw-entry.js';
import { Redactor } from '../src/audit/redact.js';
import type { RawRecordHead } from '../src/types.js';

const FIELDS = ['password', 'token', 'api_key', 'apikey', 'authorization', 'secret'];
const HEAD: RawRecordHead = { clientId: 'a', clientName: 'A', authMethod: 'api_key', sessionId: 's', transport: 'stdio', backend: 'b', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 3 };

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

const PIECES = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\"', '\\\\', '\\u0074', '\\/', '\\n', '0', '-', '-0', '1', '9', '.', 'e', 'E', '+', '1e400', ' ', '\t', '\r', '\u0000', '\u001f', '\ud800', '\udc00', '\u{1F600}', 'é', 'true', 'null', 'false', '"isError":true', '"error":null', '"result":{}', '"name":"x"', '"arguments":{}', '"__proto__":{}', '"1":1', 'Token', 'k', '12345678901234567', '9007199254740993'];

function mutate(r: (n: number) => number, text: string): string {
  let t = text;
  for (let m = 1 + r(3); m > 0; m--) {
    const at = r(t.length + 1);
    const op = r(4);
    const piece = PIECES[r(PIECES.length)]!;
    if (op === 0) t = t.slice(0, at) + piece + t.slice(at);
    else if (op === 1) t = t.slice(0, at) + t.slice(at + 1 + r(3));
    else if (op === 2) t = t.slice(0, at) + piece + t.slice(at + 1);
    else {
      // a member written twice: copy a `"name":value` already there
      const k = t.indexOf('":', at);
      const q = k < 0 ? -1 : t.lastIndexOf('"', k - 1);
      if (q > 0) t = t.slice(0, q) + t.slice(q, k + 2) + '1,' + t.slice(q);
    }
  }
  return t;
}

describe('audit raw entries read in place, mutated lines', () => {
  it('gives the row parsing gives, for every mutation', () => {
    const cap = 200;
    const both = new RawEntryReader(new Redactor(FIELDS), cap);
    const slow = new RawEntryReader(new Redactor(FIELDS), cap);
    (slow as unknown as { fast: { row: () => undefined } }).fast = { row: () => undefined };
    const fast = (both as unknown as { fast: { row: (...a: unknown[]) => unknown } }).fast;
    const row = fast.row.bind(fast);
    let hits = 0;
    (both as unknown as { fast: { row: (...a: unknown[]) => unknown } }).fast = {
      row: (...a: unknown[]) => {
        const x = row(...a);
        if (x !== undefined) hits++;
        return x;
      },
    };
    const r = rng(777);
    const reqs = [
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list","arguments":{"a":1,"b":"x","c":[1,{"d":null}],"e":{"f":true}}}}',
      '{"method":"tools/call","params":{"arguments":{"n":-12,"s":"q\\"b\\\\"},"name":"t"},"id":"i-1","jsonrpc":"2.0"}',
      '{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"name":"r","uri":"x"}}',
    ];
    const answers = [
      '{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"ok"}],"isError":false}}',
      '{"jsonrpc":"2.0","id":7,"result":{"isError":true,"content":[]}}',
      '{"result":{"structuredContent":{"x":[1,2,{"y":"z"}]},"content":[]},"id":7,"jsonrpc":"2.0"}',
    ];
    for (let n = 0; n < 40000; n++) {
      let request = reqs[r(reqs.length)]!;
      let answer = answers[r(answers.length)]!;
      const which = r(3);
      if (which !== 1) request = mutate(r, request);
      if (which !== 0) answer = mutate(r, answer);
      const b = rawJournalBody(rawHeadJson(HEAD), 1_700_000_000_000 + n, 10, Buffer.byteLength(request), Buffer.byteLength(answer), request, answer);
      const got = both.row(n + 1, b);
      const want = slow.row(n + 1, b);
      if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, `${request}\n${answer}`).toEqual(want);
    }
    // the mutations left some lines in the form (read in place) and took most out of it
    expect(hits).toBeGreaterThan(1000);
  });
});
