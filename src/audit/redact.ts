/**
 * Redaction of audited payloads before they are written anywhere (journal or database): values of
 * sensitive field names (config `audit.redactFields`, any depth, case-insensitive, also as the end
 * of a longer name such as `access_token`, `clientSecret` or `PGPASSWORD`) are replaced by a marker, and the
 * policy's redact obligations (field names, dotted paths, RE2 patterns) are applied on top.
 */
import { RE2JS } from 're2js';
import { RAW_SAFE, RAW_UNDECIDED, RawNameScan } from './raw-safe-bytes.js';
import { decodeName, maskAssignments, maskEscapedMembers, maskJsonMembers, maskNamedLines, maskUserinfo, REDACTED, TRIGGER_ALTERNATIVES, TRIGGER_BYTES } from './redact-text.js';
import type { RawNames, RedactRule } from '../types.js';

export { REDACTED };

type Json = unknown;

const KEY_CACHE_LIMIT = 4096;

export class Redactor {
  private readonly fields: string[];
  private readonly keyCache = new Map<string, boolean>();
  private readonly patternCache = new Map<string, RE2JS>();
  /** Masks the values of sensitive keys and name/value pairs, and the secrets strings name (redactQuery). */
  private readonly queryReplacer: (key: string, value: Json) => Json;
  /**
   * Matches JSON text that may hold a sensitive key: any occurrence of a field name, in any case,
   * `-` or `_` alike (a superset of isSensitiveKey: a key's lower case ends with a field only if
   * the key's text contains it), or of a byte that may spell one or a secret under no name
   * (redact-text.ts TRIGGER_ALTERNATIVES: `%`, `@`, `\u`). Undefined when a field is not plain
   * ASCII (then every value is scanned).
   */
  private readonly mayHold: RegExp | undefined;
  /**
   * mayHold for JSON text as a peer wrote it (not made by JSON.stringify): also matches every `\u`
   * and `\/` escape, with which a key could spell a field name that the text does not show.
   */
  private readonly rawMayHold: RegExp | undefined;
  /** rawMayHold's test on ASCII bytes (undefined with it). */
  private readonly rawScan: RawNameScan | undefined;
  /** The names rawSafeBytes looks for, for a scan that looks for them in a pass of its own (Recorder.rawNames). */
  readonly rawNames: RawNames | undefined;
  /** rawNames compiled for the native scans (RawNameScan.nativeTable), when there are rawNames. */
  readonly rawNativeTable: Uint8Array | undefined;

  constructor(fields: readonly string[]) {
    this.fields = fields.map((f) => f.toLowerCase().replaceAll('-', '_')).filter((f) => f.length > 0);
    const ascii = this.fields.every((f) => /^[\x20-\x7e]+$/.test(f));
    const alternatives = this.fields.map((f) => f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replaceAll('_', '[-_]'));
    this.mayHold = !ascii ? undefined : new RegExp([...alternatives, ...TRIGGER_ALTERNATIVES].join('|'), 'iu');
    this.queryReplacer = (key, value) =>
      key !== '' && this.isSensitiveKey(key) ? REDACTED : typeof value === 'string' ? this.redactQuery(value) : this.maskNamedValue(value);
    this.rawMayHold = !ascii ? undefined : new RegExp([...alternatives, ...TRIGGER_BYTES, '\\\\[u/]'].join('|'), 'iu');
    this.rawScan = !ascii ? undefined : new RawNameScan([...this.fields, ...TRIGGER_BYTES]);
    this.rawNames = this.rawScan?.anchorsInStringsOnly === true ? this.rawScan : undefined;
    this.rawNativeTable = this.rawNames !== undefined ? this.rawScan!.nativeTable() : undefined;
  }

  /**
   * Whether JSON text as a peer wrote it certainly holds no sensitive key (nor, so, any value to
   * mask): no field name occurs in it in any case, and no escape could spell one. Such text may be
   * journaled as it is; it serializes, once parsed, to text that redaction leaves unchanged.
   */
  rawSafe(text: string): boolean {
    return this.rawMayHold !== undefined && !this.rawMayHold.test(text);
  }

