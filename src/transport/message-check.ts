/**
 * The shape of one JSON-RPC 2.0 message read from a newline-delimited stream (ndjson.ts): a few
 * property reads on the parsed value, never a schema library, and the JSON-RPC error (-32600
 * invalid request, with the id when it can be read) for what is not a message. Batches are not
 * supported (MCP 2025-06-18 removed them).
 */

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

export interface InvalidMessage {
  code: number;
  message: string;
  id: string | number | null;
}

/** Checks the shape of a parsed value; returns undefined when it is a JSON-RPC message. */
export function checkMessage(value: unknown): InvalidMessage | undefined {
  if (typeof value !== 'object' || value === null) {
    return { code: INVALID_REQUEST, message: 'Invalid Request: a JSON-RPC message must be a JSON object', id: null };
  }
  if (Array.isArray(value)) {
    return { code: INVALID_REQUEST, message: 'Invalid Request: JSON-RPC batches are not supported', id: null };
  }
  const m = value as { jsonrpc?: unknown; id?: unknown; method?: unknown; result?: unknown; error?: unknown };
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
  if (m.jsonrpc !== '2.0') return { code: INVALID_REQUEST, message: 'Invalid Request: "jsonrpc" must be "2.0"', id };
  if (typeof m.method === 'string') {
    if (m.id !== undefined && id === null) {
      return { code: INVALID_REQUEST, message: 'Invalid Request: "id" must be a string or a number', id: null };
    }
    return undefined;
  }
  if (m.method !== undefined) return { code: INVALID_REQUEST, message: 'Invalid Request: "method" must be a string', id };
  if (id !== null && (m.result !== undefined || m.error !== undefined)) return undefined;
  if (m.id === undefined) return { code: INVALID_REQUEST, message: 'Invalid Request: missing "method" (and "id")', id: null };
  return { code: INVALID_REQUEST, message: 'Invalid Request: missing "method", or "result"/"error" for a response', id };
}
