/**
 * Streamable HTTP (MCP 2025-11-25) on one path: POST carries one JSON-RPC message (an `initialize`
 * request without Mcp-Session-Id opens a session), GET opens the session's standalone SSE stream,
 * DELETE ends the session (a new GET replaces an open GET stream). Checks, in order: MCP-Protocol-Version (400), Accept (406), the body
 * (400 with -32700 / -32600), the session (400 without Mcp-Session-Id, 404 unknown, closed or owned
 * by another client), the session's flow limits for a request (429 + Retry-After). Answers are written on the raw response (reply.hijack()). A stateless
 * (2026-07-28) request, which carries no session, would branch off where a missing Mcp-Session-Id
 * is refused today.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../log/logger.js';
import type { RefusalLog } from '../../log/refusal-log.js';
import type { SessionAcceptor } from '../types.js';
import { INTERNAL_ERROR, INVALID_REQUEST, SERVER_ERROR, SESSION_NOT_FOUND, bodyBytes, parseBody, writeJsonError, type RequestId } from './jsonrpc.js';
import { addressKey, type SessionRegistry } from './sessions.js';
import { StreamableHttpSession } from './streamable-session.js';

const SUPPORTED_VERSIONS = new Set<string>(SUPPORTED_PROTOCOL_VERSIONS);
const SUPPORTED_LIST = SUPPORTED_PROTOCOL_VERSIONS.join(', ');

export interface StreamableRoutesOptions {
  acceptor: SessionAcceptor;
  registry: SessionRegistry;
  logger: Logger;
  refusals: RefusalLog;
}

function acceptsJsonAndSse(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  if (accept.includes('*/*')) return true;
  return (accept.includes('application/json') || accept.includes('application/*')) && (accept.includes('text/event-stream') || accept.includes('text/*'));
}

function acceptsSse(accept: string | undefined): boolean {
  return accept !== undefined && (accept.includes('text/event-stream') || accept.includes('text/*') || accept.includes('*/*'));
}

/** 400 when an MCP-Protocol-Version header names a version we do not speak; true when it did. */
function rejectedProtocolVersion(request: FastifyRequest, res: ServerResponse): boolean {
  const version = request.headers['mcp-protocol-version'];
  if (version === undefined || (typeof version === 'string' && SUPPORTED_VERSIONS.has(version))) return false;
  writeJsonError(res, 400, SERVER_ERROR, `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(version)} (supported: ${SUPPORTED_LIST})`);
  return true;
}

