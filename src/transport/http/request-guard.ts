/**
 * The onRequest hook every frontend route runs before its body is even read: DNS rebinding checks
 * (Host, Origin) and then the Authenticator. A refused request is answered here (403 / 401 with
 * WWW-Authenticate, JSON-RPC error body) and never reaches a session or the proxy. The connection's
 * verified client certificate, if any, goes to the Authenticator with the headers. The accepted
 * client identity is left on the request for the route. Requests from an allowed browser Origin get
 * CORS headers, and CORS preflights are answered here too.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Logger } from '../../log/logger.js';
import type { RefusalLog } from '../../log/refusal-log.js';
import type { AuthResult, Authenticator, ClientIdentity, TransportKind } from '../../types.js';
import type { HostOriginGuard } from './guards.js';
import { SERVER_ERROR, errorBody } from './jsonrpc.js';
import { verifiedClientCertificate } from './peer-certificate.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the frontends' request guard once the client is authenticated. */
    wardenClient: ClientIdentity | null;
  }
}

/** Lets a browser page on an allowed origin read our answers (and the session id header). */
function allowCrossOrigin(reply: FastifyReply, origin: string): void {
  const res = reply.raw;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', 'mcp-session-id, www-authenticate');
  res.setHeader('vary', 'Origin');
}

/** Whether a request announces a body (browsers send none on a preflight). */
function hasBody(request: FastifyRequest): boolean {
  const headers = request.raw.headers;
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/**
 * CORS preflight (OPTIONS) for the frontend paths: answered for allowed origins without
 * credentials (browsers send none on a preflight); the real request is then authenticated. An
 * onRequest hook, answering before any body is read: as a route handler, fastify first read (and
 * held) whatever body the OPTIONS request came with, up to server.maxMessageBytes, for anyone,
 * before even the Host check. A preflight with a body closes its connection, unread.
 */
export function createPreflightHandler(guard: HostOriginGuard): RequestGuardHook {
  return function preflight(request, reply, _done): void {
    const headers = request.raw.headers;
    const failure = guard.check(headers.host, headers.origin, headers['sec-fetch-site']);
    if (failure !== undefined) {
      refuse(reply, failure.status, failure.message);
      return;
    }
    if (headers.origin !== undefined) allowCrossOrigin(reply, headers.origin);
    if (hasBody(request)) reply.header('connection', 'close');
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS')
      .header('access-control-allow-headers', headers['access-control-request-headers'] ?? 'content-type, authorization, mcp-session-id, mcp-protocol-version, last-event-id')
      .header('access-control-max-age', '600')
      .header('allow', 'GET, POST, DELETE, OPTIONS')
      .send();
  };
}

export type RequestGuardHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * Answers a refused request and closes its connection: node would otherwise read (and discard) the
 * rest of a body it will never use, for as long as an unauthenticated client cares to trickle it.
 */
function refuse(reply: FastifyReply, status: number, message: string, wwwAuthenticate?: string): void {
  if (wwwAuthenticate !== undefined) reply.header('www-authenticate', wwwAuthenticate);
  reply.code(status).header('content-type', 'application/json').header('connection', 'close').send(errorBody(SERVER_ERROR, message));
}

export function createRequestGuard(
  transport: TransportKind,
  guard: HostOriginGuard,
  authenticator: Authenticator,
  logger: Logger,
  /** Refusal lines repeated for one reason and address are rate limited (config log.refusals). */
  refusals: RefusalLog,
): RequestGuardHook {
  function finish(result: AuthResult, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (result.ok) {
      request.wardenClient = result.client;
      done();
      return;
    }
    const address = request.raw.socket.remoteAddress;
    refusals.log(logger, 'info', `auth\0${result.status}\0${result.message}\0${address}`, { transport, status: result.status, address, reason: result.message }, 'http: request refused by authenticator');
    const challenge = result.status === 401 ? (result.wwwAuthenticate ?? 'Bearer') : result.wwwAuthenticate;
    refuse(reply, result.status, result.message, challenge);
  }

  return function requestGuard(request, reply, done) {
    const headers = request.raw.headers;
    const failure = guard.check(headers.host, headers.origin, headers['sec-fetch-site']);
    if (failure !== undefined) {
      const address = request.raw.socket.remoteAddress;
      refusals.log(logger, 'warn', `host\0${address}`, { transport, host: headers.host, origin: headers.origin, address }, 'http: request refused (Host/Origin not allowed)');
      refuse(reply, failure.status, failure.message);
      return;
    }
    if (headers.origin !== undefined) allowCrossOrigin(reply, headers.origin);
    let result: AuthResult | Promise<AuthResult>;
    try {
      const socket = request.raw.socket;
      const clientCertificate = verifiedClientCertificate(socket);
      result = authenticator.authenticate(clientCertificate === undefined ? { transport, headers, address: socket.remoteAddress } : { transport, headers, address: socket.remoteAddress, clientCertificate });
    } catch (error) {
      logger.error({ err: error, transport }, 'http: authenticator failed');
      refuse(reply, 500, 'Internal error while authenticating the request');
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => finish(r, request, reply, done),
        (error: unknown) => {
          logger.error({ err: error, transport }, 'http: authenticator failed');
          refuse(reply, 500, 'Internal error while authenticating the request');
        },
      );
      return;
    }
    finish(result, request, reply, done);
  };
}
