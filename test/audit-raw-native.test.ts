/**
 * The raw path's native checks (native/raw_check.c: rawRequest, rawAnswer) against the JavaScript
 * scans they stand in for (distinct-keys.ts distinctKeysToolCallRawSafe, hasDistinctKeysRawSafe;
 * raw-entry.ts putRawJournalLine), differentially, with fast-check: on generated request and answer
 * lines (nested objects and arrays, member names written twice, also as `a` and `\u0061`, escapes
 * that could spell a redacted name, the names in any case, with `-` for `_`, as names and as values,
 * non-ASCII text, lone surrogate escapes, numbers valid and not, broken lines, nesting around the
 * 64-level limit, objects around the 512-name limit) with bytes no valid UTF-8 holds put anywhere
 * (stray continuations, lead bytes cut short, overlong forms, surrogates, past U+10FFFF), the two
 * give the same verdict, and for an answer recorded, the very journal line, byte for byte, at the
 * offset given, and nothing written past it nor for an answer declined.
 */
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openAuditStore } from '../src/audit/index.js';
import { Redactor } from '../src/audit/redact.js';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { putRawJournalLine, rawHeadBytes, rawHeadJson } from '../src/audit/raw-entry.js';
import { compactToolCallIdAt, idSpan } from '../src/proxy/compact-bytes.js';
import { distinctKeysToolCallRawSafe, hasDistinctKeysRawSafe } from '../src/proxy/distinct-keys.js';
import { caseVariantProblem } from '../src/proxy/member-case.js';
import { RAW_VERDICT, type RawRecordHead } from '../src/types.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';
import { auditConfig, tempDir } from './helpers/audit.js';
import { CASE_DISTINCT_LINES, CASE_VARIANT_LINES, caseVariantLine } from './helpers/case-variant-lines.js';

const addon = journalAddon().addon;
const skip = noMappedJournal(addon) ?? (addon?.rawAnswer === undefined ? 'the native journal addon has no rawAnswer() (rebuild it: npm run build:native)' : undefined);

const FIELD_SETS: string[][] = [
  ['password', 'token', 'api_key', 'apikey', 'authorization', 'secret'],
  ['bearer', 'jwt', 'x_y', 'k', 'qq_q', 'zz'],
  ['cookie', 'private_key', 'credential', 'x-ray'],
  ['jsonrpc', 'method', 'token'],
  ['tools/call', 'qz'],
];

/** Bytes no valid UTF-8 holds where they are put, and valid non-ASCII ones. */
const BAD_UTF8 = [[0x80], [0xbf], [0xc3], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xf0, 0x9f, 0x98], [0xfe], [0xff]];
const GOOD_UTF8 = [[0xc2, 0x80], [0xdf, 0xbf], [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80], [0xef, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf]];

/** String bodies (JSON-escaped already) from the pieces names are spelled with. */
function stringPieces(fields: string[]): string[] {
  const out = ['', 'a', '\\u0061', 'b', 'id', 'method', 'params', 'jsonrpc', 'arguments', 'x', ' ', '\\"', '\\\\', '\\n', '\\/', '\\ud800', '\\udc00', '\\uD83D\\uDE00', 'caf\u00e9', 'K\u212aelvin', '\u65e5\u672c', '\u{1F600}', '\\u00', '\\x', '\t'];
  for (const f of fields) {
    out.push(f, f.toUpperCase(), f.replaceAll('_', '-'), f.slice(0, Math.ceil(f.length / 2)), f.slice(Math.ceil(f.length / 2)), `\\u00${f.charCodeAt(0).toString(16)}${f.slice(1)}`);
    out.push(`\\${'bfnrt'[f.length % 5]}${f.slice(1)}`, `${f[0]!.toUpperCase()}${f.slice(1)}`);
  }
  return out;
}

const NUMBERS = ['0', '-1', '7', '1.5e3', '-0.0e-7', '123456789012345678901234567890', '1e400', '9007199254740993', '01', '1.', '.5', '-', '1e+', '2E-2', '-0'];
const SEPARATORS = [',', ', ', ' ,\n', ',\t'];

