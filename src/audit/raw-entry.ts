/**
 * Raw journal entries (docs/audit.md, "The raw path"): a call nothing judged (the policy allows
 * every request whatever its input and asks for no redaction) is journaled as the client's request
 * line and the backend's answer line as they came, with what the proxy knows without parsing them
 * (time, who, session, backend, decision, timings, sizes). That is safe because the proxy's thread
 * journals a line only when Redactor.rawSafe finds no sensitive field name in it, in any case or
 * escape: such a line has no value redaction would mask. Anything else is parsed, redacted and
 * journaled as a row (journal-line.ts). The writer thread parses the two lines, applies redaction
 * (which finds nothing, and is applied all the same) and the payload cap, and makes the very row,
 * with the same canonical line and hash, that the parsed path makes of the same call.
 *
 * Body: `R<time>,<backend µs>,<request bytes>,<response bytes>,<request chars>,<answer chars>,<head JSON>\t<request><answer>`
 * (the head JSON, from JSON.stringify, holds no raw tab; the lines hold no newline).
 */
import type { RawRecordHead } from '../types.js';
import { int, payload, rolesText, text, type StoredRow } from './journal-line.js';
import { refuse } from './line-check.js';
import { RawFastReader } from './raw-fast.js';
import type { Redactor } from './redact.js';

/** The first character of a raw entry's body (a row's body starts with `[`). */
export const RAW_MARK = 0x52; /* R */

/**
 * The JSON of what a raw entry shares with the other calls of its session and decision: ten values,
 * and the client's roles as an eleventh when it has some (a head of an earlier version has ten).
 */
export function rawHeadJson(h: RawRecordHead): string {
  const head: unknown[] = [h.clientId, h.clientName, h.authMethod, h.sessionId, h.transport, h.backend ?? null, h.decision, h.reasons, h.policyVersion ?? null, h.decisionMicros];
  if (h.roles !== undefined && h.roles.length > 0) head.push(h.roles);
  return JSON.stringify(head);
}

/** A raw entry's journal body (see the header). */
export function rawJournalBody(headJson: string, time: number, backendMicros: number, requestBytes: number, responseBytes: number, request: string, answer: string): string {
  return `R${time},${backendMicros},${requestBytes},${responseBytes},${request.length},${answer.length},${headJson}\t${request}${answer}`;
}

/** The head of raw entries as putRawJournalLine copies it: rawHeadJson and a tab, in UTF-8. */
export function rawHeadBytes(headJson: string): Uint8Array {
  return Buffer.from(`${headJson}\t`, 'utf8');
}

/** The head JSON of raw entries and its bytes (rawHeadBytes), per head: the caller keeps one head per session and decision. */
export class RawHeadCache {
  private readonly heads = new WeakMap<RawRecordHead, { json: string; bytes: Uint8Array }>();
  /** The head of() gave last, and what it gave. */
  private last: RawRecordHead | undefined;
  private lastOut: { json: string; bytes: Uint8Array } | undefined;

  of(head: RawRecordHead): { json: string; bytes: Uint8Array } {
    // Calls of one session come in runs: the last head is asked for again without a hash lookup.
    if (head === this.last) return this.lastOut!;
    let h = this.heads.get(head);
    if (h === undefined) {
      const json = rawHeadJson(head);
      h = { json, bytes: rawHeadBytes(json) };
      this.heads.set(head, h);
    }
    this.last = head;
    this.lastOut = h;
    return h;
  }
}

/** Most bytes a journal line `<seq> ` + body + newline takes besides its head and lines (7 numbers of 20 digits at most, separators). */
const RAW_LINE_NUMBER_BYTES = 7 * 20 + 10;

/** Room putRawJournalLine needs for a line with this head and these lines. */
export function rawJournalLineMaxBytes(head: Uint8Array, requestBytes: number, answerBytes: number): number {
  return RAW_LINE_NUMBER_BYTES + head.length + requestBytes + answerBytes;
}

/** Writes non-negative integer v < 2^31 as decimal digits at b[at..]; returns the end. */
function putSmallDigits(b: Uint8Array, at: number, v: number): number {
  let digits = 1;
  for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
  let p = at + digits;
  while (v >= 10) {
    const q = (v / 10) | 0;
    b[--p] = 0x30 + (v - q * 10);
    v = q;
  }
  b[--p] = 0x30 + v;
  return at + digits;
}

