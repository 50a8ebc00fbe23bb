/**
 * Recognizes, on a line's bytes buf[start, end), the compactly written tools/call requests and
 * answers that are passed on without being decoded (their text forms, the reference the tests hold
 * these to, are in test/helpers/compact-text-reference.ts), and leaves where the id is written in
 * `idSpan` (bytes [idSpan.start, idSpan.end) of the last line recognized), so that the id can be
 * replaced while the line is copied out (NdjsonTransport.sendSpliced). Allocation-free.
 */
import { MEMBER } from '../transport/json-bytes.js';

/**
 * Where the id of the last line recognized (a result >= 0) is written; for a tools/call, also where
 * its params object's content starts and the members before it (MEMBER bits: jsonrpc, id, method).
 */
export const idSpan = { start: 0, end: 0, params: 0, before: 0 };

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HEAD = ascii('{"jsonrpc":"2.0","id":');
const ANSWER_TAIL = ascii(',"jsonrpc":"2.0","id":');
const CALL_HEAD_TAIL = ascii(',"method":"tools/call","params":{');
const CALL_START = ascii('{"method":"tools/call","params":{');
const AFTER_ID_RESULT = ascii(',"result":');
const AFTER_ID_ERROR = ascii(',"error":');
const RESULT_START = ascii('{"result":');
const ERROR_START = ascii('{"error":');

/** Whether b[at, end) starts with `word`. */
function matches(b: Uint8Array, at: number, end: number, word: Uint8Array): boolean {
  const n = word.length;
  if (at < 0 || end - at < n) return false;
  for (let k = 0; k < n; k++) if (b[at + k] !== word[k]) return false;
  return true;
}

/** The non-negative integer id (no sign, no leading zero, at most 15 digits) written at b[start, end); -1 if not. */
function idDigits(b: Uint8Array, start: number, end: number): number {
  const first = b[start]!;
  if (end - start === 1 && first === 0x30) return 0;
  if (end - start < 1 || end - start > 15 || first < 0x31 || first > 0x39) return -1;
  let id = first - 0x30;
  for (let i = start + 1; i < end; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x39) return -1;
    id = id * 10 + (c - 0x30);
  }
  return id;
}

/** The id of a line whose head is `{"jsonrpc":"2.0","id":<digits>` followed by `after` or `orAfter`; -1 if not. */
function headId(b: Uint8Array, start: number, end: number, after: Uint8Array, orAfter: Uint8Array | undefined): number {
  const from = start + HEAD.length;
  let to = from;
  while (to < end - 1 && b[to] !== 0x2c /* , */) to++;
  if (!matches(b, to, end, after) && (orAfter === undefined || !matches(b, to, end, orAfter))) return -1;
  return found(idDigits(b, from, to), from, to);
}

/** The id of a line ending `,"jsonrpc":"2.0","id":<digits>}`; -1 if it does not. */
function lastId(b: Uint8Array, start: number, end: number): number {
  const last = end - 1;
  let from = last;
  while (from > start && b[from - 1] !== 0x3a /* : */) from--;
  if (!matches(b, from - ANSWER_TAIL.length, end, ANSWER_TAIL) || from - ANSWER_TAIL.length < start) return -1;
  return found(idDigits(b, from, last), from, last);
}

function found(id: number, from: number, to: number): number {
  if (id >= 0) {
    idSpan.start = from;
    idSpan.end = to;
  }
  return id;
}

/** compactToolCallId of buf[start, end): the integer id of a compactly written tools/call, else -1. */
export function compactToolCallIdAt(b: Uint8Array, start: number, end: number): number {
  if (end - start < 2 || b[end - 1] !== 0x7d /* } */) return -1;
  if (matches(b, start, end, HEAD)) {
    const id = headId(b, start, end, CALL_HEAD_TAIL, undefined);
    idSpan.params = idSpan.end + CALL_HEAD_TAIL.length;
    idSpan.before = MEMBER.jsonrpc | MEMBER.id | MEMBER.method;
    return id;
  }
  if (!matches(b, start, end, CALL_START)) return -1;
  idSpan.params = start + CALL_START.length;
  idSpan.before = MEMBER.method;
  return lastId(b, start, end);
}

/** compactAnswerId of buf[start, end): the positive integer id of a compactly written answer, else -1. */
export function compactAnswerIdAt(b: Uint8Array, start: number, end: number): number {
  if (end - start < 2 || b[end - 1] !== 0x7d /* } */) return -1;
  let id: number;
  if (matches(b, start, end, HEAD)) id = headId(b, start, end, AFTER_ID_RESULT, AFTER_ID_ERROR);
  else if (matches(b, start, end, RESULT_START) || matches(b, start, end, ERROR_START)) id = lastId(b, start, end);
  else return -1;
  return id > 0 ? id : -1;
}
