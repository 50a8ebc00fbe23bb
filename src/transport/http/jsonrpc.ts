/**
 * JSON-RPC framing checks for the HTTP frontends: one parse of a POST body into one message, shape
 * checks that reject what MCP forbids (batches, non-objects, requests without a method or id), and
 * the error bodies the frontends answer with. Only the shape is checked here; params are the
 * proxy's business and pass through untouched.
 */
import type { ServerResponse } from 'node:http';
import { nestingProblem } from '../message-check.js';
import type { JSONRPCMessage } from '../types.js';

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INTERNAL_ERROR = -32603;
/** Implementation-defined server errors (transport level: headers, sessions, auth). */
export const SERVER_ERROR = -32000;
export const SESSION_NOT_FOUND = -32001;

export type RequestId = string | number;

/** What a POST body turned out to be. `kind` tells the frontend how to answer it. */
export type ParsedBody =
  | { kind: 'request'; message: JSONRPCMessage; id: RequestId; method: string }
  | { kind: 'notification'; message: JSONRPCMessage; method: string }
  | { kind: 'response'; message: JSONRPCMessage; id: RequestId }
  | { kind: 'invalid'; status: number; code: number; message: string; id: RequestId | null };

function invalid(code: number, message: string, id: RequestId | null = null): ParsedBody {
  return { kind: 'invalid', status: 400, code, message, id };
}

function isId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** Parses and classifies one POST body (a string, as read by the frontend's content parser). */
export function parseBody(body: unknown): ParsedBody {
  if (typeof body !== 'string' || body.length === 0) {
    return invalid(PARSE_ERROR, 'Parse error: empty request body (expected one JSON-RPC message)');
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return invalid(PARSE_ERROR, `Parse error: ${(error as Error).message}`);
  }
  const parsed = classifyMessage(value);
  if (parsed.kind === 'invalid') return parsed;
  // What the proxy does with a message recurses: a deeply nested one would overflow the stack (message-check.ts).
  const tooDeep = nestingProblem(value, body.length);
  return tooDeep === undefined ? parsed : invalid(tooDeep.code, tooDeep.message, tooDeep.id);
}

/** Checks the shape of an already parsed value. */
export function classifyMessage(value: unknown): ParsedBody {
  if (typeof value !== 'object' || value === null) {
    return invalid(INVALID_REQUEST, 'Invalid Request: the body must be a JSON-RPC message object');
  }
  if (Array.isArray(value)) {
    return invalid(INVALID_REQUEST, 'Invalid Request: JSON-RPC batches are not supported (removed in MCP 2025-06-18); send one message per request');
  }
  const message = value as Record<string, unknown>;
  const rawId = message.id;
  const id = isId(rawId) ? rawId : null;
  if (message.jsonrpc !== '2.0') {
    return invalid(INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"', id);
  }
  const method = message.method;
  if (method !== undefined) {
    if (typeof method !== 'string' || method.length === 0) {
      return invalid(INVALID_REQUEST, 'Invalid Request: "method" must be a non-empty string', id);
    }
    if (rawId === undefined) return { kind: 'notification', message: value as JSONRPCMessage, method };
    if (id === null) return invalid(INVALID_REQUEST, 'Invalid Request: "id" must be a string or a number');
    return { kind: 'request', message: value as JSONRPCMessage, id, method };
  }
  if (id !== null && ('result' in message || 'error' in message)) {
    return { kind: 'response', message: value as JSONRPCMessage, id };
  }
  if (rawId === undefined) {
    return invalid(INVALID_REQUEST, 'Invalid Request: a message needs a "method" (request or notification) or an "id" with "result"/"error" (response)');
  }
  return invalid(INVALID_REQUEST, 'Invalid Request: missing "method" (a request needs "method" and "id")', id);
}

/** Byte size of a request's body: its Content-Length, or counted when it came chunked. */
export function bodyBytes(request: { headers: { 'content-length'?: string }; body?: unknown }): number | undefined {
  const declared = request.headers['content-length'];
  if (declared !== undefined) return Number(declared);
  return typeof request.body === 'string' ? Buffer.byteLength(request.body) : undefined;
}

/** Serialized JSON-RPC error response. */
export function errorBody(code: number, message: string, id: RequestId | null = null): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });
}

/** Answers a raw response with a JSON-RPC error (used after reply.hijack() and in hooks). */
export function writeJsonError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  id: RequestId | null = null,
  extraHeaders?: Record<string, string>,
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = errorBody(code, message, id);
  res.writeHead(status, {
    ...extraHeaders,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * The answer sent in place of one that cannot be serialized (a backend's result nested deeper than
 * JSON.stringify goes, which JSON.parse read): as the stdio path answers it (backend.ts dispatch).
 * Without it the answer's exchange was already taken out and the client's request hung for good.
 */
export function unrelayableAnswer(id: RequestId, err: unknown): JSONRPCMessage {
  const message = `Internal error in mcp-warden: the answer cannot be relayed: ${(err as Error)?.message ?? String(err)}`;
  return { jsonrpc: '2.0', id, error: { code: INTERNAL_ERROR, message } } as JSONRPCMessage;
}

/** Why a request was given up because the credential it was made with stopped holding (the audit's error message for it). */
export const ABANDONED_CREDENTIAL = 'the credential it was made with is no longer valid (revoked, expired or removed)';
/** The error answer of a request whose credential stopped holding before it was answered. */
export const CREDENTIAL_GONE_MESSAGE = `Unauthorized: ${ABANDONED_CREDENTIAL}; the request was cancelled and its answer withheld`;
