/**
 * The lines an NdjsonTransport writes in one turn, built as bytes in a buffer of its own: a message
 * sent as text is encoded into it once, a peer's line forwarded unparsed is copied in with its id
 * spliced, and the batch leaves as one Buffer (no string concatenation; the stream encodes nothing).
 * A peer's line forwarded with nothing changed in it (its id kept), and followed by its newline in
 * the peer's chunk, is not copied at all: a batch that is only such lines, one after the other in
 * one chunk, leaves as that chunk (or the part of it they span), the very bytes the peer wrote.
 * Bytes handed to a write are never written over while the stream may still hold them: the buffer
 * is written from its start again only after `rewind()`, which the owner calls when the stream has
 * taken everything written so far; otherwise a full buffer is replaced by a new one. (A peer's
 * chunk is never written over by anyone: each read has a buffer of its own.)
 */
const NL = 0x0a;
const INITIAL_BYTES = 16 * 1024;
/** A buffer grown past this (one huge message) is not kept for the next batches. */
const KEEP_BYTES = 1024 * 1024;
/** Below this many bytes a copy is a loop (Buffer.copy allocates a view per call). */
const SMALL_COPY = 48;

export class LineBatch {
  private buf: Buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  /** Start of the batch being built (bytes before it were handed to writes). */
  private start = 0;
  private end = 0;
  /** A batch of peer lines not copied: borrowed[borrowedStart, borrowedEnd), newlines included. */
  private borrowed: Buffer | undefined;
  private borrowedStart = 0;
  private borrowedEnd = 0;

  get empty(): boolean {
    return this.end === this.start && this.borrowed === undefined;
  }

  /** Appends one line: `text` and a newline. */
  text(text: string): void {
    if (this.borrowed !== undefined) this.unborrow();
    if (this.buf.length - this.end <= text.length * 3) {
      // Maybe too little room (a UTF-16 unit takes up to 3 bytes): count the bytes exactly.
      const bytes = Buffer.byteLength(text) + 1;
      if (this.buf.length - this.end < bytes) this.reserve(bytes);
    }
    this.end += this.buf.write(text, this.end);
    this.buf[this.end++] = NL;
  }

  /**
   * Appends one line: src[start, end) with src[idStart, idEnd) (an id as written) replaced by `id`
   * written as JSON, and a newline.
   */
  spliced(src: Buffer, start: number, idStart: number, idEnd: number, end: number, id: string | number): void {
    const digits = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
    if (digits && writtenAs(src, idStart, idEnd, id as number)) return this.line(src, start, end);
    if (this.borrowed !== undefined) this.unborrow();
    const idText = digits ? '' : JSON.stringify(id);
    const need = end - start - (idEnd - idStart) + (digits ? 16 : Buffer.byteLength(idText)) + 1;
    if (this.buf.length - this.end < need) this.reserve(need);
    const buf = this.buf;
    let p = copy(src, start, idStart, buf, this.end);
    if (digits) p = writeDigits(buf, p, id as number);
    else p += buf.write(idText, p);
    p = copy(src, idEnd, end, buf, p);
    buf[p++] = NL;
    this.end = p;
  }

  /**
   * Appends one line as it is: src[start, end) and a newline. Borrowed, not copied, when the batch
   * is empty or ends with the line just before it in the same chunk, and src has the line's newline
   * at `end` (not a CR of a CRLF line, not the end of a line put together from several chunks).
   */
  line(src: Buffer, start: number, end: number): void {
    if (end < src.length && src[end] === NL) {
      const b = this.borrowed;
      if (b === undefined ? this.end === this.start : b === src && this.borrowedEnd === start) {
        if (b === undefined) {
          this.borrowed = src;
          this.borrowedStart = start;
        }
        this.borrowedEnd = end + 1;
        return;
      }
    }
    if (this.borrowed !== undefined) this.unborrow();
    const need = end - start + 1;
    if (this.buf.length - this.end < need) this.reserve(need);
    const p = copy(src, start, end, this.buf, this.end);
    this.buf[p] = NL;
    this.end = p + 1;
  }

  /** The batch, for one write; the next batch starts after it. */
  take(): Buffer {
    const b = this.borrowed;
    if (b !== undefined) {
      this.borrowed = undefined;
      return this.borrowedStart === 0 && this.borrowedEnd === b.length ? b : b.subarray(this.borrowedStart, this.borrowedEnd);
    }
    const batch = this.buf.subarray(this.start, this.end);
    this.start = this.end;
    return batch;
  }

  /** Copies the borrowed lines into the buffer (a line that is not borrowed comes after them). */
  private unborrow(): void {
    const b = this.borrowed!;
    this.borrowed = undefined;
    const n = this.borrowedEnd - this.borrowedStart;
    if (this.buf.length - this.end < n) this.reserve(n);
    this.end = copy(b, this.borrowedStart, this.borrowedEnd, this.buf, this.end);
  }

  /** The stream holds none of the bytes taken so far: the next batch may start at the buffer's start. */
  rewind(): void {
    if (this.start !== this.end) return;
    if (this.buf.length > KEEP_BYTES) this.buf = Buffer.allocUnsafeSlow(INITIAL_BYTES);
    this.start = 0;
    this.end = 0;
  }

  /** Room for `bytes` more: a new buffer, with the batch being built moved into it (the old one may still be in a write). */
  private reserve(bytes: number): void {
    const used = this.end - this.start;
    const next = Buffer.allocUnsafeSlow(Math.max(INITIAL_BYTES, 2 * (used + bytes)));
    copy(this.buf, this.start, this.end, next, 0);
    this.buf = next;
    this.start = 0;
    this.end = used;
  }
}

/** Copies src[from, to) to dst at `at`; returns the index just past the copy. */
function copy(src: Uint8Array, from: number, to: number, dst: Buffer, at: number): number {
  const n = to - from;
  if (n >= SMALL_COPY) {
    // A plain view (subarray of a Buffer constructs a Buffer, through its species).
    dst.set(new Uint8Array(src.buffer, src.byteOffset + from, n), at);
    return at + n;
  }
  for (let k = 0; k < n; k++) dst[at + k] = src[from + k]!;
  return at + n;
}

/** Whether src[from, to) is written as the decimal digits of `value` (a non-negative safe integer). */
function writtenAs(src: Uint8Array, from: number, to: number, value: number): boolean {
  if (to - from < 1 || to - from > 16) return false;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = src[i]! - 0x30;
    if (c < 0 || c > 9) return false;
    v = v * 10 + c;
  }
  // No leading zero (01 is not how the id 1 is written).
  return v === value && (src[from] !== 0x30 || to - from === 1);
}

/** Writes the decimal digits of a non-negative safe integer at `at`; returns the index just past them. */
function writeDigits(buf: Buffer, at: number, value: number): number {
  let width = 1;
  for (let v = value; v >= 10; v = Math.floor(v / 10)) width++;
  let p = at + width;
  let v = value;
  do {
    buf[--p] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  return at + width;
}
