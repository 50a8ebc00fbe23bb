/**
 * isSingleJsonObject (the check that lets a request recognized by its spelling pass unparsed) agrees
 * with JSON.parse: every text it accepts JSON.parse reads as one object, and every object text it
 * declines has a top-level JSON-RPC member written twice or with an escaped name. Hand-picked cases
 * plus a seeded mutation fuzz from valid messages.
 */
import { describe, expect, it } from 'vitest';
import { isSingleJsonObject } from '../src/transport/json-text.js';

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
      if (got) accepted++;
      if (got && !valid) acceptedInvalid++;
      if (!got && valid && !namesAJsonRpcMemberTwiceOrEscaped(text)) declinedValid++;
    }
    expect(acceptedInvalid).toBe(0);
    expect(declinedValid).toBe(0);
    expect(accepted).toBeGreaterThan(10_000);
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
