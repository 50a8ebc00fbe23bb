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
