/**
 * transport/http/: the HTTP frontends of `serve` on fastify. Streamable HTTP (MCP 2025-11-25:
 * POST/GET/DELETE on server.mcpPath) and legacy HTTP+SSE (GET server.ssePath + POST
 * server.messagesPath). Every request passes the Host/Origin guard and the Authenticator before its
 * body is read; each client session becomes one SDK Transport handed to the SessionAcceptor (the
 * proxy), bound to the client identity that opened it. createHttpFrontend returns the fastify
 * instance so other modules can add routes (admin API, OAuth metadata) before listen(). With `tls`
 * the listener is HTTPS (client certificates required when a CA is given) and setSecureContext
 * swaps its certificate for new connections (rotation).
 */
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerConfig } from '../../config/server.js';
import type { Logger } from '../../log/logger.js';
import { RefusalLog } from '../../log/refusal-log.js';
import type { Authenticator } from '../../types.js';
import type { SessionAcceptor } from '../types.js';
import { HostOriginGuard } from './guards.js';
import { INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, SERVER_ERROR, errorBody } from './jsonrpc.js';
import { createLegacySseHandlers } from './legacy-sse.js';
import { limitConnectionsPerAddress, type ConnectionLimit } from './connection-limit.js';
import { createPreflightHandler, createRequestGuard } from './request-guard.js';
import { SessionRegistry, type CredentialCheck } from './sessions.js';
import { createStreamableHandlers } from './streamable-routes.js';
import { WriteStallWatch } from './write-stall.js';

export { HostOriginGuard } from './guards.js';
export { StreamableHttpSession } from './streamable-session.js';
export { LegacySseSession } from './legacy-sse.js';

export interface HttpFrontendOptions {
  config: ServerConfig;
  acceptor: SessionAcceptor;
  authenticator: Authenticator;
  logger: Logger;
  /** Rate limiting of refusal lines (config log.refusals), shared with the authenticator; one of its own by default (closed with the frontend). */
  refusals?: RefusalLog;
  /** Listen with TLS (server.tls, read by tls-material.ts); requestCert: clients must present a certificate signed by context.ca. */
  tls?: { context: tls.SecureContextOptions; requestCert: boolean };
}

export interface HttpFrontend {
  app: FastifyInstance;
  /** Starts listening; `url` is the Streamable HTTP endpoint, `sseUrl` the legacy SSE one. */
  listen(): Promise<{ url: string; baseUrl: string; sseUrl: string }>;
  /** Closes every client session, then the listener. */
  close(): Promise<void>;
  /** Open TCP connections per client address (server.maxConnectionsPerAddress). */
  connections: ConnectionLimit;
  /** Number of open client sessions (both frontends). */
  readonly sessionCount: number;
  /** With tls: connections from now on get this certificate (rotation); open ones keep theirs. */
  setSecureContext(context: tls.SecureContextOptions): void;
}

/** Maps body-parsing failures to an HTTP status and a JSON-RPC error. */
function bodyErrorHandler(config: ServerConfig, logger: Logger) {
  return function onError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
    let status = 500;
    let code = INTERNAL_ERROR;
    let message = 'Internal error';
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        status = 413;
        code = INVALID_REQUEST;
        message = `Request body too large: the limit is ${config.maxMessageBytes} bytes per JSON-RPC message (server.maxMessageBytes)`;
        break;
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        status = 415;
        code = INVALID_REQUEST;
        message = 'Unsupported Content-Type: send the JSON-RPC message as application/json';
        break;
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        status = 400;
        code = PARSE_ERROR;
        message = 'Parse error: empty or truncated request body';
        break;
      default:
        if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
          status = error.statusCode;
          code = INVALID_REQUEST;
          message = error.message;
        } else {
          logger.error({ err: error }, 'http: request failed');
        }
    }
    reply.code(status).header('content-type', 'application/json').send(errorBody(code, message));
  };
}