/** Writes non-negative safe integer v as decimal digits at b[at..]; returns the end. */
function putDigits(b: Uint8Array, at: number, v: number): number {
  if (v < 0x80000000) return putSmallDigits(b, at, v);
  // Above 2^31 (the time): the digits above the last nine, then those nine, in integer arithmetic.
  const high = Math.floor(v / 1e9);
  at = putSmallDigits(b, at, high);
  let low = v - high * 1e9;
  for (let p = at + 8; p >= at; p--) {
    const q = (low / 10) | 0;
    b[p] = 0x30 + (low - q * 10);
    low = q;
  }
  return at + 9;
}

/**
 * Writes the journal line `<seq> ` + rawJournalBody(...) + `\n` into b at `at` (room:
 * rawJournalLineMaxBytes), straight from the bytes of the request line request[requestStart,
 * requestEnd) and the answer line answer[answerStart, answerEnd), which must be ASCII (a character
 * per byte: the body's character counts are their byte counts), and `head` (rawHeadBytes); every
 * number a non-negative safe integer. The bytes are those the UTF-8 of the string line would be.
 * Returns the end of the line.
 */
export function putRawJournalLine(
  b: Uint8Array,
  at: number,
  seq: number,
  time: number,
  backendMicros: number,
  head: Uint8Array,
  request: Buffer,
  requestStart: number,
  requestEnd: number,
  answer: Buffer,
  answerStart: number,
  answerEnd: number,
): number {
  const requestBytes = requestEnd - requestStart;
  const answerBytes = answerEnd - answerStart;
  at = putDigits(b, at, seq);
  b[at++] = 0x20; /* space */
  b[at++] = RAW_MARK;
  at = putDigits(b, at, time);
  b[at++] = 0x2c; /* , */
  at = putDigits(b, at, backendMicros);
  b[at++] = 0x2c;
  at = putDigits(b, at, requestBytes);
  b[at++] = 0x2c;
  at = putDigits(b, at, answerBytes);
  b[at++] = 0x2c;
  at = putDigits(b, at, requestBytes);
  b[at++] = 0x2c;
  at = putDigits(b, at, answerBytes);
  b[at++] = 0x2c;
  b.set(head, at);
  at += head.length;
  // A plain view and a memory copy: faster than Buffer.copy, Buffer.subarray or a loop for lines of a hundred bytes.
  b.set(new Uint8Array(request.buffer, request.byteOffset + requestStart, requestBytes), at);
  at += requestBytes;
  b.set(new Uint8Array(answer.buffer, answer.byteOffset + answerStart, answerBytes), at);
  at += answerBytes;
  b[at++] = 0x0a; /* \n */
  return at;
}

const HEAD_CACHE_LIMIT = 1024;
/** How many numbers precede the head. */
const NUMBERS = 6;
const PARSE_ERROR = -32700;

type Json = Record<string, unknown>;
type Value = string | number | null;

/**
 * A head's columns as the row holds them (the same normalization as journalBody) and their JSON
 * in the canonical line: client_id .. backend, then decision .. policy_version; the roles column,
 * and what it adds to the canonical line (`,` and its JSON, or nothing when it is null).
 */
interface Head {
  who: Value[];
  whoJson: string;
  decided: Value[];
  decidedJson: string;
  decisionMicros: number;
  roles: string | null;
  rolesJson: string;
}
export type RawHead = Head;

/** What the answer's line says (as outcomeOf and buildRecord read it). */
interface Outcome {
  outcome: string;
  errorCode: number | null;
  errorMessage: string | null;
  isError: number | null;
  result: unknown;
  resultJson: string | undefined;
}

const json = JSON.stringify;
const num = (v: number | null): string => (v === null ? 'null' : `${v}`);
const str = (v: string | null): string => (v === null ? 'null' : json(v));

/**
 * Makes rows of raw entries on the writer thread: the same values and canonical line journalBody
 * and rowFromBody give the parsed path's record of the same call (test/audit-raw.test.ts holds them
 * to it), with the canonical line put together from the head's JSON, made once per head.
 */
export class RawEntryReader {
  private readonly heads = new Map<string, Head>();
  /** The head of the last entry read, and its JSON: entries of one session come in runs. */
  private lastHead: Head | undefined;
  private lastHeadJson = '';
  private readonly numbers = new Array<number>(NUMBERS).fill(0);
  private readonly out: Outcome = { outcome: 'ok', errorCode: null, errorMessage: null, isError: null, result: undefined, resultJson: undefined };
  /** Reads the lines of a plain call in place (raw-fast.ts). */
  private readonly fast: RawFastReader;

  constructor(
    private readonly redactor: Redactor,
    private readonly cap: number,
  ) {
    this.fast = new RawFastReader(redactor, cap);
  }

