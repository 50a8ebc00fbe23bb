/**
 * The raw path's one-pass scan of an answer (src/proxy/raw-audit.ts rawAnswerChars, on
 * distinct-keys.ts hasDistinctKeysRawSafe): the proof that a line reads alike to every parser and
 * the search for the redacted field names (Recorder.rawNames), made in the scan of the line's
 * strings, give what the two separate scans give (hasDistinctKeys, then Redactor.rawSafeBytes) on
 * 40,000 generated answer lines per field set: names
 * in any case, with `-` for `_`, cut and glued, in keys and values, behind
 * escapes (\u, \/, and \b \f \n \r \t whose letter may be an anchor), non-ASCII text, duplicate
 * names, nesting, and broken lines. A field set with a name anchored at a byte JSON holds outside
 * strings gets no rawNames (both scans then run as before). A line that is not valid UTF-8 is never
 * raw (its check is made here: BackendConnection.takeLine no longer makes it first). The same for
 * a compactly written tools/call request (rawToolCallChars: distinctKeysToolCall, then
 * rawSafeBytes, in one pass), with names the compact head itself spells.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../src/audit/redact.js';
import { compactToolCallIdAt, idSpan } from '../src/proxy/compact-bytes.js';
import { distinctKeysToolCall, distinctKeysToolCallRawSafe, hasDistinctKeys, NAMES_DECLINED, NAMES_FOUND, NAMES_UNDECIDED } from '../src/proxy/distinct-keys.js';
import { caseVariantProblem } from '../src/proxy/member-case.js';
import { CASE_DISTINCT_LINES, CASE_VARIANT_LINES, caseVariantLine } from './helpers/case-variant-lines.js';
import { rawAnswerChars, rawToolCallChars } from '../src/proxy/raw-audit.js';
import type { Decision, Recorder } from '../src/types.js';

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
  };
}

/** A decision as the policy gives one (`extra`: redact rules). */
function decision(extra: Partial<Decision> = {}): Decision {
  return { allowed: true, reasons: [], mode: 'enforce', policyVersion: 'test', micros: 0, ...extra };
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

  it('a line that is not valid UTF-8 is never recorded raw, JSON or not (the caller does not check it before)', () => {
    // Bytes no valid UTF-8 holds where they are put: a stray continuation, a lead byte cut short,
    // an overlong form, a surrogate, a code point past U+10FFFF, 0xff.
    const BAD = [[0x80], [0xc3], [0xc0, 0x80], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x9f, 0x98], [0xff]];
    const r = rng(4242);
    let lines = 0;
    for (const fields of [...FIELD_SETS, ['session'], ['x:y']]) {
      const red = new Redactor(fields);
      const rec = makeRecorder(red);
      for (let i = 0; i < 2000; i++) {
        const good = breakLine(r, `{"jsonrpc":"2.0","id":${i},"result":${object(r, fields, 1)}}`);
        // Where the bad bytes go: inside a string (the line stays JSON in a decoder's eyes), or anywhere.
        const quote = good.indexOf('"', 20 + Math.floor(r() * Math.max(1, good.length - 20)));
        const at = r() < 0.7 && quote > 0 ? quote + 1 : Math.floor(r() * (good.length + 1));
        const bad = BAD[Math.floor(r() * BAD.length)]!;
        const line = Buffer.concat([Buffer.from(good.slice(0, at)), Buffer.from(bad), Buffer.from(good.slice(at))]);
        expect(rawAnswerChars(rec, line, 0, line.length), `${fields[0]}: ${line.toString('latin1')}`).toBe(-1);
        lines++;
      }
    }
    expect(lines).toBe(10_000);
  });

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

