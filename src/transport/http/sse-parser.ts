/**
 * Incremental text/event-stream parser for the client side: fed decoded text chunks as they arrive,
 * it calls back once per complete event with its `data` (multi-line data joined by "\n"), `event`
 * name and `id`. Comments are skipped; a `retry:` value is kept in `retry`. Bounded: an event larger than maxBytes
 * is an error.
 */

export interface SseEvent {
  data: string;
  event: string | undefined;
  id: string | undefined;
}

export class SseParser {
  /** Text of the event being received (no blank line yet), in the pieces it came in. */
  private pending: string[] = [];
  /** Total length of `pending`. */
  private pendingLength = 0;
  /** The last two characters of `pending`: a blank line may begin there and end in the next chunk. */
  private carry = '';
  /** The stream's reconnection time from its last `retry:` field (ms), if it sent one. */
  retry: number | undefined;

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly maxBytes: number,
  ) {}

  /**
   * Feeds a chunk; throws when a single event exceeds maxBytes. Only the new chunk (and the two
   * characters before it) is searched for the blank line, and the pieces of an event are joined
   * once, when it is complete: linear in the stream, however many chunks one large event takes.
   */
  push(chunk: string): void {
    let text = chunk;
    for (;;) {
      const c = this.carry.length;
      const probe = c === 0 ? text : this.carry + text;
      const end = findEventEnd(probe);
      if (end === -1) {
        if (text.length > 0) {
          this.pending.push(text);
          this.pendingLength += text.length;
          this.carry = probe.length <= 2 ? probe : probe.slice(-2);
        }
        if (this.pendingLength > this.maxBytes) throw new Error(`SSE event larger than ${this.maxBytes} bytes`);
        return;
      }
      // `probe` is the last c characters of pending followed by text: offsets in it shift by (pendingLength - c).
      const whole = this.pendingLength === 0 ? text : this.pending.join('') + text;
      const base = this.pendingLength - c;
      this.parseEvent(whole.slice(0, base + end.start));
      text = whole.slice(base + end.next);
      this.pending = [];
      this.pendingLength = 0;
      this.carry = '';
    }
  }

  private parseEvent(block: string): void {
    let data: string | undefined;
    let event: string | undefined;
    let id: string | undefined;
    let pos = 0;
    while (pos <= block.length) {
      let eol = block.indexOf('\n', pos);
      if (eol === -1) eol = block.length;
      let line = block.slice(pos, eol);
      pos = eol + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.length === 0 || line.charCodeAt(0) === 58 /* ':' comment */) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
      else if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    }
    if (data !== undefined || id !== undefined) this.onEvent({ data: data ?? '', event, id });
  }
}

/**
 * Where the first blank line (event terminator) is: {start of terminator, start of next event}. A
 * line ends in LF or CRLF, so the terminator is an LF followed by LF or by CRLF (a CR before the
 * first LF stays in the block, where parseEvent drops it). One forward scan for LF.
 */
function findEventEnd(text: string): { start: number; next: number } | -1 {
  let i = text.indexOf('\n');
  while (i !== -1) {
    const after = text.charCodeAt(i + 1);
    if (after === 10 /* \n */) return { start: i, next: i + 2 };
    if (after === 13 /* \r */ && text.charCodeAt(i + 2) === 10) return { start: i, next: i + 3 };
    i = text.indexOf('\n', i + 1);
  }
  return -1;
}
