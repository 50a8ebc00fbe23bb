/**
 * JSON text in and out as OPA's Go code produces and accepts it: encoding/json output (sorted keys,
 * HTML-safe escapes of < > &, U+2028/9 escaped, exact number text, MarshalIndent layout) and a parser
 * that keeps integers beyond 2^53 exact and reports Go-like syntax errors.
 */
import { BigNum, RSet, formatValue, numberText, objForEach, parseNumber, type Value } from '../value/index.js';
import { BuiltinError } from './registry.js';

const ESC_RE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

/** Go's encoding/json string encoding (HTML escaping on) */
export function goJSONString(s: string): string {
  if (!ESC_RE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += ch + s[i + 1];
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return out + '"';
}

function keyText(k: Value): string {
  return typeof k === 'string' ? k : formatValue(k);
}

/** json.Marshal of the JSON form of a value */
export function marshalJSON(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return numberText(v);
    case 'string':
      return goJSONString(v);
  }
  if (v instanceof BigNum) return numberText(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + marshalJSON(v[i]!);
    return s + ']';
  }
  if (v instanceof RSet) return marshalJSON(v.values() as Value[]);
  const entries: [string, Value][] = [];
  objForEach(v, (k, val) => {
    entries.push([keyText(k), val]);
  });
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let s = '{';
  for (let i = 0; i < entries.length; i++) s += (i ? ',' : '') + goJSONString(entries[i]![0]) + ':' + marshalJSON(entries[i]![1]);
  return s + '}';
}

/** json.MarshalIndent(v, prefix, indent) (without the prefix of the first line, as Go) */
export function marshalIndent(v: Value, prefix: string, indent: string, depth = 0): string {
  const nl = (d: number): string => '\n' + prefix + indent.repeat(d);
  if (Array.isArray(v) || v instanceof RSet) {
    const items = Array.isArray(v) ? v : v.values();
    if (items.length === 0) return '[]';
    let s = '[';
    for (let i = 0; i < items.length; i++) s += (i ? ',' : '') + nl(depth + 1) + marshalIndent(items[i]!, prefix, indent, depth + 1);
    return s + nl(depth) + ']';
  }
  if (v !== null && typeof v === 'object' && !(v instanceof BigNum)) {
    const entries: [string, Value][] = [];
    objForEach(v, (k, val) => {
      entries.push([keyText(k), val]);
    });
    if (entries.length === 0) return '{}';
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let s = '{';
    for (let i = 0; i < entries.length; i++) {
      s += (i ? ',' : '') + nl(depth + 1) + goJSONString(entries[i]![0]) + ': ' + marshalIndent(entries[i]![1], prefix, indent, depth + 1);
    }
    return s + nl(depth) + '}';
  }
  return marshalJSON(v);
}

const BIG_DIGITS = /\d{16,}/;

/** parses JSON text to a value; integers beyond 2^53 stay exact. Throws BuiltinError like Go. */
export function parseJSON(text: string): Value {
  if (!BIG_DIGITS.test(text)) {
    try {
      return JSON.parse(text) as Value;
    } catch {
      // fall through to the exact parser for a Go-style message
    }
  }
  try {
    return new ExactParser(text).parseTop();
  } catch (e) {
    if (e instanceof RangeError) throw new BuiltinError('exceeded max depth');
    throw e;
  }
}

export function isValidJSON(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

class ExactParser {
  private i = 0;
  constructor(private readonly s: string) {}

  private fail(msg?: string): never {
    if (msg !== undefined) throw new BuiltinError(msg);
    if (this.i >= this.s.length) throw new BuiltinError('unexpected end of JSON input');
    throw new BuiltinError(`invalid character ${goQuoteChar(this.s[this.i]!)} looking for beginning of value`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  parseTop(): Value {
    this.ws();
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) {
      this.fail(`invalid character ${goQuoteChar(this.s[this.i]!)} after top-level value`);
    }
    return v;
  }

  private value(): Value {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail();
    if (c === '{') {
      this.i++;
      const out: Record<string, unknown> = {};
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out as Value;
      }
      for (;;) {
        this.ws();
        if (this.s[this.i] !== '"') {
          if (this.i >= this.s.length) this.fail();
          this.fail(`invalid character ${goQuoteChar(this.s[this.i]!)} looking for beginning of object key string`);
        }
        const k = this.string();
        this.ws();
        if (this.s[this.i] !== ':') {
          if (this.i >= this.s.length) this.fail();
          this.fail(`invalid character ${goQuoteChar(this.s[this.i]!)} after object key`);
        }
        this.i++;
        const v = this.value();
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
        this.ws();
        const d = this.s[this.i++];
        if (d === '}') return out as Value;
        if (d !== ',') {
          this.i--;
          if (this.i >= this.s.length) this.fail();
          this.fail(`invalid character ${goQuoteChar(d!)} after object key:value pair`);
        }
      }
    }
    if (c === '[') {
      this.i++;
      const out: Value[] = [];
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return out;
      }
      for (;;) {
        out.push(this.value());
        this.ws();
        const d = this.s[this.i++];
        if (d === ']') return out;
        if (d !== ',') {
          this.i--;
          if (this.i >= this.s.length) this.fail();
          this.fail(`invalid character ${goQuoteChar(d!)} after array element`);
        }
      }
    }
    if (c === '"') return this.string();
    if (this.s.startsWith('true', this.i)) {
      this.i += 4;
      return true;
    }
    if (this.s.startsWith('false', this.i)) {
      this.i += 5;
      return false;
    }
    if (this.s.startsWith('null', this.i)) {
      this.i += 4;
      return null;
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (m === null) this.fail();
    this.i += m[0].length;
    return parseNumber(m[0]) ?? this.fail();
  }

  private string(): string {
    const start = this.i;
    let j = start + 1;
    const s = this.s;
    while (j < s.length && s[j] !== '"') {
      if (s[j] === '\\') j++;
      j++;
    }
    if (j >= s.length) this.fail('unexpected end of JSON input');
    this.i = j + 1;
    try {
      return JSON.parse(s.slice(start, j + 1)) as string;
    } catch {
      return this.fail('invalid character in string literal');
    }
  }
}

function goQuoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return `'"'`;
  const cp = c.codePointAt(0)!;
  if (cp < 0x20) return "'\\x" + cp.toString(16).padStart(2, '0') + "'";
  return "'" + c + "'";
}
