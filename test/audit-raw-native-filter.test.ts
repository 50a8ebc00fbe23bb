/**
 * The native raw checks' next-byte filter (RawNameScan.nextByteFilter, native/raw_check.c
 * found_around): before the scan looks for the fields around an anchor byte, it asks whether the
 * byte after it can follow that anchor in any field. The filter may only say no where the search
 * would: a redacted name spelled any way the JavaScript scan finds it (any case, `-` for `_`, at a
 * string's end, at the line's end, as a member name or a value, anchored at its last byte) must
 * still be found, the answer not journaled (nothing written into the segment) and the request not
 * taken raw; and the bytes that follow an anchor in no field still leave a line raw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../src/audit/redact.js';
import { journalAddon } from '../src/audit/mapped-journal.js';
import { rawHeadBytes, rawHeadJson } from '../src/audit/raw-entry.js';
import { compactToolCallIdAt, idSpan } from '../src/proxy/compact-bytes.js';
import { distinctKeysToolCallRawSafe, hasDistinctKeysRawSafe, NAMES_FOUND } from '../src/proxy/distinct-keys.js';
import type { RawRecordHead } from '../src/types.js';
import { noMappedJournal, runsUnless } from './helpers/skip-reason.js';

const addon = journalAddon().addon;
const skip = noMappedJournal(addon) ?? (addon?.rawAnswer === undefined ? 'the native journal addon has no rawAnswer() (rebuild it: npm run build:native)' : undefined);

const FIELD_SETS: string[][] = [
  ['password', 'token', 'api_key', 'apikey', 'authorization', 'secret'],
  // Anchored at the last byte (no filter for it), before a `_` (`-` follows too), before punctuation and digits.
  ['q_z', 'zq_a', 'xz', 'vx/y', 'kx9', 'mkultra', 'w'],
  ['bearer', 'jwt', 'x_y', 'k', 'qq_q', 'zz'],
];

const HEAD_BYTES = rawHeadBytes(rawHeadJson({ clientId: 'c', clientName: 'n', authMethod: 'anonymous', sessionId: 's', transport: 'stdio', backend: 'b', decision: 'allow', reasons: [], policyVersion: 'v', decisionMicros: 1 } satisfies RawRecordHead));
const REQUEST = Buffer.from('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}');

/** Every spelling of `f` the JavaScript scan finds: lower, upper, each letter upper alone, `-` for `_`. */
function spellings(f: string): string[] {
  const out = new Set([f, f.toUpperCase(), f.replaceAll('_', '-'), f.toUpperCase().replaceAll('_', '-')]);
  for (let k = 0; k < f.length; k++) out.add(f.slice(0, k) + f[k]!.toUpperCase() + f.slice(k + 1));
  return [...out];
}

/** The printable ASCII bytes a JSON string holds unescaped. */
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, k) => String.fromCharCode(0x20 + k)).filter((c) => c !== '"' && c !== '\\');

describe.runIf(runsUnless('audit-raw-native-filter', skip))('raw path: the native next-byte filter never hides a redacted name', () => {
  for (const [n, fields] of FIELD_SETS.entries()) {
    const red = new Redactor(fields);
    const names = red.rawNames!;
    const table = red.rawNativeTable!;

    /** Native and JavaScript verdicts of an answer line; a found name leaves the segment untouched. */
    function answerVerdict(text: string): number {
      const line = Buffer.from(text);
      const segment = Buffer.alloc(4096, 0xaa);
      const r = addon!.rawAnswer!(table, line, 0, line.length, segment, 0, REQUEST, 0, REQUEST.length, HEAD_BYTES, 1, 2, 3);
      expect(r < 0 ? r : line.length, text).toBe(hasDistinctKeysRawSafe(line, 0, line.length, names));
      if (r < 0) expect(segment.every((x) => x === 0xaa)).toBe(true);
      return r;
    }

    /** Native and JavaScript verdicts of a compact tools/call line. */
    function requestVerdict(text: string): number {
      const line = Buffer.from(text);
      expect(compactToolCallIdAt(line, 0, line.length)).toBeGreaterThanOrEqual(0);
      const r = addon!.rawRequest!(table, line, 0, line.length, idSpan.params, idSpan.before);
      expect(r, text).toBe(distinctKeysToolCallRawSafe(line, 0, line.length, idSpan.params, idSpan.before, names));
      return r;
    }

    it(`field set ${n} (${fields.join(' ')}): the table carries the filter`, () => {
      expect(table[256]! | (table[257]! << 8)).toBeGreaterThanOrEqual(768);
    });

    it(`field set ${n}: every spelling is found, anywhere in a string, followed by anything, at a string's or the line's end`, () => {
      for (const f of fields) {
        for (const s of spellings(f)) {
          const texts = [`{"result":{"${s}":1}}`, `{"result":{"a":"${s}"}}`, `{"result":{"a":"x${s}"}}`, `{"result":{"a":"x ${s}y"}}`, `{"result":{"a":["${s}"]}}`];
          for (const c of PRINTABLE) texts.push(`{"result":{"a":"${s}${c}"}}`, `{"result":{"a":"${c}${s}"}}`);
          for (const t of texts) expect(answerVerdict(t), t).toBe(NAMES_FOUND);
          for (const c of ['', ...PRINTABLE.filter((_, k) => k % 7 === 0)]) {
            expect(requestVerdict(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":"${s}${c}"}}}`)).toBe(NAMES_FOUND);
            expect(requestVerdict(`{"method":"tools/call","params":{"name":"t","arguments":{"${c}${s}":0}},"jsonrpc":"2.0","id":3}`)).toBe(NAMES_FOUND);
          }
        }
      }
    });

    it(`field set ${n}: generated text with the names' pieces gets the JavaScript verdict`, () => {
      const pieces = [...fields.flatMap((f) => [...spellings(f), f.slice(0, -1), f.slice(1)]), ...PRINTABLE];
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 8 }), (a) => {
          const text = a.join('');
          answerVerdict(`{"result":{"content":[{"type":"text","text":${JSON.stringify(text)}}]},"jsonrpc":"2.0","id":2}`);
          requestVerdict(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"q":${JSON.stringify(text)}}}}`);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('anchors followed by a byte no field has after them leave the line raw (the filter is used)', () => {
    const red = new Redactor(['password', 'token', 'api_key', 'apikey', 'authorization', 'secret']);
    const line = Buffer.from('{"result":{"content":[{"type":"text","text":"Echo: jsonrpc mcp-warden bench pc kc zc cc"}]},"jsonrpc":"2.0","id":1}');
    expect(addon!.rawAnswer!(red.rawNativeTable!, line, 0, line.length, Buffer.alloc(4096), 0, REQUEST, 0, REQUEST.length, HEAD_BYTES, 1, 2, 3)).toBeGreaterThan(0);
  });
});
