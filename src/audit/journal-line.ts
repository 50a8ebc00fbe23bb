/**
 * The journal line of a record, and the row the writer thread makes of it. The line is what the
 * proxy's thread must write before a call's answer goes out, so it is made as cheaply as possible:
 * the record's fields as they are (one JSON array), then the redacted arguments and result JSON
 * text. Everything else a row needs (integers, well-formed text, payload sizes and
 * the canonical line the chain hashes) is computed by the writer thread from that line. Redaction
 * and the payload cap are never deferred: no secret and no oversized payload reaches the journal.
 *
 * Line: `<journal seq> ~<fields JSON>\t<arguments>\t<result>`, a payload being its JSON text, empty
 * when absent, or `#<bytes>:<sha256>` when over the cap.
 * (Lines whose body starts with `[` are the older format, already the canonical line without seq.)
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../types.js';
import type { Redactor } from './redact.js';
import { canonicalFromBody, parseCanonicalLine } from './row.js';

/** Marks a body in this format (after the journal seq and its space). */
export const FIELDS_MARK = '~';
const FIELDS_MARK_CODE = 0x7e;
const OLD_BODY_CODE = 0x5b; // [
const CAPPED_MARK = '#';
const CAPPED_CODE = 0x23;

/** Fields of a record in the journal's fields array, in this order. */
const FIELDS = 23;

/**
 * The journal body of a record (without the journal seq): redaction applied, nothing else done.
 * `resultJson`, when given, is JSON.stringify(entry.result) already made by the caller.
 */
export function journalBody(entry: AuditRecord, redactor: Redactor, cap: number, resultJson?: string): string {
  const rules = entry.redact !== undefined && entry.redact.length > 0 ? entry.redact : undefined;
  const args = capped(redactor.serializeFast(entry.arguments, rules, undefined), cap);
  const result = capped(redactor.serializeFast(entry.result, rules, resultJson), cap);
  const errorMessage = rules === undefined || entry.errorMessage === undefined ? entry.errorMessage : redactor.redactText(entry.errorMessage, rules);
  // undefined elements serialize as null; the writer thread normalizes every value.
  const fields = JSON.stringify([
    entry.time,
    entry.clientId,
    entry.clientName,
    entry.authMethod,
    entry.sessionId,
    entry.transport,
    entry.backend,
    entry.method,
    entry.requestId,
    entry.tool,
    entry.resource,
    entry.prompt,
    entry.decision,
    entry.reasons,
    entry.policyVersion,
    entry.outcome,
    entry.errorCode,
    errorMessage,
    entry.isError,
    entry.decisionMicros,
    entry.backendMicros,
    entry.requestBytes,
    entry.responseBytes,
  ]);
  return `${FIELDS_MARK}${fields}\t${args ?? ''}\t${result ?? ''}`;
}

/**
 * A payload within the cap as it is; one over the cap as `#<bytes>:<sha256>` (no JSON text starts
 * with `#`), so that large payloads do not reach the journal either.
 */
function capped(json: string | undefined, cap: number): string | undefined {
  // At most 3 UTF-8 bytes per UTF-16 unit: most payloads need no byte count here.
  if (json === undefined || json.length * 3 <= cap) return json;
  const bytes = Buffer.byteLength(json);
  return bytes <= cap ? json : `${CAPPED_MARK}${bytes}:${createHash('sha256').update(json).digest('hex')}`;
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const s = value as string & { isWellFormed(): boolean; toWellFormed(): string };
  // Lone surrogates would not survive the UTF-8 round trip through SQLite and break the hash.
  return s.isWellFormed() ? value : s.toWellFormed();
}

function int(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null;
}

/** The stored row of a journal body: [canonical line, column values in ROW_COLUMNS order]. */
export type StoredRow = [string, Array<string | number | null>];

/**
 * The row for journal body `body` once the writer gives it sequence number `seq`; undefined when
 * the body is malformed (a torn line after a crash).
 */
export function rowFromBody(seq: number, body: string, cap: number): StoredRow | undefined {
  const first = body.charCodeAt(0);
  if (first === OLD_BODY_CODE) {
    const canonical = canonicalFromBody(seq, body);
    const values = parseCanonicalLine(canonical);
    return values === undefined ? undefined : [canonical, values];
  }
  if (first !== FIELDS_MARK_CODE) return undefined;
  const tab1 = body.indexOf('\t');
  const tab2 = tab1 < 0 ? -1 : body.indexOf('\t', tab1 + 1);
  if (tab2 < 0) return undefined;
  let f: unknown[];
  try {
    f = JSON.parse(body.slice(1, tab1)) as unknown[];
  } catch {
    return undefined;
  }
  if (!Array.isArray(f) || f.length !== FIELDS) return undefined;
  const argsText = body.slice(tab1 + 1, tab2);
  const resultText = body.slice(tab2 + 1);
  const args = payload(argsText, cap);
  const result = payload(resultText, cap);
  if (args === undefined || result === undefined) return undefined;
  const requestId = f[8];
  const isError = f[18];
  const scalars: Array<string | number | null> = [
    seq,
    int(f[0]) ?? 0,
    text(f[1]) ?? '',
    text(f[2]) ?? '',
    text(f[3]) ?? '',
    text(f[4]) ?? '',
    text(f[5]) ?? '',
    text(f[6]),
    text(f[7]) ?? '',
    typeof requestId === 'string' || typeof requestId === 'number' ? JSON.stringify(requestId) : null,
    text(f[9]),
    text(f[10]),
    text(f[11]),
    args[1],
    args[2],
    text(f[12]) ?? '',
    JSON.stringify(Array.isArray(f[13]) ? f[13] : []),
    text(f[14]),
    text(f[15]) ?? '',
    int(f[16]),
    text(f[17]),
    isError === true ? 1 : isError === false ? 0 : null,
    result[1],
    result[2],
    int(f[19]) ?? 0,
    int(f[20]),
    int(f[21]),
    int(f[22]),
  ];
  const canonical = `${JSON.stringify(scalars)}\t${args[0] ?? ''}\t${result[0] ?? ''}`;
  scalars.push(args[0], result[0]);
  return [canonical, scalars];
}

/** Payload text, size and (when over the cap) hash; the text is null when over the cap. */
function payload(json: string, cap: number): [string | null, number | null, string | null] | undefined {
  if (json.length === 0) return [null, null, null];
  if (json.charCodeAt(0) === CAPPED_CODE) {
    const colon = json.indexOf(':');
    const bytes = Number(json.slice(1, colon));
    return colon < 0 || !Number.isSafeInteger(bytes) ? undefined : [null, bytes, json.slice(colon + 1)];
  }
  // A journal written under a larger cap than this process's.
  const bytes = Buffer.byteLength(json);
  if (bytes <= cap) return [json, bytes, null];
  return [null, bytes, createHash('sha256').update(json).digest('hex')];
}
