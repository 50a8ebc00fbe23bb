/**
 * The raw path's one-pass scan of an answer (src/proxy/raw-audit.ts rawAnswerChars, on
 * distinct-keys.ts hasDistinctKeysRawSafe): the proof that a line reads alike to every parser and
 * the search for the redacted field names (Recorder.rawNames), made in the scan of the line's
 * strings, give what the two separate scans give (hasDistinctKeys, then Redactor.rawSafeBytes) on
 * 40,000 generated answer lines per field set: names
 * in any case, with `-` for `_`, cut and glued, in keys and values, behind
 * escapes (\u, \/, and \b \f \n \r \t whose letter may be an anchor), non-ASCII text, duplicate
 * names, nesting, and broken lines. A field set with a name anchored at a byte JSON holds outside
 * strings gets no rawNames (both scans then run as before).
 */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../src/audit/redact.js';
import { hasDistinctKeys } from '../src/proxy/distinct-keys.js';
import { rawAnswerChars } from '../src/proxy/raw-audit.js';
import type { Recorder } from '../src/types.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FIELD_SETS: string[][] = [
  ['password', 'token', 'api_key', 'apikey', 'authorization', 'secret'],
  ['bearer', 'jwt', 'x_y', 'k', 'qq_q', 'zz'],
  ['cookie', 'private_key', 'credential', 'x-ray'],
];

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function makeRecorder(red: Redactor): Recorder {
  return {
    record: () => undefined,
    close: async () => undefined,
    rawNames: red.rawNames,
    rawSafeBytes: (b: Buffer, s: number, e: number) => red.rawSafeBytes(b, s, e),
    recordRawBytes: () => undefined,
  } as unknown as Recorder;
}

/** A random string body (JSON-escaped already) built from the pieces a field name can be spelled with. */
function piece(r: () => number, fields: string[]): string {
  const f = fields[Math.floor(r() * fields.length)]!;
  const pick = Math.floor(r() * 14);
  const cased = [...f].map((ch) => (r() < 0.3 ? ch.toUpperCase() : ch)).join('');
  switch (pick) {
    case 0:
      return cased;
    case 1:
      return cased.replaceAll('_', '-');
    case 2:
      return f.slice(0, Math.max(1, Math.floor(r() * f.length)));
    case 3:
      return f.slice(Math.floor(r() * f.length));
    case 4:
      return `\\u00${f.charCodeAt(0).toString(16)}${f.slice(1)}`;
    case 5:
      return `a\\/${f}`;
    case 6:
      return `\\${'bfnrt'[Math.floor(r() * 5)]}${f.slice(1)}`;
    case 7:
      return `caf\u00e9 ${f.slice(1)}`;
    case 8:
      return 'hello from mcp-warden bench';
    case 9:
      return `mcp ${cased.slice(0, 2)}`;
    case 10:
      return `\\"${cased}\\"`;
    case 11:
      return 'K\u212aelvin';
    default:
      return `x${Math.floor(r() * 1000)}`;
  }
}

function value(r: () => number, fields: string[], depth: number): string {
  const k = r();
  if (depth < 3 && k < 0.25) return object(r, fields, depth + 1);
  if (depth < 3 && k < 0.35) return `[${value(r, fields, depth + 1)},${value(r, fields, depth + 1)}]`;
  if (k < 0.45) return String(Math.floor(r() * 1e6) - 500);
  if (k < 0.5) return ['true', 'false', 'null', '1.5e3'][Math.floor(r() * 4)]!;
  return `"${piece(r, fields)}"`;
}

function object(r: () => number, fields: string[], depth: number): string {
  const n = Math.floor(r() * 4);
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(r() < 0.1 && names.length > 0 ? names[0]! : r() < 0.5 ? piece(r, fields) : `m${i}`);
  return `{${names.map((k) => `"${k}":${value(r, fields, depth)}`).join(',')}}`;
}

function breakLine(r: () => number, line: string): string {
  const k = r();
  if (k < 0.04) return line.slice(0, Math.floor(r() * line.length));
  if (k < 0.06) return `${line} x`;
  return line;
}

describe('raw path: one pass gives what the two scans give', () => {
  for (const [n, fields] of FIELD_SETS.entries()) {
    it(`field set ${n}`, () => {
      const red = new Redactor(fields);
      expect(red.rawNames).toBeDefined();
      const rec = makeRecorder(red);
      const r = rng(777 + n);
      let raw = 0;
      let found = 0;
      for (let i = 0; i < 40_000; i++) {
        // An answer line.
        const answer = breakLine(r, `{"jsonrpc":"2.0","id":${i},"result":${object(r, fields, 1)}}`);
        const ab = Buffer.from(`  ${answer}\n`);
        const s = 2;
        const e = ab.length - 1;
        const want = !hasDistinctKeys(ab, s, e) && isJson(answer) ? -1 : red.rawSafeBytes(ab, s, e);
        expect(rawAnswerChars(rec, ab, s, e), answer).toBe(want);
        if (want >= 0) raw++;
        else found++;
      }
      // The generator reaches both outcomes often.
      expect(raw).toBeGreaterThan(3000);
      expect(found).toBeGreaterThan(3000);
    });
  }

  it('a name anchored at a byte JSON holds outside strings gives no rawNames: the two scans run', () => {
    for (const fields of [['true'], ['a b'], ['e1'], ['x:y'], ['session'], ['nun']]) {
      const red = new Redactor(fields);
      expect(red.rawNames, fields[0]).toBeUndefined();
      const rec = makeRecorder(red);
      const line = Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"ok":true,"n":1e1}}`);
      expect(rawAnswerChars(rec, line, 0, line.length)).toBe(red.rawSafeBytes(line, 0, line.length));
    }
  });
});
