/**
 * The audit writer reads a raw entry's lines in place (src/audit/raw-fast.ts, json-span.ts) when
 * they are in the form JSON.stringify writes, and parses them otherwise. Both ways must give the
 * very same row (every column, and the canonical line the hash covers): each case below, and a few
 * thousand generated ones (values printed by JSON.stringify, then bent out of that form in the
 * ways other JSON writers differ: spaces, number spellings, escapes, key order), is read by the
 * writer's reader and by the same reader with the in-place path switched off. Cases that must stay
 * on the long way (an error answer, a sensitive name, text out of the form) are checked to, and
 * the common case is checked to take the fast one.
 */
import { describe, expect, it } from 'vitest';
import { objectMembers, plainText, skipValue } from '../src/audit/json-span.js';
import { RawFastReader } from '../src/audit/raw-fast.js';
import { RawEntryReader, rawHeadJson, rawJournalBody } from '../src/audit/raw-entry.js';
import { Redactor } from '../src/audit/redact.js';
import type { RawRecordHead } from '../src/types.js';

const FIELDS = ['password', 'token', 'api_key', 'apikey', 'authorization', 'secret'];
const HEAD: RawRecordHead = { clientId: 'alice', clientName: 'Alice', authMethod: 'api_key', sessionId: 's-1', transport: 'stdio', backend: 'inv', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 3 };

function readers(cap = 16384): { both: RawEntryReader; slow: RawEntryReader; fastHits: () => number } {
  const both = new RawEntryReader(new Redactor(FIELDS), cap);
  const slow = new RawEntryReader(new Redactor(FIELDS), cap);
  (slow as unknown as { fast: { row: () => undefined } }).fast = { row: () => undefined };
  // Count the entries the in-place path answered.
  const fast = (both as unknown as { fast: RawFastReader }).fast;
  let hits = 0;
  const row = fast.row.bind(fast);
  (both as unknown as { fast: { row: typeof row } }).fast = {
    row: (...a: Parameters<typeof row>) => {
      const r = row(...a);
      if (r !== undefined) hits++;
      return r;
    },
  };
  return { both, slow, fastHits: () => hits };
}

function body(request: string, answer: string, head: RawRecordHead = HEAD): string {
  return rawJournalBody(rawHeadJson(head), 1_700_000_000_123, 850, Buffer.byteLength(request), Buffer.byteLength(answer), request, answer);
}

const call = (args: string, extra = ''): string => `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_vms","arguments":${args}${extra}}}`;
const ok = (result: string): string => `{"jsonrpc":"2.0","id":7,"result":${result}}`;

