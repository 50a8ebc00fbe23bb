/**
 * The admin API's live sessions, behind the admin tokens: `GET <prefix>/sessions` lists the client
 * sessions open now (who, over which transport, since when, each backend's state and requests in
 * flight; `?client=ID` keeps one client's), and `DELETE <prefix>/sessions/<id>` or
 * `DELETE <prefix>/sessions?client=ID` ends them: what a platform engineer does to a runaway agent.
 * Ending a session cancels its requests in flight at their backends (audited `cancelled`, with the
 * admin named as the reason), closes its backend sessions and its stream; the client's next request
 * on it gets 404 (Streamable HTTP: it may initialize a new session, so to keep a client out, revoke
 * its key too). Each end is logged at warn level. The sessions come through SessionControl, which
 * the serve command implements over the proxy.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminConfig } from '../config/admin.js';
import type { Logger } from '../log/logger.js';
import { createAdminTokenCheck, parseTokenHashes } from './auth.js';
import { adminErrorHandler } from './errors.js';

/** One live client session as the admin API shows it (no credential, no claims). */
export interface SessionSummary {
  id: string;
  transport: string;
  /** The identity of the session's latest request (over HTTP each request proves its own). */
  client: { id: string; name: string; auth: string; roles: string[]; credentialId?: string; address?: string };
  /** ISO 8601 time the session was opened. */
  openedAt: string;
  backends: Array<{ name: string; state: string; inFlight: number }>;
}

/** What the routes need from the proxy. */
export interface SessionControl {
  /** The sessions open now, oldest first. */
  list(): SessionSummary[];
  /** Ends the session with this id (its requests cut short are recorded with `reason`); its summary as it was, or undefined if none is open. */
  end(id: string, reason: string): Promise<SessionSummary | undefined>;
}

const CHALLENGE = 'Bearer realm="mcp-warden-admin"';

/** `client` from the query string: one non-empty string, or undefined when absent; anything else is a 400. */
function clientParam(query: unknown): string | undefined | Error {
  const value = (query as Record<string, unknown> | undefined)?.client;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') return new Error('client: expected one client id');
  return value;
}

export function registerSessionRoutes(app: FastifyInstance, admin: AdminConfig, control: SessionControl, logger: Logger): void {
  if (!admin.enabled) return;
  const check = createAdminTokenCheck(parseTokenHashes(admin.tokenHashes));
  const path = `${admin.pathPrefix.replace(/\/+$/, '')}/sessions`;
  const log = logger.child({ component: 'admin' });
  const reason = `ended by an admin (DELETE ${path})`;

  const ended = (request: FastifyRequest, list: SessionSummary[]): { ended: SessionSummary[] } => {
    for (const s of list) log.warn({ sessionId: s.id, clientId: s.client.id, transport: s.transport, by: request.ip }, 'admin: session ended');
    return { ended: list };
  };

  void app.register(async (scope) => {
    scope.setErrorHandler(adminErrorHandler(log));
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (check(request.headers.authorization)) return;
      const error = admin.tokenHashes.length === 0 ? 'admin API has no credentials configured (admin.tokenHashes)' : 'admin token required';
      return reply.code(401).header('www-authenticate', CHALLENGE).send({ error });
    });

    scope.get(path, { exposeHeadRoute: false }, async (request, reply) => {
      const client = clientParam(request.query);
      if (client instanceof Error) return reply.code(400).send({ error: client.message });
      const all = control.list();
      return { sessions: client === undefined ? all : all.filter((s) => s.client.id === client) };
    });

    scope.delete(`${path}/:id`, async (request, reply) => {
      const { id } = request.params as { id: string };
      const summary = await control.end(id, reason);
      if (summary === undefined) return reply.code(404).send({ error: `no session ${JSON.stringify(id)} is open` });
      return ended(request, [summary]);
    });

    scope.delete(path, async (request, reply) => {
      const client = clientParam(request.query);
      if (client instanceof Error) return reply.code(400).send({ error: client.message });
      if (client === undefined) return reply.code(400).send({ error: `say which sessions to end: DELETE ${path}/<session id>, or DELETE ${path}?client=<client id>` });
      const of = control.list().filter((s) => s.client.id === client);
      const done = await Promise.all(of.map((s) => control.end(s.id, reason)));
      return ended(request, done.filter((s): s is SessionSummary => s !== undefined));
    });
  });
}
