/**
 * A stored row's canonical line (the input of its chained hash) and the row's decoding into
 * objects for queries. (The row itself is made from a journal line by journal-line.ts.)
 */
import crypto, { createHash } from 'node:crypto';
import { ROLES_COLUMN, SCALAR_COLUMNS, type ScalarValues } from './schema.js';

/** The canonical line of a journal body once the row's sequence number is known. */
export function canonicalFromBody(seq: number, body: string): string {
  return `[${seq},${body.slice(1)}`;
}

/** A canonical line split back into the stored column values (ROW_COLUMNS order); undefined if malformed. */
export function parseCanonicalLine(line: string): Array<string | number | null> | undefined {
  const tab1 = line.indexOf('\t');
  const tab2 = tab1 < 0 ? -1 : line.indexOf('\t', tab1 + 1);
  if (tab2 < 0) return undefined;
  let scalars: unknown;
  try {
    scalars = JSON.parse(line.slice(0, tab1));
  } catch {
    return undefined;
  }
  if (!Array.isArray(scalars) || typeof scalars[0] !== 'number') return undefined;
  // Roles, when the line has them, are the last scalar and a string (a null roles is left out: ROLES_COLUMN).
  if (scalars.length === SCALAR_COLUMNS.length) scalars.push(null);
  else if (scalars.length !== SCALAR_COLUMNS.length + 1 || typeof scalars[SCALAR_COLUMNS.length] !== 'string') return undefined;
  const args = line.slice(tab1 + 1, tab2);
  const result = line.slice(tab2 + 1);
  scalars.push(args === '' ? null : args, result === '' ? null : result);
  return scalars as Array<string | number | null>;
}

const sha256Hex: (data: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => (crypto as unknown as { hash(alg: string, data: string, enc: string): string }).hash('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data).digest('hex');

/** SHA-256 over the previous row's hash and this row's canonical line. */
export function chainHash(prevHash: string, canonicalLine: string): string {
  return sha256Hex(`${prevHash}\n${canonicalLine}`);
}

/**
 * The canonical line of a stored row (the same string its journal entry had): the roles are in it
 * when they are not null (ROLES_COLUMN), so a row stored before schema 4 keeps its line and hash,
 * and a row's roles can be neither changed nor removed nor added without changing its line.
 */
export function canonicalLine(row: Record<string, unknown>): string {
  const scalars: ScalarValues = new Array(SCALAR_COLUMNS.length);
  for (let i = 0; i < SCALAR_COLUMNS.length; i++) scalars[i] = (row[SCALAR_COLUMNS[i]!] ?? null) as string | number | null;
  const roles = row[ROLES_COLUMN];
  if (roles !== null && roles !== undefined) scalars.push(roles as string | number);
  return `${JSON.stringify(scalars)}\t${(row.arguments as string | null) ?? ''}\t${(row.result as string | null) ?? ''}`;
}

/** A stored row as the query API and CLI present it. */
export interface AuditEntry {
  seq: number;
  time: number;
  clientId: string;
  clientName: string;
  authMethod: string;
  /** The client's roles when it called; null when it had none (or the row predates schema 4). */
  roles: string[] | null;
  sessionId: string;
  transport: string;
  backend: string | null;
  method: string;
  requestId: string | number | null;
  tool: string | null;
  resource: string | null;
  prompt: string | null;
  /** Parsed (redacted) arguments; null when absent or over the size cap (see argumentsSha256). */
  arguments: unknown;
  argumentsBytes: number | null;
  argumentsSha256: string | null;
  decision: string;
  reasons: string[];
  policyVersion: string | null;
  outcome: string;
  errorCode: number | null;
  errorMessage: string | null;
  isError: boolean | null;
  result: unknown;
  resultBytes: number | null;
  resultSha256: string | null;
  decisionMicros: number;
  backendMicros: number | null;
  requestBytes: number | null;
  responseBytes: number | null;
  hash: string;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** A stored roles text as an array (a value that is not a JSON array of strings, as text: a tampered row is shown, not hidden). */
function rolesOf(value: unknown): string[] {
  const v = parseJson(value);
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : [String(value)];
}

export function decodeRow(r: Record<string, unknown>): AuditEntry {
  return {
    seq: r.seq as number,
    time: r.time as number,
    clientId: r.client_id as string,
    clientName: r.client_name as string,
    authMethod: r.auth_method as string,
    roles: r.roles === null || r.roles === undefined ? null : rolesOf(r.roles),
    sessionId: r.session_id as string,
    transport: r.transport as string,
    backend: (r.backend as string | null) ?? null,
    method: r.method as string,
    requestId: r.request_id === null ? null : (parseJson(r.request_id) as string | number),
    tool: (r.tool as string | null) ?? null,
    resource: (r.resource as string | null) ?? null,
    prompt: (r.prompt as string | null) ?? null,
    arguments: parseJson(r.arguments),
    argumentsBytes: (r.arguments_bytes as number | null) ?? null,
    argumentsSha256: (r.arguments_sha256 as string | null) ?? null,
    decision: r.decision as string,
    reasons: (parseJson(r.reasons) as string[] | null) ?? [],
    policyVersion: (r.policy_version as string | null) ?? null,
    outcome: r.outcome as string,
    errorCode: (r.error_code as number | null) ?? null,
    errorMessage: (r.error_message as string | null) ?? null,
    isError: r.is_error === null || r.is_error === undefined ? null : r.is_error === 1,
    result: parseJson(r.result),
    resultBytes: (r.result_bytes as number | null) ?? null,
    resultSha256: (r.result_sha256 as string | null) ?? null,
    decisionMicros: r.decision_micros as number,
    backendMicros: (r.backend_micros as number | null) ?? null,
    requestBytes: (r.request_bytes as number | null) ?? null,
    responseBytes: (r.response_bytes as number | null) ?? null,
    hash: r.hash as string,
  };
}
