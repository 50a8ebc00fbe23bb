/**
 * The shape of one JSON-RPC 2.0 message read from a newline-delimited stream (ndjson.ts): a few
 * property reads on the parsed value, never a schema library, and the JSON-RPC error (-32600
 * invalid request, with the id when it can be read) for what is not a message. Batches are not
 * supported (MCP 2025-06-18 removed them).
 */

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

/**
 * Deepest nesting of arrays and objects accepted in a client's message (the message object is level
 * 1; a tools/call's arguments are level 3). JSON.parse takes any depth, but what the proxy does with
 * a message afterwards recurses (JSON.stringify on its way to a backend, the audit's redaction, the
 * policy's input): a few kilobytes of `[[[[...` overflowed the stack in a callback and ended the
 * whole process, every other client's session with it. As serde_json's default (128).
 */
export const MAX_NESTING = 128;

/** Whether `value` holds arrays or objects nested more than `levels` deep (stops at that depth: the stack stays bounded). */
function deeperThan(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (deeperThan(value[i], levels - 1)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) if (deeperThan(record[key], levels - 1)) return true;
  return false;
}

/**
 * The JSON-RPC error for a message parsed from `chars` characters of text that nests deeper than
 * `max` levels, or undefined. A text shorter than 2 * (max + 1) characters cannot (each level takes
 * an opening and a closing bracket), so most messages are not walked at all.
 */
export function nestingProblem(value: unknown, chars: number, max = MAX_NESTING): InvalidMessage | undefined {
  if (chars < 2 * (max + 1) || !deeperThan(value, max)) return undefined;
  const m = value as { id?: unknown; method?: unknown };
  // Only a request's id: an answer's id is one of the proxy's own requests, and the error, sent to
  // the client with it, would read as the answer to the client's own request of that id.
  const id = typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number') ? m.id : null;
  return { code: INVALID_REQUEST, message: `Invalid Request: the message nests arrays and objects deeper than ${max} levels`, id };
}

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
  // A number too large for a double (1e400) parses as Infinity, which JSON writes as null: its
  // answer would go out with id null, matching no request (the HTTP frontends refuse it too).
  const id = typeof m.id === 'string' || (typeof m.id === 'number' && Number.isFinite(m.id)) ? m.id : null;
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