function methodNotAllowed(allow: string) {
  const body = errorBody(SERVER_ERROR, `Method not allowed: use ${allow}`);
  return function handler(_request: FastifyRequest, reply: FastifyReply): void {
    reply.code(405).header('allow', allow).header('content-type', 'application/json').send(body);
  };
}

/** The write-stall watchdog (server.writeStallTimeoutMs), logging each connection it closes. */
function stallWatch(config: ServerConfig, logger: Logger, refusals: RefusalLog): WriteStallWatch {
  return new WriteStallWatch(config.writeStallTimeoutMs, ({ sessionId, unreadBytes, stalledMs }) => {
    const fields = { sessionId, unreadBytes, stalledMs, writeStallTimeoutMs: config.writeStallTimeoutMs };
    refusals.log(logger, 'info', `stall\0${sessionId}`, fields, 'http: answer closed: its client took none of it for server.writeStallTimeoutMs');
  });
}

/** Revoked or expired credentials of sessions with a stream open or requests in flight (Authenticator.stillValid), each logged. */
function credentialCheck(authenticator: Authenticator, logger: Logger, refusals: RefusalLog): CredentialCheck | undefined {
  if (authenticator.stillValid === undefined) return undefined;
  return {
    stillValid: (client) => authenticator.stillValid!(client),
    ended: (session) => {
      const { id, credentialId } = session.proven;
      const fields = { sessionId: session.sessionId, transport: session.kind, client: id, credentialId };
      refusals.log(logger, 'info', `gone\0${id}`, fields, 'http: stream closed: the credential it was opened or last used with is no longer valid (revoked, expired or removed)');
    },
    answersEnded: (session, count) => {
      const { id } = session.proven;
      const fields = { sessionId: session.sessionId, transport: session.kind, client: id, requests: count };
      refusals.log(logger, 'info', `gone-answers\0${id}`, fields, 'http: answers ended: the credential their requests were made with is no longer valid (revoked, expired or removed); the requests are cancelled at the backend');
    },
  };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export function createHttpFrontend(options: HttpFrontendOptions): HttpFrontend {
  const { config, acceptor, authenticator, logger } = options;
  const log = logger.child({ component: 'http' });
  const refusals = options.refusals ?? new RefusalLog();
  // fastify turns node's request timeout off by default: a client trickling its body held its socket forever.
  const requestTimeout = config.requestTimeoutMs;
  const serverOptions = { requestTimeout, headersTimeout: Math.min(60_000, requestTimeout), connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(requestTimeout / 4))) };
  const common = { logger: false, forceCloseConnections: true, bodyLimit: config.maxMessageBytes, requestTimeout } as const;
  const secure = options.tls;
  // With TLS, fastify hands only its `https` options to node (not `http`): the timeouts go there too.
  // requestCert with rejectUnauthorized: a client without a certificate from the CA fails the handshake.
  const app = secure
    ? (Fastify({ ...common, https: { ...serverOptions, ...secure.context, requestCert: secure.requestCert, rejectUnauthorized: true } }) as unknown as FastifyInstance)
    : Fastify({ ...common, http: serverOptions });
  if (secure) {
    // A refused handshake (no or a foreign client certificate, plain HTTP on this port) is logged, rate limited per address.
    app.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      const address = socket.remoteAddress ?? 'unknown';
      refusals.log(log, 'info', `tls\0${address}`, { address, reason: err.code ?? err.message }, 'http: TLS handshake refused');
    });
    // A connection's client certificate is read once (peer-certificate.ts) and may identify its
    // client: a TLS 1.2 renegotiation must not swap it under the connection. Refused (ends it).
    app.server.on('secureConnection', (socket: tls.TLSSocket) => socket.disableRenegotiation());
  }
  // Sockets per client address, counted and capped before HTTP parses anything on them.
  const connections = limitConnectionsPerAddress(app.server, config.maxConnectionsPerAddress, (address) =>
    refusals.log(log, 'info', `connection\0${address}`, { address, limit: config.maxConnectionsPerAddress }, 'http: connection closed unread: this address already holds server.maxConnectionsPerAddress open connections'),
  );
  const limits = {
    maxSessions: config.maxSessions,
    maxSessionsPerClient: config.maxSessionsPerClient,
    maxSessionsPerAddress: config.maxSessionsPerAddress,
    maxInFlightPerSession: config.maxInFlightPerSession,
    maxUnreadBytesPerSession: config.maxUnreadBytesPerSession,
    replayBytes: config.replayBytes,
  };
  const registry = new SessionRegistry(config.sessionIdleMs, limits, stallWatch(config, log, refusals), credentialCheck(authenticator, log, refusals));
  const guard = new HostOriginGuard({ allowedHosts: config.allowedHosts, allowedOrigins: config.allowedOrigins, bindHost: config.host });
  const streamable = createStreamableHandlers({ acceptor, registry, logger: log, refusals });
  const legacy = createLegacySseHandlers({ acceptor, registry, logger: log, refusals, messagesPath: config.messagesPath });
  const guardStreamable = createRequestGuard('streamable-http', guard, authenticator, log, refusals);
  const guardSse = createRequestGuard('sse', guard, authenticator, log, refusals);
  const preflight = createPreflightHandler(guard);

  // A request no route takes (an unknown path, or a method its path does not have) is answered 404
  // before its body is read, its connection closed: fastify's own 404 first read (and held) the
  // body, up to server.maxMessageBytes, for anyone, with no check at all. Routes other modules add
  // later (admin API, metrics, /healthz, OAuth metadata) are found, so they are not affected.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) {
      done();
      return;
    }
    const body = JSON.stringify({ message: `Route ${request.method}:${request.url.split('?')[0]} not found`, error: 'Not Found', statusCode: 404 });
    void reply.code(404).header('content-type', 'application/json; charset=utf-8').header('connection', 'close').send(body);
  });

  // Encapsulated: the body parser, error handler and guards apply to the MCP routes only, not to
  // routes other modules add on `app`.
  void app.register(async (scope) => {
    scope.decorateRequest('wardenClient', null);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: config.maxMessageBytes }, (_request, body, done) => {
      done(null, body);
    });
    scope.setErrorHandler(bodyErrorHandler(config, log));

    scope.post(config.mcpPath, { onRequest: guardStreamable }, streamable.post);
    scope.get(config.mcpPath, { onRequest: guardStreamable, exposeHeadRoute: false }, streamable.get);
    scope.delete(config.mcpPath, { onRequest: guardStreamable }, streamable.del);
    scope.route({ method: ['PUT', 'PATCH', 'HEAD'], url: config.mcpPath, onRequest: guardStreamable, handler: methodNotAllowed('GET, POST, DELETE') });
    scope.get(config.ssePath, { onRequest: guardSse, exposeHeadRoute: false }, legacy.openStream);
    scope.post(config.messagesPath, { onRequest: guardSse }, legacy.postMessage);
    // Answered by the hook, before the body: the handler is never reached.
    for (const path of new Set([config.mcpPath, config.ssePath, config.messagesPath])) scope.options(path, { onRequest: preflight }, methodNotAllowed('GET, POST, DELETE, OPTIONS'));
  });

  let closed: Promise<void> | undefined;
  return {
    app,
    connections,
    get sessionCount() {
      return registry.size;
    },
    setSecureContext(context) {
      if (!secure) throw new Error('setSecureContext: the listener has no TLS');
      (app.server as unknown as https.Server).setSecureContext(context);
    },
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address() as AddressInfo;
      const baseUrl = `${secure ? 'https' : 'http'}://${urlHost(config.host)}:${address.port}`;
      log.info({ url: `${baseUrl}${config.mcpPath}`, sse: `${baseUrl}${config.ssePath}` }, 'http: listening');
      return { url: `${baseUrl}${config.mcpPath}`, baseUrl, sseUrl: `${baseUrl}${config.ssePath}` };
    },
    close() {
      closed ??= (async () => {
        await registry.closeAll();
        await app.close();
        if (options.refusals === undefined) refusals.close();
      })();
      return closed;
    },
  };
}