  /**
   * rawSafe of the line b[start, end) as UTF-8 bytes, without decoding an ASCII line: its length in
   * UTF-16 code units (the length of its text) when raw-safe, else -1.
   */
  rawSafeBytes(b: Buffer, start: number, end: number): number {
    if (this.rawScan === undefined) return -1;
    const r = this.rawScan.scan(b, start, end);
    if (r === RAW_SAFE) return end - start;
    if (r !== RAW_UNDECIDED) return -1;
    const text = b.toString('utf8', start, end);
    return this.rawSafe(text) ? text.length : -1;
  }

  /**
   * `text` with the secrets it names itself masked, under no JSON key: the value of an assignment
   * whose name is sensitive (as a key would be: `?token=`, `&access_token=`, `;X-Api-Key=`,
   * `PGPASSWORD=`, `export API_TOKEN="..."`, `password = ...` in a .env, INI or TOML file,
   * `Settings(password='...')`: a resource URI, a link in a result, a command, a file read, an
   * error message; redact-text.ts maskAssignments), of a JSON member written inside the string (a
   * tool answering `{"password": "..."}` as text, the usual way of MCP tools; also with the name in
   * single quotes, a Python dict's repr, and with `=>`; a value that is an object or an array whole),
   * and of a `Name: value` line (a
   * header dump `Authorization: Bearer ...`, YAML), to the end of its line. Also a member of JSON
   * encoded twice or more (`{\"password\":\"...\"}`) and the secret of a URL's userinfo
   * (redact-text.ts). Names are decoded before they are matched (`api%5Fkey`, `pass\u0077ord`).
   */
  redactQuery(text: string): string {
    if (this.mayHold !== undefined && !this.mayHold.test(text)) return text;
    let out = maskUserinfo(text);
    out = maskEscapedMembers(out, this.sensitiveName);
    out = maskAssignments(out, this.sensitiveName);
    if (out.includes(':') || out.includes('=>')) {
      if (out.includes('"')) {
        out = maskJsonMembers(out, this.sensitiveName);
      }
      if (out.includes("'")) {
        out = out.replace(QUOTED_MEMBER, (m: string, name: string, colon: string) => (this.isSensitiveKey(name) ? `'${name}'${colon}'${REDACTED}'` : m));
      }
    }
    if (out.includes(':')) {
      out = maskNamedLines(out, this.sensitiveName);
    }
    return out;
  }

  private readonly sensitiveName = (name: string): boolean => this.isSensitiveKey(name);

  /** True when a value under this key is masked by the configured field names (decoded first: decodeName). */
  isSensitiveKey(key: string): boolean {
    let hit = this.keyCache.get(key);
    if (hit === undefined) {
      hit = this.matchKey(key);
      if (this.keyCache.size >= KEY_CACHE_LIMIT) this.keyCache.clear();
      this.keyCache.set(key, hit);
    }
    return hit;
  }

  /**
   * Whether `value` is a name/value pair naming a secret: `{"name": "DB_PASSWORD", "value": ...}`
   * (a container's environment variable, an HTTP header in a list, a completion's argument) or the
   * same with `key`. The secret is then under the key `value`, which names nothing.
   */
  private isNamedSecret(value: object): boolean {
    const v = value as Record<string, unknown>;
    if (!Object.hasOwn(v, 'value')) return false;
    const name = Object.hasOwn(v, 'name') ? v.name : Object.hasOwn(v, 'key') ? v.key : undefined;
    return typeof name === 'string' && this.isSensitiveKey(name);
  }

