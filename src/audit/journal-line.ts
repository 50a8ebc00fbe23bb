/**
 * The journal line of a record, and the row the writer thread makes of it. The line is what the
 * proxy's thread must write before a call's answer goes out, so it is made with as little work as
 * the chain allows: the row's canonical line without `seq` (see SCALAR_COLUMNS), with redaction
 * and the payload cap applied; the writer thread adds `seq`, splits the line into column values and
 * hashes it. Redaction and the cap are never deferred: no secret and no oversized payload reaches
 * the journal.
 *
 * Line: `<journal seq> <canonical line without seq>`.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../types.js';
import type { Redactor } from './redact.js';
import { parsedRowProblem, refuse } from './line-check.js';
import { canonicalFromBody } from './row.js';
import { SCALAR_COLUMNS, type ScalarValues } from './schema.js';

export function text(value: string | undefined): string | null {
  if (value === undefined) return null;
  const s = value as string & { isWellFormed(): boolean; toWellFormed(): string };
  // Lone surrogates would not survive the UTF-8 round trip through SQLite and break the hash.
  return s.isWellFormed() ? value : s.toWellFormed();
}

export function int(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : Math.round(value);
}

/** The roles column of a client's roles: their JSON array text in the order given, or null for none. */
export function rolesText(roles: readonly string[] | null | undefined): string | null {
  // JSON.stringify escapes lone surrogates: the text is well-formed whatever the roles hold.
  return roles === undefined || roles === null || roles.length === 0 ? null : JSON.stringify(roles);
}

/** Payload text, size and (when over the cap) hash; the text is null when over the cap. */
export function payload(json: string | undefined, cap: number): [string | null, number | null, string | null] {
  if (json === undefined) return [null, null, null];
  const bytes = Buffer.byteLength(json);
  if (bytes <= cap) return [json, bytes, null];
  return [null, bytes, createHash('sha256').update(json).digest('hex')];
}

/**
 * The journal body of a record: its canonical line without `seq`. `resultJson`, when given, is
 * JSON.stringify(entry.result) already made by the caller (it is not made twice).
 */
export function journalBody(entry: AuditRecord, redactor: Redactor, cap: number, resultJson?: string): string {
  const [scalars, args, result] = recordColumns(entry, redactor, cap, resultJson);
  return `${JSON.stringify(scalars)}\t${args ?? ''}\t${result ?? ''}`;
}

/**
 * What is said in place of a value JSON.stringify could not write (`err`): nested deeper than its
 * stack goes, or longer than a string may be (RangeError; anything else is thrown on). A backend's
 * answer has no nesting bound (the frontends bound only clients' messages): a record that threw
 * there left a call the backend had run in no row, and the client was answered -32004.
 */
function unwritable(err: unknown, what: string): string {
  if (!(err instanceof RangeError)) throw err;
  return `the ${what} is not recorded: it nests too deeply (or is too large) to be written as JSON`;
}

/** `note` added to what a row's message says. */
function noted(notes: string | undefined, note: string): string {
  return notes === undefined ? note : `${notes}; ${note}`;
}