  /** The head of the row row() returned last (chain-writer.ts: the heads' own statements, head-insert.ts). */
  get rowHead(): RawHead | undefined {
    return this.lastHead;
  }

  /** The row of raw entry `body` once it gets sequence number `seq`; undefined when malformed (a torn line). */
  row(seq: number, body: string): StoredRow | undefined {
    const n = this.numbers;
    let at = 1;
    let timeEnd = 0;
    for (let k = 0; k < NUMBERS; k++) {
      let v = 0;
      const from = at;
      let c = body.charCodeAt(at);
      while (c >= 0x30 && c <= 0x39) {
        v = v * 10 + (c - 0x30);
        c = body.charCodeAt(++at);
      }
      if (at === from || c !== 0x2c /* , */) return refuse('its numbers are not read (cut short, or damaged)');
      // Beyond 2^53 the digits are not what a double holds: a value never recorded.
      if (v > Number.MAX_SAFE_INTEGER) return refuse(`its number ${k + 1} is not a safe integer`);
      n[k] = v;
      if (k === 0) timeEnd = at;
      at++;
    }
    // The time's digits as the line has them when they are what `${time}` would write (no leading
    // zero, exact in a double): turning a number over 2^31 into text is a dtoa and a heap number per row.
    const timeText = timeEnd - 1 <= 15 && (timeEnd === 2 || body.charCodeAt(1) !== 0x30) ? body.slice(1, timeEnd) : `${n[0]!}`;
    const tab = body.indexOf('\t', at);
    if (tab < 0 || body.length !== tab + 1 + n[4]! + n[5]!) return refuse('its lines are not the length it gives (cut short, or damaged)');
    let head = this.lastHead;
    // Compared as a slice: ~40 ns against 70-100 for startsWith at an offset (V8 12, a head of ~100 characters).
    if (head === undefined || tab - at !== this.lastHeadJson.length || body.slice(at, tab) !== this.lastHeadJson) {
      const headJson = body.slice(at, tab);
      head = this.head(headJson);
      if (head === undefined) return undefined; // refusal.why: head() said why
      this.lastHead = head;
      this.lastHeadJson = headJson;
    }
    const fast = this.fast.row(seq, body, tab + 1, tab + 1 + n[4]!, head, n[0]!, timeText, n[1]!, n[2]!, n[3]!);
    if (fast !== undefined) return fast;
    let request: Json;
    try {
      request = JSON.parse(body.slice(tab + 1, tab + 1 + n[4]!)) as Json;
    } catch {
      return refuse('its request is not JSON');
    }
    // The proxy journals a raw entry only for a request `{..."method":"tools/call","params":{...`.
    if (!isObject(request)) return refuse('its request is not a JSON object');
    if (typeof request.method !== 'string') return refuse('its request method is not a string');
    if (request.params !== undefined && !isObject(request.params)) return refuse('its request params are not an object');
    const params = (request.params ?? {}) as Json;
    const method = text(request.method)!;
    const id = request.id as number | string | undefined;
    const requestId = id === undefined ? null : json(id);
    const tool = text(String(params.name))!;
    const o = this.out;
    answerInto(o, method, body.slice(tab + 1 + n[4]!));
    const args = payload(this.redactor.serializeFast(params.arguments, undefined, undefined), this.cap);
    const result = payload(this.redactor.serializeFast(o.result, undefined, o.resultJson), this.cap);
    o.result = undefined;
    const time = n[0]!;
    const backendMicros = n[1]!;
    const requestBytes = n[2]!;
    const responseBytes = n[3]!;
    const canonical =
      `[${seq},${timeText},${head.whoJson},${json(method)},${str(requestId)},${json(tool)},null,null,${num(args[1])},${str(args[2])},` +
      `${head.decidedJson},${json(o.outcome)},${num(o.errorCode)},${str(o.errorMessage)},${num(o.isError)},${num(result[1])},${str(result[2])},` +
      `${head.decisionMicros},${backendMicros},${requestBytes},${responseBytes}${head.rolesJson}]\t${args[0] ?? ''}\t${result[0] ?? ''}`;
    const w = head.who;
    const d = head.decided;
    const values: Value[] = [
      seq, time, w[0]!, w[1]!, w[2]!, w[3]!, w[4]!, w[5]!, method, requestId, tool, null, null, args[1], args[2],
      d[0]!, d[1]!, d[2]!, o.outcome, o.errorCode, o.errorMessage, o.isError, result[1], result[2],
      head.decisionMicros, backendMicros, requestBytes, responseBytes, head.roles, args[0], result[0],
    ];
    return [canonical, values];
  }

