/**
 * isSingleJsonObject (the check that lets a request recognized by its spelling pass unparsed) agrees
 * with JSON.parse: every text it accepts JSON.parse reads as one object, and every object text it
 * declines has a top-level JSON-RPC member written twice or with an escaped name. Hand-picked cases
 * plus a seeded mutation fuzz from valid messages.
 */
import { describe, expect, it } from 'vitest';
import { isSingleJsonObjectBytes, isUtf8Bytes } from '../src/transport/json-bytes.js';
import { isSingleJsonObject } from './helpers/json-text-reference.js';

/** isSingleJsonObjectBytes of the text's UTF-8 bytes, placed inside a larger buffer (bytes around it must not matter). */
const bytesVerdict = (text: string): boolean => {
  const inner = Buffer.from(text, 'utf8');
  const buf = Buffer.concat([Buffer.from('{"x":1}\n'), inner, Buffer.from('\n}]"')]);
  return isSingleJsonObjectBytes(buf, 8, 8 + inner.length);
};

const isObjectText = (text: string): boolean => {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
};

describe('isSingleJsonObject', () => {
  it('accepts JSON objects of every kind of value', () => {
    for (const text of [
      '{}',
      ' {"a" : 1 }\t',
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}',
      '{"a":[1,-0,2.5e3,1E-2,0.5,true,false,null,{},[],[[]],{"b":"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t"}],"c":{"d":{"e":[1]}}}',
      '{"method":"tools/call","params":{"id":1,"id":2,"method":"x"},"jsonrpc":"2.0","id":3}',
      '{"x":"é ☃ 😀"}',
    ]) {
      expect(isObjectText(text)).toBe(true);
      expect(isSingleJsonObject(text), text).toBe(true);
      expect(bytesVerdict(text), text).toBe(true);
    }
  });

  it('declines what JSON.parse rejects, non-objects, and top-level members written twice or escaped', () => {
    for (const text of [
      '',
      '[1]',
      '"x"',
      '{',
      '{"a":1',
      '{"a":1}}',
      '{"a":1} {"b":2}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":-}',
      '{"a":1e}',
      '{"a":tru}',
      '{"a":"\\x"}',
      '{"a":"b}',
      '{"a":"\\u12G4"}',
      '{"a":"tab\there"}',
      '{"a":[1,]}',
      '{"a":1,}',
      '{,}',
      '{"a" 1}',
      "{'a':1}",
      '{"a":[1}',
      '{"a":{1:2}}',
      '{"id":1,"id":2}',
      '{"jsonrpc":"2.0","method":"a","method":"b"}',
      '{"params":{},"params":{}}',
      '{"jsonrpc":"2.0","jsonrpc":"2.0"}',
      '{"\\u0069d":1}',
      `{"a":${'['.repeat(100)}${']'.repeat(100)}}`,
    ]) {
      expect(isSingleJsonObject(text), text).toBe(false);
      expect(bytesVerdict(text), text).toBe(false);
    }
  });

  it('agrees with JSON.parse on 200,000 mutated messages', () => {
    const seeds = [
      '{"jsonrpc":"2.0","id":12345,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello from mcp-warden bench"}}}',
      '{"a":[1,2.5e3,-0,true,false,null,{"b":"\\u00e9\\n"}],"c":{}}',
      '{"x":"\\"","y":[],"z":-1.5E+7}',
      ' {"id" : 1 , "method":"m"} ',
    ];
    const alphabet = '{}[]",:0123456789-+.eE \\u/btnrfalsxq\n\t\u0001é';
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let acceptedInvalid = 0;
    let declinedValid = 0;
    let accepted = 0;
    let bytesDisagree = 0;
    for (let t = 0; t < 200_000; t++) {
      let text = seeds[t % seeds.length]!;
      const edits = 1 + Math.floor(random() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(random() * text.length);
        const ch = alphabet[Math.floor(random() * alphabet.length)]!;
        const op = random();
        if (op < 0.33) text = text.slice(0, at) + text.slice(at + 1);
        else if (op < 0.66) text = text.slice(0, at) + ch + text.slice(at);
        else text = text.slice(0, at) + ch + text.slice(at + 1);
      }
      const valid = isObjectText(text);
      const got = isSingleJsonObject(text);
      // The byte scanner gives the same verdict on the text's UTF-8 bytes (lone surrogates aside: they have none).
      if (bytesVerdict(text) !== got && !/[\ud800-\udfff]/.test(text)) bytesDisagree++;
      if (got) accepted++;
      if (got && !valid) acceptedInvalid++;
      if (!got && valid && !namesAJsonRpcMemberTwiceOrEscaped(text)) declinedValid++;
    }
    expect(acceptedInvalid).toBe(0);
    expect(declinedValid).toBe(0);
    expect(bytesDisagree).toBe(0);
    expect(accepted).toBeGreaterThan(10_000);
  });
});