function lineArbitrary(fields: string[]): fc.Arbitrary<string> {
  const str = fc.array(fc.constantFrom(...stringPieces(fields)), { maxLength: 3 }).map((a) => a.join(''));
  const sep = fc.constantFrom(...SEPARATORS);
  const { value } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      str.map((s) => `"${s}"`),
      fc.constantFrom(...NUMBERS),
      fc.constantFrom('true', 'false', 'null', 'tru', 'nul', 'x'),
      tie('object'),
      tie('array'),
    ),
    object: fc
      .tuple(fc.array(fc.tuple(str, tie('value')), { maxLength: 5 }), sep, fc.constantFrom(':', ' : '))
      .map(([members, s, colon]) => `{${members.map(([k, v]) => `"${k}"${colon}${v}`).join(s)}}`),
    array: fc.tuple(fc.array(tie('value'), { maxLength: 4 }), sep).map(([items, s]) => `[${items.join(s)}]`),
  }));
  return value;
}

/** A line's bytes with a mutation: bytes inserted, a cut, junk after it, a byte changed, or none (most often). */
function mutated(line: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(line, fc.nat(9), fc.nat(), fc.constantFrom(...BAD_UTF8, ...GOOD_UTF8), fc.nat(255))
    .map(([text, kind, where, bytes, byte]) => {
      const b = Buffer.from(text, 'utf8');
      const at = b.length === 0 ? 0 : where % (b.length + 1);
      switch (kind) {
        case 0:
          return Buffer.concat([b.subarray(0, at), Buffer.from(bytes), b.subarray(at)]);
        case 1: {
          // Inside a string, where the line stays JSON to a decoder.
          const q = b.indexOf(0x22, at);
          return q < 0 ? b : Buffer.concat([b.subarray(0, q + 1), Buffer.from(bytes), b.subarray(q + 1)]);
        }
        case 2:
          return b.subarray(0, at);
        case 3:
          return Buffer.concat([b, Buffer.from(' x')]);
        case 4: {
          const c = Buffer.from(b);
          if (c.length > 0) c[at % c.length] = byte;
          return c;
        }
        default:
          return b;
      }
    });
}

/** Nesting around the depth limit (64), and objects around the name limit (512 open at once). */
function limitLines(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(fc.integer({ min: 58, max: 70 }), fc.boolean()).map(([depth, arrays]) => {
      let s = '1';
      for (let d = 0; d < depth; d++) s = arrays && d % 2 === 0 ? `[${s}]` : `{"a":${s}}`;
      return `{"jsonrpc":"2.0","id":1,"result":${s}}`;
    }),
    fc.tuple(fc.integer({ min: 500, max: 520 }), fc.boolean(), fc.integer({ min: 0, max: 600 })).map(([count, nested, dup]) => {
      const names = Array.from({ length: count }, (_, k) => `"n${k === dup ? 0 : k}":${k}`);
      const inner = nested ? `{"x":1,"y":{${names.slice(0, count >> 1).join(',')}},"z":{${names.slice(count >> 1).join(',')}}}` : `{${names.join(',')}}`;
      return `{"jsonrpc":"2.0","id":1,"result":${inner}}`;
    }),
  );
}

/** Whether b[from, to) (clipped to b) still holds the fill byte 0xaa. */
function untouched(b: Buffer, from: number, to: number): boolean {
  for (let i = Math.max(0, from); i < Math.min(b.length, to); i++) if (b[i] !== 0xaa) return false;
  return true;
}

const HEAD: RawRecordHead = {
  clientId: 'stdio',
  clientName: 'n\u00e9',
  authMethod: 'anonymous',
  sessionId: 's1',
  transport: 'stdio',
  backend: 'b',
  decision: 'allow',
  reasons: ['allow-all'],
  policyVersion: 'v1',
  decisionMicros: 3,
};
const HEAD_BYTES = rawHeadBytes(rawHeadJson(HEAD));
const REQUEST = Buffer.from('xx{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}yy');