  private head(headJson: string): Head | undefined {
    let h = this.heads.get(headJson);
    if (h !== undefined) return h;
    let a: unknown[];
    try {
      a = JSON.parse(headJson) as unknown[];
    } catch {
      return refuse('its head is not JSON');
    }
    const problem = headProblem(a);
    if (problem !== undefined) return refuse(`its head: ${problem}`);
    const reasons = a[7] as string[];
    // As journalBody normalizes them: NOT NULL columns never null.
    const who: Value[] = [text(a[0] as string)!, text(a[1] as string)!, a[2] as string, text(a[3] as string)!, a[4] as string, text((a[5] as string | null) ?? undefined)];
    const decided: Value[] = [a[6] as string, reasons.length === 0 ? '[]' : json(reasons), text((a[8] as string | null) ?? undefined)];
    // The roles as journalBody stores them; a head without them (none, or an earlier version's) null.
    const roles = a.length === 11 ? rolesText(a[10] as string[]) : null;
    h = {
      who,
      whoJson: json(who).slice(1, -1),
      decided,
      decidedJson: json(decided).slice(1, -1),
      decisionMicros: int(a[9] as number) ?? 0,
      roles,
      rolesJson: roles === null ? '' : `,${json(roles)}`,
    };
    if (this.heads.size >= HEAD_CACHE_LIMIT) this.heads.clear();
    this.heads.set(headJson, h);
    return h;
  }
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const wellFormed = (v: unknown): boolean => isString(v) && (v as string & { isWellFormed(): boolean }).isWellFormed();
const strings = (v: unknown): boolean => Array.isArray(v) && v.every(isString);

/**
 * Why a raw entry's head (JSON.parse of rawHeadJson) is not one the proxy wrote, or undefined. Its
 * names may hold lone surrogates (text() makes them well-formed, as journalBody does); the values
 * stored as they are (auth method, transport, decision: the proxy's own words) may not.
 */
function headProblem(a: unknown): string | undefined {
  if (!Array.isArray(a) || (a.length !== 10 && a.length !== 11)) return 'not an array of 10 or 11 values';
  if (!isString(a[0])) return 'clientId is not a string';
  if (!isString(a[1])) return 'clientName is not a string';
  if (!wellFormed(a[2])) return 'authMethod is not a string';
  if (!isString(a[3])) return 'sessionId is not a string';
  if (!wellFormed(a[4])) return 'transport is not a string';
  if (a[5] !== null && !isString(a[5])) return 'backend is not a string or null';
  if (!wellFormed(a[6])) return 'decision is not a string';
  if (!strings(a[7])) return 'reasons are not an array of strings';
  if (a[8] !== null && !isString(a[8])) return 'policyVersion is not a string or null';
  if (typeof a[9] !== 'number' || !Number.isFinite(a[9])) return 'decisionMicros is not a number';
  if (a.length === 11 && (!strings(a[10]) || (a[10] as string[]).length === 0)) return 'roles are not an array of strings';
  return undefined;
}

/**
 * Fills in `o` from the answer's line, as the parsed path reads an answer (outcomeOf, buildRecord).
 * An answer that is not JSON (it went to the client as it came) is recorded as a parse error.
 */
function answerInto(o: Outcome, method: string, line: string): void {
  o.outcome = 'ok';
  o.errorCode = null;
  o.errorMessage = null;
  o.isError = null;
  o.result = undefined;
  o.resultJson = undefined;
  let answer: Json;
  try {
    answer = JSON.parse(line) as Json;
  } catch {
    answer = undefined as unknown as Json;
  }
  if (answer === null || typeof answer !== 'object') {
    o.outcome = 'rpc_error';
    o.errorCode = PARSE_ERROR;
    o.errorMessage = 'the backend answer is not a valid JSON object (it was passed to the client as it came)';
    return;
  }
  const error = answer.error as Json | null | undefined;
  if (error !== undefined) {
    o.outcome = 'rpc_error';
    const code = error?.code;
    const message = error?.message;
    if (typeof code === 'number') o.errorCode = int(code);
    if (message !== undefined) o.errorMessage = text(typeof message === 'string' ? message : json(message));
    return;
  }
  const result = answer.result as Json | null | undefined;
  if (result === undefined) return;
  o.result = result;
  o.resultJson = json(result);
  if (method === 'tools/call') {
    const isError = result !== null && typeof result === 'object' && result.isError === true;
    o.isError = isError ? 1 : 0;
    if (isError) o.outcome = 'tool_error';
  }
}