/** A record's column values, redacted and capped: [scalars without seq, arguments text, result text]. */
function recordColumns(entry: AuditRecord, redactor: Redactor, cap: number, resultJson: string | undefined): [ScalarValues, string | null, string | null] {
  const rules = entry.redact !== undefined && entry.redact.length > 0 ? entry.redact : undefined;
  // Written without closures or arrays on the way (a record per request); notes only on failure.
  let notes: string | undefined;
  let argsText: string | undefined;
  let resultText: string | undefined;
  try {
    argsText = redactor.serializeFast(entry.arguments, rules, undefined);
  } catch (err) {
    notes = noted(notes, unwritable(err, 'arguments'));
  }
  try {
    resultText = redactor.serializeFast(entry.result, rules, resultJson);
  } catch (err) {
    notes = noted(notes, unwritable(err, 'result'));
  }
  const args = payload(argsText, cap);
  const result = payload(resultText, cap);
  // A backend's error message is whatever its JSON holds: one that is not a string is recorded as
  // its JSON text (as the raw path records it, raw-entry.ts), never a record that throws and so an
  // executed call in no row. What could not be recorded is said there too.
  const written: unknown = entry.errorMessage;
  let message: string | undefined;
  if (written === undefined || typeof written === 'string') message = written;
  else {
    try {
      message = JSON.stringify(written);
    } catch (err) {
      notes = noted(notes, unwritable(err, 'error message'));
    }
  }
  if (notes !== undefined) message = message === undefined ? notes : `${message} (${notes})`;
  const id = entry.requestId;
  const reasons = entry.reasons;
  // NOT NULL columns never get null: one row the database refuses would hold up every row after it.
  const scalars: ScalarValues = [
    int(entry.time) ?? Date.now(),
    text(entry.clientId)!,
    text(entry.clientName)!,
    entry.authMethod,
    text(entry.sessionId)!,
    entry.transport,
    text(entry.backend),
    text(entry.method)!,
    id === undefined ? null : JSON.stringify(id),
    text(entry.tool),
    // The policy's redact patterns too, as in the result that repeats the URI (contents[].uri).
    text(entry.resource === undefined ? undefined : redactor.redactText(redactor.redactQuery(entry.resource), rules)),
    text(entry.prompt),
    args[1],
    args[2],
    entry.decision,
    // A policy may write what the client sent into its reasons (`Resource '%s' ...` with the URI): masked as an error message is.
    reasons === undefined || reasons.length === 0 ? '[]' : JSON.stringify(reasons.map((r) => redactor.redactText(redactor.redactQuery(r), rules))),
    text(entry.policyVersion),
    entry.outcome,
    int(entry.errorCode),
    message === undefined ? null : text(redactor.redactText(redactor.redactQuery(message), rules)),
    entry.isError === undefined ? null : entry.isError ? 1 : 0,
    result[1],
    result[2],
    int(entry.decisionMicros) ?? 0,
    int(entry.backendMicros),
    int(entry.requestBytes),
    int(entry.responseBytes),
  ];
  // The roles are the line's last scalar, and only when there are some (schema.ts ROLES_COLUMN).
  const roles = entry.roles;
  if (roles !== undefined && roles.length > 0) scalars.push(rolesText(roles));
  return [scalars, args[0], result[0]];
}

/** The stored row of a journal body: [canonical line, column values in ROW_COLUMNS order]. */
export type StoredRow = [string, Array<string | number | null>];

/**
 * The row for journal body `body` once the writer gives it sequence number `seq`; undefined when
 * the body is not one the proxy wrote (a torn line after a crash, a damaged one: line-check.ts,
 * refusal.why says why).
 */
export function rowFromBody(seq: number, body: string): StoredRow | undefined {
  if (body.charCodeAt(0) !== 0x5b /* [ */) return refuse('it is neither a row nor a raw entry');
  const canonical = canonicalFromBody(seq, body);
  const tab1 = canonical.indexOf('\t');
  const tab2 = tab1 < 0 ? -1 : canonical.indexOf('\t', tab1 + 1);
  if (tab2 < 0) return refuse('it has no payload columns (cut short)');
  const scalarsJson = canonical.slice(0, tab1);
  let scalars: unknown;
  try {
    scalars = JSON.parse(scalarsJson);
  } catch {
    return refuse('its scalars are not JSON (cut short, or damaged)');
  }
  const n = SCALAR_COLUMNS.length;
  // Roles, when the line has them, are the last scalar and a string (a null roles is left out: ROLES_COLUMN).
  if (!Array.isArray(scalars) || !(scalars.length === n || (scalars.length === n + 1 && typeof scalars[n] === 'string'))) return refuse('its scalars are not the columns of a row');
  const args = canonical.slice(tab1 + 1, tab2);
  const result = canonical.slice(tab2 + 1);
  const values = scalars as Array<string | number | null>;
  const problem = parsedRowProblem(values, scalarsJson, args === '' ? null : args, result === '' ? null : result);
  if (problem !== undefined) return refuse(problem);
  if (values.length === n) values.push(null);
  values.push(args === '' ? null : args, result === '' ? null : result);
  return [canonical, values];
}