describe.runIf(runsUnless('audit-raw-native', skip))('raw path: the native checks give the JavaScript scans\' verdicts and journal bytes', () => {
  for (const [n, fields] of FIELD_SETS.entries()) {
    const red = new Redactor(fields);
    const names = red.rawNames!;
    const table = red.rawNativeTable!;

    it(`answers, field set ${n} (${fields.join(' ')})`, () => {
      expect(table).toBeDefined();
      const segment = Buffer.alloc(1 << 16, 0xaa);
      const expected = Buffer.alloc(1 << 16);
      const tally = { recorded: 0, found: 0, declined: 0, undecided: 0 };
      fc.assert(
        fc.property(
          fc.oneof({ weight: 6, arbitrary: mutated(lineArbitrary(fields).map((v) => `{"jsonrpc":"2.0","id":1,"result":${v}}`)) }, { weight: 1, arbitrary: mutated(lineArbitrary(fields)) }, { weight: 1, arbitrary: mutated(limitLines()) }),
          fc.nat(40),
          fc.nat(3),
          fc.nat(2000),
          fc.constantFrom(1, 10, 9, 4294967296, 1763900000123, Number.MAX_SAFE_INTEGER),
          (line, pad, tail, at, big) => {
            const b = Buffer.concat([Buffer.alloc(pad, 0x20), line, Buffer.alloc(tail, 0x7d)]);
            const start = pad;
            const end = pad + line.length;
            const js = hasDistinctKeysRawSafe(b, start, end, names);
            const native = addon!.rawAnswer!(table, b, start, end, segment, at, REQUEST, 2, REQUEST.length - 2, HEAD_BYTES, big - 1, big, 7);
            if (js < 0) {
              expect(native, line.toString('latin1')).toBe(js);
              expect(untouched(segment, at, at + 256)).toBe(true);
              tally[js === RAW_VERDICT.found ? 'found' : js === RAW_VERDICT.declined ? 'declined' : 'undecided']++;
              return;
            }
            expect(js).toBe(end - start);
            const want = putRawJournalLine(expected, at, big - 1, big, 7, HEAD_BYTES, REQUEST, 2, REQUEST.length - 2, b, start, end);
            expect(native, line.toString('latin1')).toBe(want);
            expect(segment.subarray(at, want).equals(expected.subarray(at, want))).toBe(true);
            expect(untouched(segment, at - 16, at) && untouched(segment, want, want + 64)).toBe(true);
            segment.fill(0xaa, at, want);
            tally.recorded++;
          },
        ),
        { numRuns: 6000, seed: 7000 + n },
      );
      // The generator reaches every verdict.
      // (Every answer spells jsonrpc: none is raw with that field.)
      if (!fields.includes('jsonrpc')) {
        expect(tally.recorded).toBeGreaterThan(200);
        expect(tally.undecided).toBeGreaterThan(50);
      }
      expect(tally.found).toBeGreaterThan(200);
      expect(tally.declined).toBeGreaterThan(200);
    });

    it(`tools/call requests, field set ${n} (${fields.join(' ')})`, () => {
      const tally = { raw: 0, other: 0, compact: 0 };
      fc.assert(
        fc.property(
          fc.oneof(
            { weight: 4, arbitrary: mutated(fc.tuple(lineArbitrary(fields), fc.nat(99), fc.boolean()).map(([p, id, head]) => (head ? `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"t","arguments":${p}}}` : `{"method":"tools/call","params":{"arguments":${p},"name":"t"},"jsonrpc":"2.0","id":${id}}`))) },
            { weight: 2, arbitrary: mutated(fc.tuple(lineArbitrary(fields), fc.nat(99)).map(([p, id]) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":${p}}`)) },
            { weight: 1, arbitrary: mutated(limitLines().map((l) => l.replace('"result":', '"method":"tools/call","params":'))) },
          ),
          fc.nat(5),
          fc.nat(),
          fc.nat(15),
          (line, pad, fromAt, anySeen) => {
            const b = Buffer.concat([Buffer.alloc(pad, 0x0a), line, Buffer.from('\n')]);
            const start = pad;
            const end = pad + line.length;
            let from: number;
            let seen: number;
            if (compactToolCallIdAt(b, start, end) >= 0) {
              from = idSpan.params;
              seen = idSpan.before;
              tally.compact++;
            } else {
              // Not a compact head: the two must agree on any head all the same.
              from = start + (fromAt % (line.length + 1));
              seen = anySeen;
            }
            const js = distinctKeysToolCallRawSafe(b, start, end, from, seen, names);
            expect(addon!.rawRequest!(table, b, start, end, from, seen), `${line.toString('latin1')} from ${from - start} seen ${seen}`).toBe(js);
            if (js >= 0) tally.raw++;
            else tally.other++;
          },
        ),
        { numRuns: 6000, seed: 9000 + n },
      );
      expect(tally.compact).toBeGreaterThan(1000);
      expect(tally.other).toBeGreaterThan(500);
      // Where no field is spelled by the compact head itself, many are raw.
      if (!fields.some((f) => '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{'.includes(f))) expect(tally.raw).toBeGreaterThan(200);
    });
  }

  // Names that differ only in case (member-case.ts): the request scans are strict, in C as in JavaScript.
  it('tools/call requests with names folding alike at every depth (ASCII case, U+017F, U+212A, U+0131, U+0130, é/É): the same verdicts, declined wherever the parsed check refuses', () => {
    const names = new Redactor(FIELD_SETS[0]!).rawNames!;
    const table = new Redactor(FIELD_SETS[0]!).rawNativeTable!;
    const verdicts = (line: Buffer): [number, number] | undefined => {
      const b = Buffer.concat([Buffer.from('\n'), line, Buffer.from('\n')]);
      const end = 1 + line.length;
      if (compactToolCallIdAt(b, 1, end) < 0) return undefined;
      return [distinctKeysToolCallRawSafe(b, 1, end, idSpan.params, idSpan.before, names), addon!.rawRequest!(table, b, 1, end, idSpan.params, idSpan.before)];
    };
    for (const line of CASE_VARIANT_LINES) expect(verdicts(Buffer.from(line)), line).toEqual([RAW_VERDICT.declined, RAW_VERDICT.declined]);
    for (const line of CASE_DISTINCT_LINES) expect(verdicts(Buffer.from(line)), line).toEqual([RAW_VERDICT.undecided, RAW_VERDICT.undecided]);
    const tally = { refused: 0, raw: 0, other: 0 };
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: caseVariantLine().map((l) => Buffer.from(l)) }, { weight: 1, arbitrary: mutated(caseVariantLine()) }), (line) => {
        const v = verdicts(line);
        if (v === undefined) return;
        const [js, native] = v;
        expect(native, line.toString('latin1')).toBe(js);
        let parsed: unknown;
        try {
          parsed = JSON.parse(line.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        if (isUtf8(line) && typeof parsed === 'object' && parsed !== null && caseVariantProblem(parsed as Record<string, unknown>) !== undefined) {
          expect(js, line.toString('latin1')).toBe(RAW_VERDICT.declined);
          tally.refused++;
        } else if (js >= 0) tally.raw++;
        else tally.other++;
      }),
      { numRuns: 20_000, seed: 1616 },
    );
    expect(tally.refused).toBeGreaterThan(5000);
    expect(tally.raw).toBeGreaterThan(1000);
  });

  it('an answer that is proven and raw-safe but does not fit, or a number out of range, is left to the JavaScript path (nothing written)', () => {
    const red = new Redactor(['password']);
    const table = red.rawNativeTable!;
    const line = Buffer.from('{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"hi"}]}}');
    const segment = Buffer.alloc(400, 0xaa);
    const room = segment.length - 150 - HEAD_BYTES.length - (REQUEST.length - 4) - line.length;
    expect(addon!.rawAnswer!(table, line, 0, line.length, segment, room + 1, REQUEST, 2, REQUEST.length - 2, HEAD_BYTES, 1, 2, 3)).toBe(RAW_VERDICT.notJournaled);
    for (const [seq, time, micros] of [[-1, 2, 3], [1, 2.5, 3], [1, 2, Number.MAX_SAFE_INTEGER + 2], [1, NaN, 3]] as const) {
      expect(addon!.rawAnswer!(table, line, 0, line.length, segment, 0, REQUEST, 2, REQUEST.length - 2, HEAD_BYTES, seq, time, micros)).toBe(RAW_VERDICT.notJournaled);
    }
    expect(segment.every((x) => x === 0xaa)).toBe(true);
    expect(addon!.rawAnswer!(table, line, 0, line.length, segment, room, REQUEST, 2, REQUEST.length - 2, HEAD_BYTES, 1, 2, 3)).toBeGreaterThan(room);
  });

  it('bad arguments get a TypeError, not a read or write outside the arrays', () => {
    const table = new Redactor(['password']).rawNativeTable!;
    const line = Buffer.from('{"a":1}');
    const segment = Buffer.alloc(400);
    expect(() => addon!.rawRequest!(table, line, 0, line.length + 1, 0, 0)).toThrow(TypeError);
    expect(() => addon!.rawRequest!(table, line, 3, 2, 3, 0)).toThrow(TypeError);
    expect(() => addon!.rawRequest!(table, line, 2, 5, 1, 0)).toThrow(TypeError);
    expect(() => addon!.rawRequest!(new Uint8Array(10), line, 0, 1, 0, 0)).toThrow(TypeError);
    expect(() => addon!.rawRequest!(table, 'x' as unknown as Buffer, 0, 1, 0, 0)).toThrow(TypeError);
    expect(() => addon!.rawAnswer!(table, line, 0, line.length, segment, 401, REQUEST, 0, 1, HEAD_BYTES, 1, 1, 1)).toThrow(TypeError);
    expect(() => addon!.rawAnswer!(table, line, 0, line.length, segment, 0, REQUEST, 0, REQUEST.length + 1, HEAD_BYTES, 1, 1, 1)).toThrow(TypeError);
    expect(() => addon!.rawAnswer!(table, line, 0, line.length, new Float64Array(4) as unknown as Uint8Array, 0, REQUEST, 0, 1, HEAD_BYTES, 1, 1, 1)).toThrow(TypeError);
  });
});

function rows(path: string): Array<Record<string, unknown>> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

describe.runIf(runsUnless('audit-raw-native', skip))('raw path: the audit store checks and journals raw answers natively', () => {
  it('the store the CLI opens has the one-pass scans; its rows equal, column for column and hash for hash, those of recordRawBytes', async () => {
    const tmp = tempDir();
    const nativePath = join(tmp.dir, 'native.db');
    const jsPath = join(tmp.dir, 'js.db');
    const native = openAuditStore(auditConfig(nativePath, { maxPayloadBytes: 200 }));
    const js = openAuditStore(auditConfig(jsPath, { maxPayloadBytes: 200 }));
    const head: RawRecordHead = { clientId: 'alice', clientName: 'Alice', authMethod: 'api_key', sessionId: 's-1', transport: 'stdio', backend: 'inv', decision: 'allow', reasons: [], policyVersion: 'allow-all-v1', decisionMicros: 3 };
    const answers = [
      '{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"echo:hi"}]}}',
      '{"result":{"content":[{"type":"text","text":"no"}],"isError":true},"jsonrpc":"2.0","id":8}',
      '{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"Unknown tool: nope"}}',
      `{"jsonrpc":"2.0","id":11,"result":{"content":[{"type":"text","text":"${'x'.repeat(300)}"}]}}`,
      '{"jsonrpc":"2.0","id":12,"result":{"a":{"b":1},"c":[1,{"b":2}]}}',
    ];
    const declined: Array<[string, number]> = [
      ['{"jsonrpc":"2.0","id":13,"result":{"a":1,"a":2}}', RAW_VERDICT.declined],
      ['{"jsonrpc":"2.0","id":14,"result":{"a":1,"\\u0061":2}}', RAW_VERDICT.declined],
      ['{"jsonrpc":"2.0","id":15,"result":{"Password":"hunter2"}}', RAW_VERDICT.found],
      ['{"jsonrpc":"2.0","id":16,"result":{"note":"gr\\u00fc\\u00dfe"}}', RAW_VERDICT.found],
      ['{"jsonrpc":"2.0","id":17,"result":{"note":"grüße"}}', RAW_VERDICT.undecided],
    ];
    try {
      expect(native.rawNames).toBeDefined();
      expect(native.rawToolCallScan).toBeTypeOf('function');
      expect(native.recordRawAnswer).toBeTypeOf('function');
      const request = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}';
      const req = Buffer.from(`junk${request}\n`);
      expect(compactToolCallIdAt(req, 4, req.length - 1)).toBe(1);
      expect(native.rawToolCallScan!(req, 4, req.length - 1, idSpan.params, idSpan.before)).toBe(request.length);
      let time = 1_790_000_000_000;
      for (const answer of answers) {
        const ans = Buffer.from(`{}\n${answer}\nmore`);
        time += 17;
        expect(native.recordRawAnswer!(head, time, 1234, req, 4, req.length - 1, ans, 3, ans.length - 5)).toBe(RAW_VERDICT.recorded);
        await js.recordRawBytes!(head, time, 1234, req, 4, req.length - 1, request.length, ans, 3, ans.length - 5, answer.length);
      }
      for (const [answer, code] of declined) {
        const ans = Buffer.from(answer);
        expect(native.recordRawAnswer!(head, time, 1234, req, 4, req.length - 1, ans, 0, ans.length), answer).toBe(code);
      }
      for (const store of [native, js]) await store.flush();
      expect(native.verify()).toMatchObject({ ok: true });
    } finally {
      await native.close();
      await js.close();
    }
    const got = rows(nativePath);
    expect(got).toHaveLength(answers.length);
    expect(got).toEqual(rows(jsPath));
    expect(got.map((r) => r.outcome)).toEqual(['ok', 'tool_error', 'rpc_error', 'ok', 'ok']);
    tmp.cleanup();
  });
});
