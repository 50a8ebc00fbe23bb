/**
 * Encoding builtins: json.marshal / marshal_with_options / unmarshal / is_valid, yaml.marshal (the
 * `yaml` package; output in go-yaml's block style), yaml.unmarshal / is_valid (go-yaml v2's YAML 1.1
 * reading as OPA does, yaml-go.ts), base64.*, base64url.*,
 * hex.*, urlquery.* (Go's net/url QueryEscape / QueryUnescape / Values semantics).
 */
import YAML from 'yaml';
import { RSet, objForEach, objGet, objKeys, toJSON, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str, obj, typeError, operandTypeError } from './operands.js';
import { isValidJSON, marshalIndent, marshalJSON, parseJSON } from './json-text.js';
import { base64Encode, base64UrlDecode, bytesToString, goBase64Decode, hexDecode } from './base64.js';
import { goYamlUnmarshal } from './yaml-go.js';

function marshalWithOptions(args: Value[]): Value {
  const v = args[0]!;
  const opts = obj(args[1]!, 2);
  let indent = '\t';
  let prefix = '';
  let implicit = false;
  let explicitSet = false;
  let pretty = false;
  for (const k of objKeys(opts)) {
    const val = objGet(opts, k)!;
    if (typeof k !== 'string') throw typeError(`operand 2 failed to stringify key ${String(k)}`);
    switch (k) {
      case 'prefix':
        if (typeof val !== 'string') throw typeError(`operand 2 key prefix failed cast to string`);
        prefix = val;
        implicit = true;
        break;
      case 'indent':
        if (typeof val !== 'string') throw typeError(`operand 2 key indent failed cast to string`);
        indent = val;
        implicit = true;
        break;
      case 'pretty':
        explicitSet = true;
        if (typeof val !== 'boolean') throw typeError('operand 2 key pretty failed cast to bool');
        pretty = val;
        break;
      default:
        throw typeError(`operand 2 object contained unknown key ${JSON.stringify(k)}`);
    }
  }
  if (!explicitSet) pretty = implicit;
  if (!pretty) return marshalJSON(v);
  return prefix + marshalIndent(v, prefix, indent);
}

/** YAML as sigs.k8s.io/yaml writes it: block style, sorted keys, sequences not indented under keys */
function yamlMarshal(v: Value): string {
  return YAML.stringify(toJSON(v), { indentSeq: false, sortMapEntries: true, lineWidth: 0 });
}

// ---- url query ----

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

export function queryEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch.length === 1 && UNRESERVED.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /[0-9a-fA-F]/.test(c);
}

export function queryUnescape(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  const bytes: number[] = [];
  const src = Buffer.from(s, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25) {
      const h1 = String.fromCharCode(src[i + 1] ?? 0);
      const h2 = String.fromCharCode(src[i + 2] ?? 0);
      if (i + 2 >= src.length || !isHex(h1) || !isHex(h2)) {
        let bad = src.subarray(i, Math.min(i + 3, src.length)).toString('utf8');
        if (bad.length > 3) bad = bad.slice(0, 3);
        throw new BuiltinError(`invalid URL escape ${JSON.stringify(bad)}`);
      }
      bytes.push(parseInt(h1 + h2, 16));
      i += 2;
    } else if (c === 0x2b) bytes.push(0x20);
    else bytes.push(c);
  }
  return Buffer.from(bytes).toString('utf8');
}

function encodeObject(args: Value[]): Value {
  const o = args[0]!;
  if (o === null || typeof o !== 'object' || Array.isArray(o) || o instanceof RSet) throw operandTypeError(1, o, 'object');
  const parts: [string, string][] = [];
  const bad = (): never => {
    throw typeError('operand 1 values must be string, array[string], or set[string]');
  };
  objForEach(o as never, (k, v) => {
    const key = typeof k === 'string' ? k : bad();
    if (typeof v === 'string') parts.push([key, v]);
    else if (Array.isArray(v) || v instanceof RSet) {
      for (const x of Array.isArray(v) ? v : v.values()) {
        if (typeof x !== 'string') bad();
        parts.push([key, x as string]);
      }
    } else bad();
  });
  // url.Values.Encode sorts by key (stable for values of one key)
  parts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return parts.map(([k, v]) => queryEscape(k) + '=' + queryEscape(v)).join('&');
}

function decodeObject(args: Value[]): Value {
  const q = str(args[0]!, 1);
  const out = new Map<string, string[]>();
  let firstErr: BuiltinError | undefined;
  for (const part of q.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) {
      firstErr ??= new BuiltinError('invalid semicolon separator in query');
      continue;
    }
    const eq = part.indexOf('=');
    const rawK = eq < 0 ? part : part.slice(0, eq);
    const rawV = eq < 0 ? '' : part.slice(eq + 1);
    let k: string;
    let v: string;
    try {
      k = queryUnescape(rawK);
      v = queryUnescape(rawV);
    } catch (e) {
      firstErr ??= e as BuiltinError;
      continue;
    }
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  if (firstErr) throw firstErr;
  const res: Record<string, unknown> = {};
  for (const [k, v] of out) Object.defineProperty(res, k, { value: v, enumerable: true, writable: true, configurable: true });
  return res as Value;
}

const s1 = (f: (s: string) => Value) => (args: Value[]) => f(str(args[0]!, 1));

export const builtins: BuiltinDef[] = [
  { name: 'json.marshal', arity: 1, fn: (a) => marshalJSON(a[0]!) },
  { name: 'json.marshal_with_options', arity: 2, fn: marshalWithOptions },
  { name: 'json.unmarshal', arity: 1, fn: s1(parseJSON) },
  { name: 'json.is_valid', arity: 1, fn: (a) => typeof a[0] === 'string' && isValidJSON(a[0]) },
  { name: 'yaml.marshal', arity: 1, fn: (a) => yamlMarshal(a[0]!) },
  { name: 'yaml.unmarshal', arity: 1, fn: s1(goYamlUnmarshal) },
  {
    name: 'yaml.is_valid',
    arity: 1,
    fn: (a) => {
      if (typeof a[0] !== 'string') return false;
      try {
        goYamlUnmarshal(a[0]);
        return true;
      } catch {
        return false;
      }
    },
  },
  { name: 'base64.encode', arity: 1, fn: s1((s) => base64Encode(s, false, true)) },
  { name: 'base64.decode', arity: 1, fn: s1((s) => bytesToString(goBase64Decode(s, false))) },
  {
    name: 'base64.is_valid',
    arity: 1,
    fn: (a) => {
      if (typeof a[0] !== 'string') return false;
      try {
        goBase64Decode(a[0], false);
        return true;
      } catch {
        return false;
      }
    },
  },
  { name: 'base64url.encode', arity: 1, fn: s1((s) => base64Encode(s, true, true)) },
  { name: 'base64url.encode_no_pad', arity: 1, fn: s1((s) => base64Encode(s, true, false)) },
  { name: 'base64url.decode', arity: 1, fn: s1((s) => bytesToString(base64UrlDecode(s))) },
  { name: 'hex.encode', arity: 1, fn: s1((s) => Buffer.from(s, 'utf8').toString('hex')) },
  { name: 'hex.decode', arity: 1, fn: s1((s) => bytesToString(hexDecode(s))) },
  { name: 'urlquery.encode', arity: 1, fn: s1(queryEscape) },
  { name: 'urlquery.decode', arity: 1, fn: s1(queryUnescape) },
  { name: 'urlquery.encode_object', arity: 1, fn: encodeObject },
  { name: 'urlquery.decode_object', arity: 1, fn: decodeObject },
];
