/**
 * Incremental text/event-stream parser for the client side: fed decoded text chunks as they arrive,
 * it calls back once per complete event with its `data` (multi-line data joined by "\n"), `event`
 * name and `id`. Comments and `retry:` lines are skipped. Bounded: an event larger than maxBytes
 * is an error.
 */

export interface SseEvent {
  data: string;
  event: string | undefined;
  id: string | undefined;
}

export class SseParser {
  private buffer = '';

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly maxBytes: number,
  ) {}

  /** Feeds a chunk; throws when a single event exceeds maxBytes. */
  push(chunk: string): void {
    let text = this.buffer.length === 0 ? chunk : this.buffer + chunk;
    for (;;) {
      const end = findEventEnd(text);
      if (end === -1) break;
      this.parseEvent(text.slice(0, end.start));
      text = text.slice(end.next);
    }
    if (text.length > this.maxBytes) throw new Error(`SSE event larger than ${this.maxBytes} bytes`);
    this.buffer = text;
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
    }
    if (data !== undefined || id !== undefined) this.onEvent({ data: data ?? '', event, id });
  }
}

/** Where the first blank line (event terminator) is: {start of terminator, start of next event}. */
function findEventEnd(text: string): { start: number; next: number } | -1 {
  const lf = text.indexOf('\n\n');
  const crlf = text.indexOf('\r\n\r\n');
  if (lf === -1 && crlf === -1) return -1;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { start: crlf, next: crlf + 4 };
  return { start: lf, next: lf + 2 };
}