describe('isSingleJsonObjectBytes (the same check on a line\'s bytes)', () => {
  const line = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

  it('accepts valid UTF-8 of every length in strings, and declines malformed UTF-8 anywhere', () => {
    expect(isSingleJsonObjectBytes(line('{"a":"é ☃ 😀"}'), 0, line('{"a":"é ☃ 😀"}').length)).toBe(true);
    for (const bad of [[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80]]) {
      const b = line('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"text":"a', bad, 'b"}}');
      expect(isSingleJsonObjectBytes(b, 0, b.length), String(bad)).toBe(false);
      expect(isUtf8Bytes(b, 0, b.length)).toBe(false);
    }
    // Outside strings a non-ASCII byte is never JSON.
    const outside = line('{"a":1', [0xc2, 0xa0], '}');
    expect(isSingleJsonObjectBytes(outside, 0, outside.length)).toBe(false);
  });

  it('reads only buf[start, end): an object cut short, or followed by more bytes inside the range, is declined', () => {
    const b = Buffer.from('xx{"a":[1,2],"b":"c"}yy');
    expect(isSingleJsonObjectBytes(b, 2, b.length - 2)).toBe(true);
    expect(isSingleJsonObjectBytes(b, 2, b.length - 3)).toBe(false);
    expect(isSingleJsonObjectBytes(b, 2, b.length - 1)).toBe(false);
    expect(isSingleJsonObjectBytes(Buffer.from('{"a":1e'), 0, 7)).toBe(false);
    expect(isSingleJsonObjectBytes(Buffer.from('{"a":"\\u12'), 0, 11)).toBe(false);
    expect(isSingleJsonObjectBytes(Buffer.from('{"a":tr'), 0, 7)).toBe(false);
  });

  it('isUtf8Bytes: ASCII and valid UTF-8 of any size pass, a malformed byte anywhere fails', () => {
    const ascii = Buffer.from('{"result":{}}'.repeat(50));
    expect(isUtf8Bytes(ascii, 0, ascii.length)).toBe(true);
    const long = line('é'.repeat(300));
    expect(isUtf8Bytes(long, 0, long.length)).toBe(true);
    expect(isUtf8Bytes(long, 1, long.length)).toBe(false);
    const longBad = line('a'.repeat(400), [0xff]);
    expect(isUtf8Bytes(longBad, 0, longBad.length)).toBe(false);
    expect(isUtf8Bytes(longBad, 0, longBad.length - 1)).toBe(true);
  });
});

/** Whether a valid object text writes a top-level jsonrpc/id/method/params member twice, or a top-level name with an escape. */
function namesAJsonRpcMemberTwiceOrEscaped(text: string): boolean {
  // Re-read the top-level names with JSON.parse of each `"name":` at depth 1 (a slow, obviously right scan).
  let depth = 0;
  const names: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      let k = j + 1;
      while (' \t\n\r'.includes(text[k]!)) k++;
      if (depth === 1 && text[k] === ':') {
        if (raw.includes('\\')) return true;
        names.push(JSON.parse(raw) as string);
      }
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return ['jsonrpc', 'id', 'method', 'params'].some((m) => names.filter((n) => n === m).length > 1);
}