describe('audit raw entries read in place', () => {
  it('takes the fast way for a plain call, and gives the row parsing gives', () => {
    const { both, slow, fastHits } = readers();
    const cases: Array<[string, string]> = [
      [call('{"name":"vm-1","filter":{"state":"running","tags":["prod","eu-west"]}}'), ok('{"content":[{"type":"text","text":"vm-1 running"}],"isError":false}')],
      [call('{"n":-12,"z":0,"big":123456789012345,"t":true,"f":false,"nil":null,"e":{},"a":[]}'), ok('{"content":[],"isError":true}')],
      [call('{"s":"quote \\" backslash \\\\ nl \\n tab \\t cr \\r bs \\b ff \\f end"}'), ok('{"content":[{"type":"text","text":"a\\\\\\"b"}]}')],
      [call('{"emoji":"\u{1F600} é ✓ \u2028"}'.replace('\u{1F600} ', '')), ok('{"content":[{"type":"text","text":"日本語"}]}')],
      [call('[1,[2,[3,{"k":[]}]]]'), ok('{"structuredContent":{"x":[{"y":"z"}]},"content":[]}')],
      [call('"just a string"'), ok('{}')],
      [`{"jsonrpc":"2.0","id":"abc-\\"1","method":"tools/call","params":{"name":"odd \\"tool\\"","arguments":{}}}`, ok('{"content":[]}')],
      [`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"no_id"}}`, ok('{"content":[]}')],
      [`{"method":"tools/call","id":null,"params":{"arguments":{"b":1},"name":"x"},"jsonrpc":"2.0"}`, ok('{"isError":true,"content":[]}')],
      [`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"name":"r","arguments":{}}}`, ok('{"isError":true}')],
    ];
    for (const [request, answer] of cases) {
      const b = body(request, answer);
      expect(both.row(41, b), request).toEqual(slow.row(41, b));
    }
    expect(fastHits()).toBe(cases.length);
  });

  it("carries the client's roles from the head into the row and its canonical line, the same both ways", () => {
    const { both, slow, fastHits } = readers();
    const request = call('{"name":"vm-1"}');
    const answer = ok('{"content":[]}');
    for (const roles of [['admin'], ['vm-operator', 'reader', 'grüße "q" \\ \ud800'], [], undefined]) {
      const b = body(request, answer, { ...HEAD, roles });
      const fast = both.row(41, b)!;
      expect(fast).toEqual(slow.row(41, b));
      const text = roles === undefined || roles.length === 0 ? null : JSON.stringify(roles);
      // ROW_COLUMNS: the roles after response_bytes; in the canonical line its last scalar, only when not null.
      expect(fast[1][28]).toBe(text);
      expect(fast[1]).toHaveLength(31);
      expect(fast[0].split('\t')[0]!.endsWith(text === null ? ',850,' + Buffer.byteLength(request) + ',' + Buffer.byteLength(answer) + ']' : `,${JSON.stringify(text)}]`)).toBe(true);
    }
    expect(fastHits()).toBe(4);
    // A head of an earlier version (ten values, no roles) reads as no roles; an eleventh value that is no list of roles is refused.
    const tenValues = rawJournalBody(JSON.stringify(JSON.parse(rawHeadJson(HEAD)).slice(0, 10)), 1_700_000_000_123, 850, request.length, answer.length, request, answer);
    expect(tenValues).toBe(body(request, answer));
    expect(both.row(41, tenValues)![1][28]).toBeNull();
    const bad = rawJournalBody(JSON.stringify([...JSON.parse(rawHeadJson(HEAD)), 'admin']), 1_700_000_000_123, 850, request.length, answer.length, request, answer);
    expect(both.row(41, bad)).toBeUndefined();
  });

  it('takes the long way, with the same row, for what is out of the form or not a plain call', () => {
    const { both, slow, fastHits } = readers(120);
    const cases: Array<[string, string]> = [
      // Out of the form: spaces, number spellings, escapes JSON.stringify does not write, index-like names, a lone surrogate.
      [call('{"a": 1}'), ok('{"content":[]}')],
      [call('{"a":1}'), ok('{ "content":[]}')],
      [call('{"a":1.50}'), ok('{"content":[]}')],
      [call('{"a":1e3}'), ok('{"content":[]}')],
      [call('{"a":-0}'), ok('{"content":[]}')],
      [call('{"a":1234567890123456789}'), ok('{"content":[]}')],
      [call('{"a":"\\/"}'), ok('{"content":[]}')],
      [call('{"a":"\\u0041"}'), ok('{"content":[]}')],
      [call('{"b":1,"2":3}'), ok('{"content":[]}')],
      [call('{"a":1}'), ok('{"content":[{"10":"x","a":"y"}]}')],
      [call('{"a":"lone \ud800 surrogate"}'), ok('{"content":[]}')],
      [call('{"a":"pair \u{1F600}"}'), ok('{"content":[]}')],
      [call('{"a":"ctl \u0001"}'), ok('{"content":[]}')],
      // A member name written twice (the proxy journals no such line raw; the writer reads it as JSON.parse does).
      [call('{"dup":1,"dup":2}'), ok('{"content":[]}')],
      [call('{}'), ok('{"content":[],"isError":false,"isError":true}')],
      // Not a plain call: an error answer, no result, a result that is no object, params that are no object, a tool name that is no string.
      [call('{}'), '{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"bad \\"x\\""}}'],
      [call('{}'), '{"jsonrpc":"2.0","id":7,"result":{"content":[]},"error":null}'],
      [call('{}'), '{"jsonrpc":"2.0","id":7}'],
      [call('{}'), ok('null')],
      [call('{}'), ok('[1]')],
      [`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}`, ok('{"content":[]}')],
      [`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}`, ok('{"content":[]}')],
      [`{"jsonrpc":"2.0","id":1,"method":"tools/call"}`, ok('{"content":[]}')],
      // Not JSON at all, or trailing text.
      [call('{}'), 'not json'],
      [call('{}'), ok('{"content":[]}') + ' '],
      [call('{}'), ok('{"content":[]') ],
      // A name redaction would mask (the proxy never journals these raw; the writer still redacts them).
      [call('{"password":"hunter2"}'), ok('{"content":[]}')],
      [call('{}'), ok('{"content":[{"type":"text","text":"x"}],"session_token":"abc"}')],
      // Over the payload cap: stored as hash and size, either way.
      [call(`{"big":"${'x'.repeat(300)}"}`), ok(`{"content":[{"type":"text","text":"${'y'.repeat(300)}"}]}`)],
    ];
    for (const [request, answer] of cases) {
      const b = body(request, answer);
      expect(both.row(9, b), `${request} / ${answer}`).toEqual(slow.row(9, b));
    }
    // Only the last (over the cap, in the form) is read in place.
    expect(fastHits()).toBe(1);
    const secret = both.row(9, body(call('{"password":"hunter2"}'), ok('{"content":[]}')))!;
    expect(secret[0]).not.toContain('hunter2');
  });

  it('gives the same rows as parsing for generated values, in and out of the form', () => {
    const { both, slow, fastHits } = readers(400);
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 8) % n;
    };
    const strings = ['', 'a', 'vm-1', 'quote"', 'back\\slash', 'nl\n', 'tab\t', 'é', '日本', '\u{1F600}', '\u0007', '\u2028', '10', 'key word'];
    const value = (depth: number): unknown => {
      const k = rand(depth > 3 ? 6 : 9);
      if (k === 0) return rand(2) === 0 ? rand(100000) - 50000 : rand(3) === 0 ? 0.5 + rand(10) : rand(1e9) * 1e6;
      if (k === 1) return strings[rand(strings.length)];
      if (k === 2) return rand(2) === 0;
      if (k === 3) return null;
      if (k === 4) return -rand(3);
      if (k === 5) return strings[rand(strings.length)]! + strings[rand(strings.length)];
      if (k <= 7) {
        const o: Record<string, unknown> = {};
        for (let i = rand(4); i > 0; i--) o[strings[rand(strings.length)]! + (rand(3) === 0 ? '' : 'k')] = value(depth + 1);
        return o;
      }
      return Array.from({ length: rand(4) }, () => value(depth + 1));
    };
    // Ways other writers print the same value.
    const bend = (text: string): string => {
      switch (rand(8)) {
        case 0:
          return text.replace(/,/, ', ');
        case 1:
          return text.replace(/:/, ': ');
        case 2:
          return text.replace(/(\d)([,\]}])/, '$1.0$2');
        case 3:
          return text.replace(/"k"/, '"\\u006b"');
        default:
          return text;
      }
    };
    for (let n = 0; n < 3000; n++) {
      const args = bend(JSON.stringify(value(0)));
      const result = bend(JSON.stringify({ content: [{ type: 'text', text: value(2) }], isError: rand(3) === 0 ? true : rand(2) === 0 ? value(3) : false, extra: value(1) }));
      const b = body(call(args), ok(result));
      expect(both.row(n + 1, b), b).toEqual(slow.row(n + 1, b));
    }
    // Both ways were taken often (about a third of these values are in the form).
    expect(fastHits()).toBeGreaterThan(500);
    expect(fastHits()).toBeLessThan(2500);
  });
});

