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

/** Flags of a byte (RawNameScan.kinds). */
const ANCHOR = 1;
const ESCAPE = 2;
const NON_ASCII = 4;

/** Letters from the most to the least frequent in English text: a field is looked for at its rarest. */
const LETTERS_BY_FREQUENCY = 'etaoinshrdlcumwfgypbvkjxqz';

/** How rarely byte c (lower case) occurs in text: higher is rarer. */
function rarity(c: number): number {
  const letter = LETTERS_BY_FREQUENCY.indexOf(String.fromCharCode(c));
  if (letter >= 0) return 10 + letter;
  if (c >= 0x30 && c <= 0x39) return 0;
  return c === UNDERSCORE ? 5 : 40;
}

/** ASCII lower case of byte c. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** A field name and the index of the byte it is looked for at (its anchor). */
interface Field {
  codes: Uint8Array;
  anchor: number;
}

/** Bytes valid JSON holds outside strings: a name anchored at one of them cannot be found by scanning strings only. */
const OUTSIDE_STRINGS = ' \t\n\r{}[],:"\\0123456789+-.eEtrufalsn';

export class RawNameScan {
  /** Per byte: non-zero when it is some field's anchor (either case) (RawNames.anchors). */
  readonly anchors = new Uint8Array(256);
  /** No anchor is a byte valid JSON holds outside strings (so a scan of a line's strings sees every anchor). */
  readonly anchorsInStringsOnly: boolean;
  /** Per byte: ANCHOR (some field's anchor, either case), ESCAPE (backslash), NON_ASCII. */
  private readonly kinds = new Uint8Array(256);
  /** The fields anchored at each lower-case byte (indexed by the byte: no hashing on the call path). */
  private readonly byAnchor: Field[][] = Array.from({ length: 256 }, () => []);

  /** `fields`: lower case, `-` written `_`, every one printable ASCII (as Redactor normalizes them). */
  constructor(fields: readonly string[]) {
    for (let c = 0x80; c < 256; c++) this.kinds[c] = NON_ASCII;
    this.kinds[BACKSLASH] = ESCAPE;
    for (const f of fields) {
      const codes = Uint8Array.from(f, (ch) => ch.charCodeAt(0));
      let anchor = 0;
      for (let k = 1; k < codes.length; k++) if (rarity(codes[k]!) > rarity(codes[anchor]!)) anchor = k;
      const c = codes[anchor]!;
      // The bytes the anchor matches: either case of a letter, `-` or `_` for `_`.
      const bytes = c === UNDERSCORE ? [UNDERSCORE, DASH] : c >= 0x61 && c <= 0x7a ? [c, c - 0x20] : [c];
      for (const x of bytes) {
        this.kinds[x]! |= ANCHOR;
        this.anchors[x] = 1;
        const list = this.byAnchor[lower(x)]!;
        if (!list.some((g) => g.codes === codes)) list.push({ codes, anchor });
      }
    }
    let inStrings = true;
    for (let k = 0; k < OUTSIDE_STRINGS.length; k++) if (this.anchors[OUTSIDE_STRINGS.charCodeAt(k)] !== 0) inStrings = false;
    this.anchorsInStringsOnly = inStrings;
  }

  /**
   * These names as native/raw_check.c reads them (Recorder.rawToolCallScan, recordRawAnswer): bytes
   * [0, 256) what each byte is inside a string (json-lexemes.ts's classes: plain 0, quote 1,
   * control 2, backslash 3, over 0x7f 4, an anchor 5; anchors are plain printable ASCII); [256, 768) per lower-case byte value a uint16 (LE) offset of its field
   * list, 0 for none; a list is a count, then per field its length, its anchor's index and its
   * bytes. Undefined when a count, a length or the table does not fit that form (the scans in
   * JavaScript then run).
   */
  nativeTable(): Uint8Array | undefined {
    const lists: number[] = [];
    const offsets = new Uint16Array(256);
    const at = 768;
    for (let v = 0; v < 256; v++) {
      const list = this.byAnchor[v]!;
      if (list.length === 0) continue;
      if (list.length > 255) return undefined;
      offsets[v] = at + lists.length;
      lists.push(list.length);
      for (const f of list) {
        if (f.codes.length > 255) return undefined;
        lists.push(f.codes.length, f.anchor, ...f.codes);
      }
    }
    if (at + lists.length > 0xffff) return undefined;
    const filter = this.nextByteFilter();
    // The filter goes after the lists when its offset fits the uint16 of slot 0 (else none: every anchor is looked at).
    const filterAt = at + lists.length + filter.length <= 0xffff ? at + lists.length : 0;
    const t = new Uint8Array(at + lists.length + (filterAt === 0 ? 0 : filter.length));
    for (let c = 0; c < 0x20; c++) t[c] = 2;
    for (let c = 0x80; c < 256; c++) t[c] = 4;
    t[0x22] = 1;
    t[BACKSLASH] = 3;
    for (let c = 0x20; c < 0x80; c++) if (this.anchors[c] !== 0 && t[c] === 0) t[c] = 5;
    for (let v = 0; v < 256; v++) {
      t[256 + 2 * v] = offsets[v]! & 0xff;
      t[257 + 2 * v] = offsets[v]! >> 8;
    }
    t.set(lists, at);
    if (filterAt !== 0) {
      t.set(filter, filterAt);
      t[256] = filterAt & 0xff;
      t[257] = filterAt >> 8;
    }
    return t;
  }