describe('raw path: a tools/call request checked in one pass gives what the two scans give', () => {
  // Names the compact head itself spells (and one that runs on from the head into params), a name
  // anchored at `/`, and sets without rawNames (the two scans then run).
  const REQUEST_FIELD_SETS: string[][] = [
    ...FIELD_SETS,
    ['jsonrpc', 'method', 'token'],
    ['id', 'password'],
    ['params', 'rpc', 'k'],
    ['tools/call', 'api_key'],
    ['/call","params":{"name'],
    ['2.0', 'secret'],
    ['session'],
  ];
  const allow = decision();

  for (const [n, fields] of REQUEST_FIELD_SETS.entries()) {
    it(`field set ${n} (${fields.join(' ')})`, () => {
      const red = new Redactor(fields);
      const rec = makeRecorder(red);
      const r = rng(9001 + n);
      let raw = 0;
      let notRaw = 0;
      for (let i = 0; i < 10_000; i++) {
        const args = object(r, fields, 2);
        const params = r() < 0.8 ? `{"name":"${piece(r, fields)}","arguments":${args}}` : object(r, fields, 1);
        const line = breakLine(r, r() < 0.6 ? `{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":${params}}` : `{"method":"tools/call","params":${params},"jsonrpc":"2.0","id":${i}}`);
        const b = Buffer.from(`\n${line}\n`);
        const s = 1;
        const e = b.length - 1;
        if (compactToolCallIdAt(b, s, e) < 0) continue;
        const from = idSpan.params;
        const seen = idSpan.before;
        // The two scans, as the router made them before (the strict scan: names differing only in case declined).
        const want = distinctKeysToolCall(b, s, e, from, seen, false, true) ? red.rawSafeBytes(b, s, e) : -1;
        expect(rawToolCallChars(rec, allow, b, s, e, from, seen), line).toBe(want);
        if (want >= 0) raw++;
        else notRaw++;
      }
      expect(raw + notRaw).toBeGreaterThan(8000);
      expect(notRaw).toBeGreaterThan(1000);
      // A name the head always spells: nothing raw; else both outcomes, often.
      const head = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{';
      if (fields.some((f) => head.includes(f))) expect(raw).toBe(0);
      else expect(raw).toBeGreaterThan(500);
    });
  }

  it('a redact obligation of the decision, or a recorder without the raw path, records nothing raw', () => {
    const red = new Redactor(['password']);
    const line = Buffer.from('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}');
    expect(compactToolCallIdAt(line, 0, line.length)).toBe(7);
    const from = idSpan.params;
    const seen = idSpan.before;
    expect(rawToolCallChars(makeRecorder(red), allow, line, 0, line.length, from, seen)).toBe(line.length);
    const redacting = decision({ redact: [{ field: 'text' }] });
    expect(rawToolCallChars(makeRecorder(red), redacting, line, 0, line.length, from, seen)).toBe(-1);
    const noRaw: Recorder = { ...makeRecorder(red), recordRawBytes: undefined };
    expect(rawToolCallChars(noRaw, allow, line, 0, line.length, from, seen)).toBe(-1);
  });
});

/**
 * Member names that differ only in case (member-case.ts: a Go backend reads `"Name"` as `name`):
 * every scan that lets a client's tools/call line go to its backend as bytes (the raw path's,
 * rawToolCallChars with and without rawNames; the judged path's and the unaudited allow-all path's,
 * distinctKeysToolCall strict) declines each line the parsed check refuses, so that it is parsed
 * and refused; the lines the parsed check lets through are still proven, most of them.
 */
describe('byte scans decline case-variant names wherever the parsed check refuses them', () => {
  const allow = decision();
  const red = new Redactor(['password', 'token']);
  const rec = makeRecorder(red);
  const noNames: Recorder = { ...makeRecorder(red), rawNames: undefined };

  /** Each scan's verdict on a compact line: [strict, raw-safe fused, raw path, raw path without names]. */
  function verdicts(line: string): [boolean, number, number, number] {
    const b = Buffer.from(`\n${line}\n`);
    const s = 1;
    const e = b.length - 1;
    expect(compactToolCallIdAt(b, s, e), line).toBeGreaterThanOrEqual(0);
    const from = idSpan.params;
    const seen = idSpan.before;
    return [distinctKeysToolCall(b, s, e, from, seen, false, true), distinctKeysToolCallRawSafe(b, s, e, from, seen, red.rawNames!), rawToolCallChars(rec, allow, b, s, e, from, seen), rawToolCallChars(noNames, allow, b, s, e, from, seen)];
  }

  it.each(CASE_VARIANT_LINES)('%s: refused parsed, declined by each scan', (line) => {
    expect(caseVariantProblem(JSON.parse(line) as Record<string, unknown>)).toBeDefined();
    expect(verdicts(line)).toEqual([false, NAMES_DECLINED, -1, -1]);
  });

  it.each(CASE_DISTINCT_LINES)('%s: names Go keeps apart, proven', (line) => {
    expect(caseVariantProblem(JSON.parse(line) as Record<string, unknown>)).toBeUndefined();
    const [strict, fused, raw, rawNoNames] = verdicts(line);
    expect(strict).toBe(true);
    // not ASCII: rawSafeBytes decides (it decodes the line); nothing redacted here
    expect(fused).toBe(NAMES_UNDECIDED);
    expect([raw, rawNoNames]).toEqual([Buffer.from(line).toString().length, Buffer.from(line).toString().length]);
  });

  it('on generated lines (names folding alike at every depth): declined wherever refused parsed; the rest proven', () => {
    const tally = { refused: 0, proven: 0, declinedOther: 0 };
    fc.assert(
      fc.property(caseVariantLine(), (line) => {
        const [strict, fused, raw, rawNoNames] = verdicts(line);
        // The four agree on what they prove.
        expect(fused >= 0 || fused === NAMES_UNDECIDED || fused === NAMES_FOUND, line).toBe(strict);
        expect(raw >= 0, line).toBe(rawNoNames >= 0);
        if (caseVariantProblem(JSON.parse(line) as Record<string, unknown>) !== undefined) {
          expect([strict, fused, raw, rawNoNames], line).toEqual([false, NAMES_DECLINED, -1, -1]);
          tally.refused++;
        } else if (strict) tally.proven++;
        else tally.declinedOther++;
      }),
      { numRuns: 20_000, seed: 1616 },
    );
    expect(tally.refused).toBeGreaterThan(5000);
    expect(tally.proven).toBeGreaterThan(2000);
  });
});