export function createStreamableHandlers(options: StreamableRoutesOptions) {
  const { acceptor, registry, logger, refusals } = options;

  /** The caller's session, or undefined after answering 400 / 404. */
  function sessionOf(request: FastifyRequest, res: ServerResponse, id: RequestId | null = null): StreamableHttpSession | undefined {
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId !== 'string' || sessionId.length === 0) {
      writeJsonError(res, 400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required (send initialize first)', id);
      return undefined;
    }
    const session = registry.get(sessionId);
    // A session owned by another client is reported exactly like an unknown one.
    if (!(session instanceof StreamableHttpSession) || session.isClosed || session.ownerId !== request.wardenClient?.id) {
      writeJsonError(res, 404, SESSION_NOT_FOUND, 'Session not found (unknown, expired or terminated Mcp-Session-Id): initialize a new session', id);
      return undefined;
    }
    session.lastActivity = Date.now();
    return session;
  }

  async function initialize(request: FastifyRequest, res: ServerResponse, id: RequestId, message: Parameters<StreamableHttpSession['acceptRequest']>[1]): Promise<void> {
    const client = request.wardenClient;
    if (client === null) {
      writeJsonError(res, 401, SERVER_ERROR, 'Unauthenticated', id);
      return;
    }
    const address = addressKey(request.raw.socket.remoteAddress);
    const refusal = registry.refusal(client.id, address);
    if (refusal !== undefined) {
      refusals.log(logger, 'info', `session\0${refusal}\0${address}`, { client: client.id, address, refusal }, 'http: new session refused (session limit)');
      writeJsonError(res, 503, SERVER_ERROR, `Service unavailable: ${refusal}; close some or retry later`, id, { 'retry-after': '5' });
      return;
    }
    const session = new StreamableHttpSession(randomUUID(), client, registry, address);
    registry.add(session);
    try {
      await acceptor.openSession(session, { sessionId: session.sessionId, transport: 'streamable-http', client });
    } catch (error) {
      logger.error({ err: error, sessionId: session.sessionId }, 'http: the proxy refused a new Streamable HTTP session');
      await session.close();
      writeJsonError(res, 500, INTERNAL_ERROR, 'Internal error: could not open the session', id);
      return;
    }
    if (session.isClosed) {
      writeJsonError(res, 503, SERVER_ERROR, 'Service unavailable: the session closed while opening (is the server shutting down?)', id);
      return;
    }
    logger.debug({ sessionId: session.sessionId, client: client.id }, 'http: Streamable HTTP session opened');
    try {
      session.acceptInitialize(id, message, res, bodyBytes(request));
    } catch (error) {
      proxyFailed(error, res, id);
    }
  }

  function post(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    reply.hijack();
    const res = reply.raw;
    if (rejectedProtocolVersion(request, res)) return undefined;
    if (!acceptsJsonAndSse(request.headers.accept)) {
      writeJsonError(res, 406, SERVER_ERROR, 'Not Acceptable: the Accept header must list both application/json and text/event-stream');
      return undefined;
    }
    const parsed = parseBody(request.body);
    if (parsed.kind === 'invalid') {
      writeJsonError(res, parsed.status, parsed.code, parsed.message, parsed.id);
      return undefined;
    }
    if (parsed.kind === 'request' && parsed.method === 'initialize') {
      if (request.headers['mcp-session-id'] !== undefined) {
        writeJsonError(res, 400, INVALID_REQUEST, 'Invalid Request: this session is already initialized (send initialize without Mcp-Session-Id to open a new one)', parsed.id);
        return undefined;
      }
      return initialize(request, res, parsed.id, parsed.message);
    }
    const session = sessionOf(request, res, parsed.kind === 'notification' ? null : parsed.id);
    if (session === undefined) return undefined;
    const backlog = session.backlogRefusal();
    if (backlog !== undefined) {
      refusals.log(logger, 'info', `flow\0${session.ownerId}`, { sessionId: session.sessionId, client: session.ownerId, refusal: backlog }, 'http: request refused (session flow limit)');
      writeJsonError(res, 429, SERVER_ERROR, `Too many requests: ${backlog}`, parsed.kind === 'request' ? parsed.id : null, { 'retry-after': '1' });
      return undefined;
    }
    // Decided with the identity this request's credential proved, not the one of initialize.
    session.identify(request.wardenClient!);
    if (parsed.kind === 'request') {
      const refusal = session.requestRefusal();
      if (refusal !== undefined) {
        refusals.log(logger, 'info', `flow\0${session.ownerId}`, { sessionId: session.sessionId, client: session.ownerId, refusal }, 'http: request refused (session flow limit)');
        writeJsonError(res, 429, SERVER_ERROR, `Too many requests: ${refusal}`, parsed.id, { 'retry-after': '1' });
        return undefined;
      }
    }
    try {
      if (parsed.kind === 'request') {
        if (!session.acceptRequest(parsed.id, parsed.message, res, bodyBytes(request))) {
          writeJsonError(res, 400, INVALID_REQUEST, `Invalid Request: request id ${JSON.stringify(parsed.id)} is already in flight in this session`, parsed.id);
        }
        return undefined;
      }
      session.deliver(parsed.message, bodyBytes(request));
    } catch (error) {
      proxyFailed(error, res, parsed.kind === 'request' ? parsed.id : null);
      return undefined;
    }
    res.writeHead(202, { 'mcp-session-id': session.sessionId });
    res.end();
    return undefined;
  }

  /** The proxy threw while taking a message: answer 500 (if nothing was sent yet) and log it. */
  function proxyFailed(error: unknown, res: ServerResponse, id: RequestId | null): void {
    logger.error({ err: error }, 'http: the proxy failed to take a message');
    writeJsonError(res, 500, INTERNAL_ERROR, 'Internal error while handling the message', id);
  }

  function get(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    const res = reply.raw;
    if (rejectedProtocolVersion(request, res)) return;
    if (!acceptsSse(request.headers.accept)) {
      writeJsonError(res, 406, SERVER_ERROR, 'Not Acceptable: the Accept header must list text/event-stream');
      return;
    }
    const session = sessionOf(request, res);
    if (session === undefined) return;
    // The stream brings messages under the credential this GET proved (checked again at each sweep: sessions.ts).
    session.identify(request.wardenClient!);
    // A new GET replaces an open one: a client only reconnects when it lost its stream, even when
    // our side has not noticed the dead connection yet (refusing it would cut server messages off).
    const lastEventId = request.headers['last-event-id'];
    session.openStandalone(res, typeof lastEventId === 'string' ? lastEventId : undefined);
  }

  async function del(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.hijack();
    const res = reply.raw;
    if (rejectedProtocolVersion(request, res)) return;
    const session = sessionOf(request, res);
    if (session === undefined) return;
    await session.close();
    logger.debug({ sessionId: session.sessionId }, 'http: Streamable HTTP session deleted by the client');
    res.writeHead(200);
    res.end();
  }

  return { post, get, del };
}
