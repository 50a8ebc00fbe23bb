/**
 * The JSON-RPC vocabulary of the proxy: the loose message shape it relays (fields it does not know
 * pass through untouched), the error codes it answers with itself, and small builders.
 */
export type RequestId = string | number;

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

/** Any JSON-RPC message, as parsed: request, notification, result or error. */
export interface RpcMessage {
  jsonrpc: '2.0';
  id?: RequestId | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: RpcError;
  [key: string]: unknown;
}

/** Error codes mcp-warden answers with on its own. */
export const RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** The backend that would answer is down, restarting or could not be started. */
  BACKEND_UNAVAILABLE: -32000,
  /** The policy denied the request (data: {reasons, policyVersion}). */
  DENIED: -32001,
  /** MCP: resource not found. */
  RESOURCE_NOT_FOUND: -32002,
  /** The backend did not answer within its timeoutMs. */
  BACKEND_TIMEOUT: -32003,
  /** The audit record could not be written and the recorder fails closed. */
  AUDIT_UNAVAILABLE: -32004,
} as const;

export function errorResponse(id: RequestId | null, code: number, message: string, data?: unknown): RpcMessage {
  const error: RpcError = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}

export function resultResponse(id: RequestId | null, result: Record<string, unknown>): RpcMessage {
  return { jsonrpc: '2.0', id, result };
}

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

/**
 * A message's original line with its id changed from `from` to `to`, when the id is written
 * compactly where the MCP SDKs put it: first after `"jsonrpc":"2.0"` (Python SDK, hand-written
 * servers), first of all, or last (TypeScript SDK: `…,"id":7}`); else undefined (the caller then
 * serializes the parsed message). The line parsed as a JSON object, so at its start these members
 * are the top-level object's own, and a final `}` closes the top-level object, so an unescaped
 * `"id":` right after `,` or `{` before it is that object's own id key.
 */
export function withSplicedId(line: string, from: RequestId, to: RequestId): string | undefined {
  const value = typeof from === 'number' ? String(from) : JSON.stringify(from);
  const next = typeof to === 'number' ? String(to) : JSON.stringify(to);
  for (const head of HEADS) {
    if (!line.startsWith(head)) continue;
    const after = head.length + value.length;
    const c = line.charCodeAt(after);
    if ((c === 0x2c /* , */ || c === 0x7d /* } */) && line.startsWith(value, head.length)) return head + next + line.slice(after);
  }
  const end = line.length - 1 - value.length; // index just past `"id":`
  const key = end - 5;
  if (key < 1 || line.charCodeAt(line.length - 1) !== 0x7d /* } */) return undefined;
  if (!line.startsWith(value, end) || !line.startsWith('"id":', key)) return undefined;
  const before = line.charCodeAt(key - 1);
  if (before !== 0x2c /* , */ && before !== 0x7b /* { */) return undefined;
  return line.slice(0, end) + next + '}';
}
