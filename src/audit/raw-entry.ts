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
import type { AuditRecord, RawRecordHead } from '../types.js';
import { rowFromRecord, type StoredRow } from './journal-line.js';
import type { Redactor } from './redact.js';

/** The first character of a raw entry's body (a row's body starts with `[`). */
export const RAW_MARK = 0x52; /* R */

/** The JSON of what a raw entry shares with the other calls of its session and decision. */
export function rawHeadJson(h: RawRecordHead): string {
  return JSON.stringify([h.clientId, h.clientName, h.authMethod, h.sessionId, h.transport, h.backend ?? null, h.decision, h.reasons, h.policyVersion ?? null, h.decisionMicros]);
}

/** A raw entry's journal body (see the header). */
export function rawJournalBody(headJson: string, time: number, backendMicros: number, requestBytes: number, responseBytes: number, request: string, answer: string): string {
  return `R${time},${backendMicros},${requestBytes},${responseBytes},${request.length},${answer.length},${headJson}\t${request}${answer}`;
}

const HEAD_CACHE_LIMIT = 1024;
/** How many numbers precede the head. */
const NUMBERS = 6;
const PARSE_ERROR = -32700;

type Json = Record<string, unknown>;

/** Makes rows of raw entries on the writer thread. */
export class RawEntryReader {
  private readonly heads = new Map<string, RawRecordHead>();
  private readonly numbers = new Array<number>(NUMBERS).fill(0);

  constructor(
    private readonly redactor: Redactor,
    private readonly cap: number,
  ) {}

  /** The row of raw entry `body` once it gets sequence number `seq`; undefined when malformed (a torn line). */
  row(seq: number, body: string): StoredRow | undefined {
    const n = this.numbers;
    let at = 1;
    for (let k = 0; k < NUMBERS; k++) {
      let v = 0;
      const from = at;
      let c = body.charCodeAt(at);
      while (c >= 0x30 && c <= 0x39) {
        v = v * 10 + (c - 0x30);
        c = body.charCodeAt(++at);
      }
      if (at === from || c !== 0x2c /* , */) return undefined;
      n[k] = v;
      at++;
    }
    const tab = body.indexOf('\t', at);
    if (tab < 0 || body.length !== tab + 1 + n[4]! + n[5]!) return undefined;
    const head = this.head(body.slice(at, tab));
    if (head === undefined) return undefined;
    let request: Json;
    try {
      request = JSON.parse(body.slice(tab + 1, tab + 1 + n[4]!)) as Json;
    } catch {
      return undefined;
    }
    const params = (request.params ?? {}) as Json;
    const rec: AuditRecord = {
      time: n[0]!,
      clientId: head.clientId,
      clientName: head.clientName,
      authMethod: head.authMethod,
      sessionId: head.sessionId,
      transport: head.transport,
      backend: head.backend,
      method: String(request.method),
      requestId: request.id as number | string | undefined,
      tool: String(params.name),
      arguments: params.arguments,
      decision: head.decision,
      reasons: head.reasons,
      policyVersion: head.policyVersion,
      outcome: 'ok',
      decisionMicros: head.decisionMicros,
      backendMicros: n[1]!,
      requestBytes: n[2]!,
      responseBytes: n[3]!,
    };
    const resultJson = answerInto(rec, body.slice(tab + 1 + n[4]!));
    return rowFromRecord(seq, rec, this.redactor, this.cap, resultJson);
  }

  private head(json: string): RawRecordHead | undefined {
    let h = this.heads.get(json);
    if (h !== undefined) return h;
    let a: unknown[];
    try {
      a = JSON.parse(json) as unknown[];
    } catch {
      return undefined;
    }
    if (!Array.isArray(a) || a.length !== 10) return undefined;
    h = {
      clientId: a[0] as string,
      clientName: a[1] as string,
      authMethod: a[2] as RawRecordHead['authMethod'],
      sessionId: a[3] as string,
      transport: a[4] as RawRecordHead['transport'],
      backend: (a[5] as string | null) ?? undefined,
      decision: a[6] as RawRecordHead['decision'],
      reasons: a[7] as string[],
      policyVersion: (a[8] as string | null) ?? undefined,
      decisionMicros: a[9] as number,
    };
    if (this.heads.size >= HEAD_CACHE_LIMIT) this.heads.clear();
    this.heads.set(json, h);
    return h;
  }
}

/**
 * Fills in the outcome of `rec` from the answer's line, as the parsed path does (outcomeOf,
 * buildRecord); returns JSON.stringify of its result, if any. An answer that is not JSON (it went
 * to the client as it came) is recorded as a parse error.
 */
function answerInto(rec: AuditRecord, text: string): string | undefined {
  let answer: Json;
  try {
    answer = JSON.parse(text) as Json;
  } catch {
    rec.outcome = 'rpc_error';
    rec.errorCode = PARSE_ERROR;
    rec.errorMessage = 'the backend answer is not valid JSON (it was passed to the client as it came)';
    return undefined;
  }
  if (answer === null || typeof answer !== 'object') {
    rec.outcome = 'rpc_error';
    rec.errorCode = PARSE_ERROR;
    rec.errorMessage = 'the backend answer is not a JSON object (it was passed to the client as it came)';
    return undefined;
  }
  const error = answer.error as Json | null | undefined;
  if (error !== undefined) {
    rec.outcome = 'rpc_error';
    const code = error?.code;
    const message = error?.message;
    if (typeof code === 'number') rec.errorCode = code;
    if (message !== undefined) rec.errorMessage = typeof message === 'string' ? message : JSON.stringify(message);
    return undefined;
  }
  const result = answer.result as Json | null | undefined;
  if (result === undefined) return undefined;
  rec.result = result;
  const isError = result !== null && typeof result === 'object' && result.isError === true;
  if (rec.method === 'tools/call') {
    rec.isError = isError;
    if (isError) rec.outcome = 'tool_error';
  }
  return JSON.stringify(result);
}