  /**
   * nativeTable's next-byte filter (a necessary condition the native scan asks before it looks for
   * the fields around an anchor): [0] the number of bit sets k, [1, 256) per byte value the bit set
   * (1..k) of the bytes that may follow it when it is an anchor, 0 when any may (a field anchored at
   * its last byte, or none); then k bit sets of 32 bytes (bit x: byte x may follow: either case of a
   * letter, `_` or `-` for `_`, the byte itself otherwise). Its offset is in slot 0 of the offsets,
   * which no anchor uses (anchors are printable ASCII); an addon built before it never reads it.
   */
  private nextByteFilter(): Uint8Array {
    const sets: Uint8Array[] = [];
    const slotOf = new Uint8Array(256);
    const slotOfList = new Map<Field[], number>();
    for (let x = 0x20; x < 0x80; x++) {
      if (this.anchors[x] === 0) continue;
      const list = this.byAnchor[lower(x)]!;
      let slot = slotOfList.get(list);
      if (slot === undefined) {
        slot = 0;
        const set = new Uint8Array(32);
        let any = list.length === 0;
        for (const f of list) {
          if (f.anchor + 1 >= f.codes.length) any = true;
          else {
            const p = f.codes[f.anchor + 1]!;
            const next = p === UNDERSCORE ? [UNDERSCORE, DASH] : p >= 0x61 && p <= 0x7a ? [p, p - 0x20] : [p];
            for (const y of next) set[y >> 3]! |= 1 << (y & 7);
          }
        }
        if (!any && sets.length < 255) {
          sets.push(set);
          slot = sets.length;
        }
        slotOfList.set(list, slot);
      }
      slotOf[x] = slot;
    }
    const out = new Uint8Array(256 + 32 * sets.length);
    out.set(slotOf);
    out[0] = sets.length;
    sets.forEach((set, k) => out.set(set, 256 + 32 * k));
    return out;
  }

  /** RAW_SAFE, RAW_UNSAFE or RAW_UNDECIDED for the line b[start, end). */
  scan(b: Uint8Array, start: number, end: number): number {
    const kinds = this.kinds;
    for (let i = start; i < end; i++) {
      const k = kinds[b[i]!]!;
      if (k === 0) continue;
      if ((k & NON_ASCII) !== 0) return RAW_UNDECIDED;
      if ((k & ESCAPE) !== 0 && i + 1 < end) {
        const e = b[i + 1]!;
        if (e === 0x75 /* u */ || e === 0x55 /* U */ || e === 0x2f /* / */) return RAW_UNSAFE;
      }
      if ((k & ANCHOR) !== 0 && this.matchesAround(b, i, start, end)) return RAW_UNSAFE;
    }
    return RAW_SAFE;
  }

  /** Whether a field whose anchor byte is b[i] is written around it, within [start, end). */
  matchesAround(b: Uint8Array, i: number, start: number, end: number): boolean {
    const candidates = this.byAnchor[lower(b[i]!)]!;
    for (let c = 0; c < candidates.length; c++) {
      const { codes, anchor } = candidates[c]!;
      const from = i - anchor;
      const n = codes.length;
      if (from < start || from + n > end) continue;
      let j = 0;
      for (; j < n; j++) {
        const x = b[from + j]!;
        const p = codes[j]!;
        if (p === UNDERSCORE ? x !== UNDERSCORE && x !== DASH : lower(x) !== p) break;
      }
      if (j === n) return true;
    }
    return false;
  }
}
