/**
 * Redactor.rawSafe on a line's bytes, for the raw path's call path (docs/audit.md, "The raw path"):
 * the same test as the regular expression rawSafe runs on the line's text (an occurrence of a
 * field name in any case, `-` and `_` alike, or a `\u` or `\/` escape, anywhere), made on ASCII
 * bytes without decoding them into a string first. It decides only ASCII lines: a line with any
 * other byte is left to the caller, which decodes it and runs the regular expression (in Unicode's
 * case folding, some non-ASCII characters match ASCII letters: U+212A KELVIN SIGN is a `k`).
 */

/** The line is ASCII and holds neither a field name nor an escape. */
export const RAW_SAFE = 1;
/** The line holds a field name or an escape (or a non-ASCII byte after one): not raw-safe. */
export const RAW_UNSAFE = 0;
/** The line holds a non-ASCII byte: decode it and ask the regular expression. */
export const RAW_UNDECIDED = -1;

const BACKSLASH = 0x5c;
const UNDERSCORE = 0x5f;
const DASH = 0x2d;

/** ASCII lower case of byte c (c < 0x80). */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

export class RawNameScan {
  /** Field names as lower-case ASCII codes (`_` standing for `-` or `_`), by their first byte. */
  private readonly byFirst: Array<Uint8Array[] | undefined> = new Array<Uint8Array[] | undefined>(128).fill(undefined);

  /** `fields`: lower case, `-` written `_`, every one printable ASCII (as Redactor normalizes them). */
  constructor(fields: readonly string[]) {
    for (const f of fields) {
      const codes = Uint8Array.from(f, (ch) => ch.charCodeAt(0));
      const firsts = codes[0] === UNDERSCORE ? [UNDERSCORE, DASH] : [codes[0]!];
      for (const c of firsts) (this.byFirst[c] ??= []).push(codes);
    }
  }

  /** RAW_SAFE, RAW_UNSAFE or RAW_UNDECIDED for the line b[start, end). */
  scan(b: Uint8Array, start: number, end: number): number {
    const byFirst = this.byFirst;
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c >= 0x80) return RAW_UNDECIDED;
      if (c === BACKSLASH && i + 1 < end) {
        const e = b[i + 1]!;
        if (e === 0x75 /* u */ || e === 0x55 /* U */ || e === 0x2f /* / */) return RAW_UNSAFE;
      }
      const candidates = byFirst[lower(c)];
      if (candidates !== undefined && this.matchesAt(candidates, b, i, end)) return RAW_UNSAFE;
    }
    return RAW_SAFE;
  }

  private matchesAt(candidates: Uint8Array[], b: Uint8Array, i: number, end: number): boolean {
    for (let k = 0; k < candidates.length; k++) {
      const f = candidates[k]!;
      const n = f.length;
      if (n > end - i) continue;
      let j = 1;
      for (; j < n; j++) {
        const x = b[i + j]!;
        const p = f[j]!;
        if (p === UNDERSCORE ? x !== UNDERSCORE && x !== DASH : lower(x) !== p) break;
      }
      if (j === n) return true;
    }
    return false;
  }
}