describe('json-span', () => {
  it('accepts exactly what JSON.stringify prints back the same, and finds members', () => {
    const inForm = ['{"a":{"a":1,"b":{"a":2}},"b":[{"a":1},{"a":1}]}', '{"ab":1,"a":2,"b":3}', '{}', '[]', '{"a":[1,-2,{"b":null}],"c":"d\\"e"}', '"x"', '0', '-7', 'true', 'false', 'null', '{"":1}', '{"a1":1}'];
    for (const t of inForm) {
      expect(plainText(t, 0), t).toBe(true);
      expect(skipValue(t, 0, t.length, 0), t).toBe(t.length);
      expect(JSON.stringify(JSON.parse(t))).toBe(t);
    }
    const outOfForm = ['{"a":1,"a":2}', '{"x":{"b":1,"c":2,"b":3}}', '[{"a\\"":1,"a\\"":2}]', '{ }', '[1 ]', '{"1":1}', '01', '-0', '1.0', '1e2', '"a', '{"a":1', '[1,]', '{"a":1,}', 'tru', 'nul', '{"a"1}', '12345678901234567'];
    for (const t of outOfForm) expect(plainText(t, 0) && skipValue(t, 0, t.length, 0) === t.length, t).toBe(false);
    for (const t of ['"\\u0041"', '"\\/"', '"\\a"', '"\\\\\\"', '"\u0001"', '"\ud800"']) expect(plainText(t, 0) && skipValue(t, 0, t.length, 0) === t.length, t).toBe(false);
    for (const t of ['"\\\\"', '"a\\"b\\\\"', '["\\\\","\\"",""]']) {
      expect(plainText(t, 0) && skipValue(t, 0, t.length, 0), t).toBe(t.length);
      expect(JSON.stringify(JSON.parse(t))).toBe(t);
    }
    const deep = '['.repeat(100) + ']'.repeat(100);
    expect(plainText(deep, 0)).toBe(true);
    expect(skipValue(deep, 0, deep.length, 0)).toBe(-1);
    const out = new Int32Array(6).fill(-1);
    const text = '{"a":1,"p":{"x":"y","z":[2]},"b":"c"}';
    expect(plainText(text, 0)).toBe(true);
    expect(objectMembers(text, 0, text.length, 0, ['b', 'p'], out, 0, 1, ['z'], 4)).toBe(text.length);
    expect(text.slice(out[0]!, out[1]!)).toBe('"c"');
    expect(text.slice(out[2]!, out[3]!)).toBe('{"x":"y","z":[2]}');
    expect(text.slice(out[4]!, out[5]!)).toBe('[2]');
  });
  it("writes the row's time as the number's text whatever digits the line spells it with", () => {
    // The canonical line takes the time's digits from the line when they are what `${time}` writes;
    // other spellings (leading zeros, more digits than `${time}` writes) give the number's own text;
    // digits past 2^53 are no number a double holds (a damaged line: refused, line-check.ts).
    const { both } = readers();
    const request = call('{"a":1}');
    const answer = ok('{"content":[]}');
    const spelled = (digits: string): string => body(request, answer).replace(/^R\d+,/, `R${digits},`);
    // The number as the reader reads the digits (one at a time: past 2^53 not the nearest double).
    const read = (digits: string): number => [...digits].reduce((v, c) => v * 10 + Number(c), 0);
    const cases: Array<[string, number]> = [
      ['1700000000123', 1_700_000_000_123],
      ['0', 0],
      ['7', 7],
      ['0017', 17],
      ['00', 0],
      ['123456789012345', 123_456_789_012_345],
      ['1234567890123456', 1_234_567_890_123_456],
    ];
    expect(both.row(5, spelled('12345678901234567890'))).toBeUndefined();
    expect(both.row(5, spelled('9007199254740992'))).toBeUndefined();
    expect(both.row(5, spelled('9007199254740991'))![1][1]).toBe(9007199254740991);
    for (const [digits, time] of cases) {
      expect(read(digits)).toBe(time);
      const row = both.row(5, spelled(digits))!;
      expect(row, digits).toBeDefined();
      expect(row[0].startsWith(`[5,${String(time)},`), digits).toBe(true);
      expect(row[1][1]).toBe(time);
    }
  });
});

describe('audit raw entries: the head of each entry', () => {
  it('gives each entry its own head, also when heads of the same length alternate', () => {
    // The reader keeps the last head and checks each entry's against it: same length, other text.
    const heads = ['s-1', 's-2', 's-3'].map((sessionId, i) => ({ ...HEAD, sessionId, clientId: `c-${i}` }));
    expect(new Set(heads.map((h) => rawHeadJson(h).length)).size).toBe(1);
    const { both, slow } = readers();
    for (let i = 0; i < 12; i++) {
      const head = heads[(i * 5) % 3]!;
      const b = body(call('{"n":1}'), ok('{"content":[]}'), head);
      const row = both.row(i + 1, b)!;
      expect([row[1][2], row[1][5]]).toEqual([head.clientId, head.sessionId]);
      expect(row).toEqual(slow.row(i + 1, b));
    }
  });
});
