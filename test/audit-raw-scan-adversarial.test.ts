/**
 * Review of the raw path's byte scan (src/audit/raw-safe-bytes.ts, Redactor.rawSafeBytes): on
 * 300,000 lines made of the pieces a field name can be spelled with (either case, `-` for `_`,
 * field names cut and glued, the letters around each field's anchor, escapes, U+212A KELVIN SIGN,
 * U+017F LONG S, U+0130, other non-ASCII), for the default fields and for fields chosen to share
 * anchors, start or end with `_` or digits, the scan on the bytes gives what the regular expression
 * (Redactor.rawSafe) gives on the text: the line's length in UTF-16 units when raw-safe, else -1.
 */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../src/audit/redact.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FIELD_SETS: string[][] = [
  ['password', 'token', 'api_key', 'apikey', 'authorization', 'secret'],
  ['k', 'ss', 'x_y', '_id', 'key_', 'a1', '9z', 'zz', 'qq_q', 'x-ray', 'jwt'],
  ['session', 'cookie', 'private_key', 'credential', 'bearer'],
];

describe('raw path: the byte scan gives what the regular expression gives', () => {
  for (const [n, fields] of FIELD_SETS.entries()) {
    it(`field set ${n}`, () => {
      const red = new Redactor(fields);
      const r = rng(4242 + n);
      const norm = fields.map((f) => f.toLowerCase().replaceAll('-', '_'));
      const pieces = [
        ...norm, ...norm.map((f) => f.toUpperCase()), ...norm.map((f) => f.replaceAll('_', '-')),
        ...norm.flatMap((f) => [f.slice(0, Math.ceil(f.length / 2)), f.slice(Math.ceil(f.length / 2)), f.slice(1), f.slice(0, -1)]),
        ...'abcdefghijklmnopqrstuvwxyzKQZXJ0123456789_-'.split(''),
        '\\', '\\u', '\\U', '\\/', '\\\\', '"', '{', '}', ':', ',', ' ', '\u212a', '\u017f', '\u0130', 'é', '日', '\u{1F600}',
      ];
      let bad = 0;
      const shown: string[] = [];
      for (let i = 0; i < 100_000; i++) {
        let t = '';
        for (let j = 1 + Math.floor(r() * 10); j > 0; j--) t += pieces[Math.floor(r() * pieces.length)];
        const pad = r() < 0.5 ? ['', ''] : ['xx', 'yy'];
        const b = Buffer.from(pad[0] + t + pad[1], 'utf8');
        const start = Buffer.byteLength(pad[0]!);
        const got = red.rawSafeBytes(b, start, b.length - Buffer.byteLength(pad[1]!));
        const want = red.rawSafe(t) ? t.length : -1;
        if (got !== want) {
          bad++;
          if (shown.length < 5) shown.push(`${JSON.stringify(t)}: bytes ${got}, regex ${want}`);
        }
      }
      expect(shown).toEqual([]);
      expect(bad).toBe(0);
    });
  }
});
