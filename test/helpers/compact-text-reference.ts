/**
 * Test reference: the text forms of the id finders the proxy runs on bytes (src/proxy/compact-bytes.ts).
 * They read a line as a string the plain way; test/compact-bytes.test.ts checks that the byte
 * versions agree with them on mutated lines, and test/proxy-spliced-id.test.ts pins their cases.
 */
const HEADS = ['{"jsonrpc":"2.0","id":', '{"id":'];
const ANSWER_TAIL = ',"jsonrpc":"2.0","id":';

/** The digits of a non-negative integer id (no sign, no leading zero, at most 15 digits) at `start`, up to `end`; -1 if not. */
function idDigits(line: string, start: number, end: number): number {
  const first = line.charCodeAt(start);
  if (end - start === 1 && first === 0x30) return 0;
  if (end - start < 1 || end - start > 15 || first < 0x31 || first > 0x39) return -1;
  let id = first - 0x30;
  for (let i = start + 1; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    id = id * 10 + (c - 0x30);
  }
  return id;
}

/**
 * The id of a line that is, by its spelling alone, an answer (result or error) to one of the
 * proxy's own requests (positive integer ids), written compactly the way the MCP SDKs write
 * answers: `{"jsonrpc":"2.0","id":7,"result":…}` / `…,"error":…}` (Python SDK, hand-written
 * servers, TypeScript SDK errors) or `{"result":…,"jsonrpc":"2.0","id":7}` (TypeScript SDK
 * results); else -1. The line is not parsed: whoever uses this passes it on unread.
 */
export function compactAnswerId(line: string): number {
  const last = line.length - 1;
  if (line.charCodeAt(last) !== 0x7d /* } */) return -1;
  if (line.startsWith(HEADS[0]!)) {
    const start = HEADS[0]!.length;
    let end = start;
    while (end < last && line.charCodeAt(end) !== 0x2c /* , */) end++;
    if (!line.startsWith(',"result":', end) && !line.startsWith(',"error":', end)) return -1;
    return positive(idDigits(line, start, end));
  }
  if (!line.startsWith('{"result":') && !line.startsWith('{"error":')) return -1;
  return positive(lastId(line));
}

function positive(id: number): number {
  return id > 0 ? id : -1;
}

/** The digits of a line ending `,"jsonrpc":"2.0","id":<digits>}`; -1 if it does not. */
function lastId(line: string): number {
  const last = line.length - 1;
  let start = last;
  while (start > 0 && line.charCodeAt(start - 1) !== 0x3a /* : */) start--;
  if (!line.startsWith(ANSWER_TAIL, start - ANSWER_TAIL.length)) return -1;
  return idDigits(line, start, last);
}

const CALL_HEAD_TAIL = ',"method":"tools/call","params":{';
const CALL_START = '{"method":"tools/call","params":{';

/**
 * The id of a line that is, by its spelling, a tools/call request with a non-negative integer id,
 * written compactly the way the MCP SDKs write requests: `{"jsonrpc":"2.0","id":7,"method":
 * "tools/call","params":{…}…}` (Python SDK, hand-written clients) or `{"method":"tools/call",
 * "params":{…},"jsonrpc":"2.0","id":7}` (TypeScript SDK); else -1. Only together with
 * isSingleJsonObject (no member written twice) does the spelling say what a parser would read.
 */
export function compactToolCallId(line: string): number {
  if (line.charCodeAt(line.length - 1) !== 0x7d /* } */) return -1;
  if (line.startsWith(HEADS[0]!)) {
    const start = HEADS[0]!.length;
    let end = start;
    while (end < line.length && line.charCodeAt(end) !== 0x2c /* , */) end++;
    if (!line.startsWith(CALL_HEAD_TAIL, end)) return -1;
    return idDigits(line, start, end);
  }
  if (!line.startsWith(CALL_START)) return -1;
  return lastId(line);
}