  /** `value` with the value of a name/value pair naming a secret masked (a copy), else `value`. */
  private maskNamedValue(value: Json): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !this.isNamedSecret(value)) return value;
    return { ...(value as Record<string, Json>), value: REDACTED };
  }

  private matchKey(written: string): boolean {
    const lower = decodeName(written).toLowerCase().replaceAll('-', '_');
    // The field is the name or its end: access_token, x-api-key, clientSecret, and a name written in
    // one case that no separator splits (PGPASSWORD, the libpq variable; ngrok's authtoken).
    for (const f of this.fields) if (lower.endsWith(f)) return true;
    return false;
  }

  /** JSON text of `value` with every rule applied; undefined stays undefined. */
  serialize(value: Json, rules?: readonly RedactRule[]): string | undefined {
    if (value === undefined) return undefined;
    if (!rules || rules.length === 0) {
      // Most payloads hold no sensitive key: a key scan is cheaper than a replacer on every value.
      const text = JSON.stringify(value);
      return text === undefined || (this.mayHold !== undefined && !this.mayHold.test(text)) ? text : JSON.stringify(value, this.queryReplacer);
    }
    let input: Json = value;
    const names = new Map<string, RedactRule[]>();
    const patterns: Array<{ re: RE2JS; replacement: string }> = [];
    for (const rule of rules) {
      if (rule.field && rule.field.includes('.')) {
        input = applyPathRule(input === value ? cloneJson(value) : input, rule.field.split('.'), (v) => this.applyRuleToValue(v, rule));
      } else if (rule.field) {
        const name = rule.field.toLowerCase();
        const list = names.get(name) ?? [];
        list.push(rule);
        names.set(name, list);
      } else if (rule.pattern) {
        patterns.push({ re: this.compile(rule.pattern), replacement: rule.replacement ?? REDACTED });
      }
    }
    return JSON.stringify(input, (key, v) => {
      v = this.maskNamedValue(v);
      if (key !== '') {
        if (this.isSensitiveKey(key)) return REDACTED;
        const named = names.size > 0 ? names.get(key.toLowerCase()) : undefined;
        if (named) for (const rule of named) v = this.applyRuleToValue(v, rule);
      }
      if (typeof v === 'string') v = this.redactQuery(v);
      if (typeof v === 'string' && patterns.length > 0) {
        for (const p of patterns) v = replacePattern(v as string, p.re, p.replacement);
      }
      return v;
    });
  }

  /**
   * Like serialize(), for the call path: one JSON.stringify (or `json`, that text already made by
   * the caller), and the key scan only when the text names a sensitive field somewhere.
   */
  serializeFast(value: Json, rules: readonly RedactRule[] | undefined, json: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (rules !== undefined && rules.length > 0) return this.serialize(value, rules);
    const text = json ?? JSON.stringify(value);
    if (text === undefined || (this.mayHold !== undefined && !this.mayHold.test(text))) return text;
    // A field name somewhere: a key to mask, or a secret a string names (a query parameter, JSON text).
    return JSON.stringify(value, this.queryReplacer);
  }

  /** Applies the pattern rules of the policy to free text (error messages). */
  redactText(text: string, rules?: readonly RedactRule[]): string {
    if (!rules) return text;
    let out = text;
    for (const rule of rules) {
      if (rule.pattern && !rule.field) out = replacePattern(out, this.compile(rule.pattern), rule.replacement ?? REDACTED);
    }
    return out;
  }

  private applyRuleToValue(value: Json, rule: RedactRule): Json {
    const replacement = rule.replacement ?? REDACTED;
    if (!rule.pattern) return replacement;
    const re = this.compile(rule.pattern);
    return mapStrings(value, (s) => replacePattern(s, re, replacement));
  }

  private compile(pattern: string): RE2JS {
    let re = this.patternCache.get(pattern);
    if (!re) {
      re = RE2JS.compile(pattern);
      this.patternCache.set(pattern, re);
    }
    return re;
  }
}

/**
 * A JSON member written in a string with the name in single quotes (redact-text.ts maskJsonMembers
 * for double quotes): a Python dict's repr (`{'password': '...'}`, as in a
 * pydantic validation error quoting the input), a JavaScript or Ruby literal.
 */
const QUOTED_MEMBER = /'((?:[^'\\\n]|\\.){1,128})'(\s*(?::|=>)\s*)(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|[-+\w.]+)/g;

function replacePattern(text: string, re: RE2JS, replacement: string): string {
  const m = re.matcher(text);
  return m.find() ? re.matcher(text).replaceAll(replacement) : text;
}

function cloneJson(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function mapStrings(value: Json, fn: (s: string) => string): Json {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, fn);
    return out;
  }
  return value;
}

/** Replaces the value at a dotted path (array indexes as numbers) in an already-cloned document. */
function applyPathRule(doc: Json, segments: string[], fn: (v: Json) => Json): Json {
  if (segments.length === 0) return fn(doc);
  if (doc === null || typeof doc !== 'object') return doc;
  const container = doc as Record<string, Json>;
  const [head, ...rest] = segments as [string, ...string[]];
  const key = Array.isArray(doc) ? head : Object.keys(container).find((k) => k.toLowerCase() === head.toLowerCase());
  if (key === undefined || !(key in container)) return doc;
  container[key] = applyPathRule(container[key], rest, fn);
  return doc;
}
