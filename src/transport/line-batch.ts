/**
 * The lines an NdjsonTransport writes in one turn, built as bytes in a buffer of its own: a message
 * sent as text is encoded into it once, a peer's line forwarded unparsed is copied in with its id
 * spliced, and the batch leaves as one Buffer (no string concatenation; the stream encodes nothing).
 * Bytes handed to a write are never written over while the stream may still hold them: the buffer
 * is written from its start again only after `rewind()`, which the owner calls when the stream has
 * taken everything written so far; otherwise a full buffer is replaced by a new one.
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

  get empty(): boolean {
    return this.end === this.start;
  }

  /** Appends one line: `text` and a newline. */
  text(text: string): void {
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
  spliced(src: Uint8Array, start: number, idStart: number, idEnd: number, end: number, id: string | number): void {
    const digits = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
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

  /** The batch, for one write; the next batch starts after it. */
  take(): Buffer {
    const batch = this.buf.subarray(this.start, this.end);
    this.start = this.end;
    return batch;
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
