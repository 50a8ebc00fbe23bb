/**
 * The admin routes' error handler. A client error fastify raises itself (a malformed query string,
 * an unsupported method) keeps its 4xx status and message. Anything else is a fault of ours: the
 * client gets a 500 with no detail (no SQLite message, no file path) but the request id, and the
 * fault is logged at error level with that id, the route and the error's name, message and stack,
 * never the request's headers (the admin token rides in Authorization) nor its query string.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../log/logger.js';

export function adminErrorHandler(logger: Logger) {
  return function onError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status < 500) return reply.code(status).send({ error: error.message });
    const e = error instanceof Error ? error : new Error(String(error));
    logger.error(
      { requestId: request.id, method: request.method, route: request.routeOptions.url ?? '(no route)', err: { type: e.name, message: e.message, stack: e.stack } },
      'admin: request failed',
    );
    return reply.code(500).send({ error: 'internal error (logged on the server)', requestId: request.id });
  };
}
