/**
 * Admin HTTP API, a fastify plugin the serve command registers on its HTTP frontend:
 * `GET <prefix>/audit` (the audit log with the CLI's filters, cursor-paginated), `<prefix>/audit/stats`
 * and `<prefix>/audit/verify` (and `<prefix>/metrics`: metrics.ts), all behind admin bearer tokens that are separate from MCP clients'
 * credentials (401 without one). The reads run in processes of their own (reader-process.ts), never
 * on the proxy's event loop: query and stats in one, verify in another, so that a verify (minutes on
 * a large audit) does not hold the queries asked meanwhile; one verify at a time (a second one asked
 * meanwhile: 429 with a body saying so). Each read has a time limit (admin.queryTimeoutMs,
 * admin.verifyTimeoutMs): past it, 503 with a JSON body naming the limit and how to narrow the
 * query, logged at warn level and counted (readTimeouts(), for the metrics).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditReader } from '../audit/index.js';
import type { AdminConfig } from '../config/admin.js';
import type { AuditConfig } from '../config/audit.js';
import type { Logger } from '../log/logger.js';
import { createAdminTokenCheck, parseTokenHashes } from './auth.js';
import { adminErrorHandler } from './errors.js';
import { auditQueryFromQuery, QueryParamError, statsFilterFromQuery, verifyExpectFromQuery } from './params.js';
import { AuditReaderProcess, ReaderBusyError, ReadTimeoutError } from './reader-process.js';

export { adminTokenHash } from './auth.js';

export interface AdminRoutesOptions {
  /** The audit database (its path: the reads open their own read-only connection). */
  store: AuditReader;
  /** The `admin` section, or the whole warden config (then audit.chainKey is used to verify). */
  config: AdminConfig | { admin: AdminConfig; audit?: Pick<AuditConfig, 'chainKey'> };
  /** Where a 500 (a fault of ours, answered without detail) is logged, at error level. */
  logger: Logger;
}

/** What the registered routes report (for the metrics). */
export interface AdminRoutes {
  /** Reads answered 503 past their time limit: stopped while running, or never started (waiting behind others). */
  readTimeouts(): { running: number; queued: number };
  /** Verifies answered 429 because another was running. */
  verifiesRefused(): number;
}

const CHALLENGE = 'Bearer realm="mcp-warden-admin"';

/** Retry-After of a verify refused because another runs (a verify takes about 30 s per million rows). */
const VERIFY_BUSY_RETRY_S = 30;

const NARROW = {
  query: 'narrow the query: a shorter since/until window (since=1h), an exact client, tool or backend, or a smaller limit (a text search that matches few rows reads every row of its window); or raise admin.queryTimeoutMs',
  stats: 'narrow the counts: a shorter since/until window or an exact client, tool or backend; or raise admin.queryTimeoutMs',
  verify: 'verify the whole file with `mcp-warden audit verify` on the host instead (no time limit), or raise admin.verifyTimeoutMs',
} as const;

/** The 503 answer of a read past its limit: what happened, the limit, and how to narrow it. */
function timeoutAnswer(err: ReadTimeoutError): Record<string, unknown> {
  const setting = err.op === 'verify' ? 'admin.verifyTimeoutMs' : 'admin.queryTimeoutMs';
  return {
    error: err.queued ? `${err.message}; retry later` : err.message,
    limitMs: err.limitMs,
    setting,
    queued: err.queued,
    hint: err.queued ? `other admin reads took the time (${setting} counts waiting too): retry later, or narrow them` : NARROW[err.op],
  };
}

/** Sends JSON text the reader process made, as it is (as fastify would send the object it stands for). */
function json(reply: FastifyReply, text: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(text);
}

export function registerAdminRoutes(app: FastifyInstance, options: AdminRoutesOptions): AdminRoutes | undefined {
  const admin = 'admin' in options.config ? options.config.admin : options.config;
  if (!admin.enabled) return undefined;
  const check = createAdminTokenCheck(parseTokenHashes(admin.tokenHashes));
  const chainKey = 'admin' in options.config ? options.config.audit?.chainKey : undefined;
  const limits = { queryMs: admin.queryTimeoutMs, verifyMs: admin.verifyTimeoutMs };
  const data = chainKey === undefined ? { path: options.store.path } : { path: options.store.path, chainKey };
  // Queries and stats in one process, verify in another (at most one at a time): a verify walks the
  // whole chain and must not hold the queries asked meanwhile.
  const reader = new AuditReaderProcess(data, limits);
  const verifier = new AuditReaderProcess(data, limits, 1);
  let verifiesRefused = 0;
  const prefix = admin.pathPrefix.replace(/\/+$/, '');
  const logger = options.logger.child({ component: 'admin' });

  void app.register(
    async (scope) => {
      scope.addHook('onClose', async () => {
        await Promise.all([reader.close(), verifier.close()]);
      });
      scope.setErrorHandler(adminErrorHandler(logger));
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        if (check(request.headers.authorization)) return;
        const error = admin.tokenHashes.length === 0 ? 'admin API has no credentials configured (admin.tokenHashes)' : 'admin token required';
        return reply.code(401).header('www-authenticate', CHALLENGE).send({ error });
      });

      const badRequest = (request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply => {
        if (err instanceof QueryParamError || (err instanceof Error && err.message.startsWith('unknown decision'))) {
          return reply.code(400).send({ error: err.message });
        }
        if (err instanceof ReadTimeoutError) return timedOut(request, reply, err);
        throw err;
      };

      // Which parameters were given, not their values (a text search may hold anything).
      const timedOut = (request: FastifyRequest, reply: FastifyReply, err: ReadTimeoutError): FastifyReply => {
        const params = Object.keys((request.query ?? {}) as Record<string, unknown>).sort();
        logger.warn({ requestId: request.id, route: request.routeOptions.url, limitMs: err.limitMs, queued: err.queued, params }, `admin: ${err.message}`);
        return reply.code(503).header('retry-after', '5').send(timeoutAnswer(err));
      };

      scope.get('/audit', async (request, reply) => {
        try {
          const query = request.query as Record<string, unknown>;
          return json(reply, await reader.query(auditQueryFromQuery(query)));
        } catch (err) {
          return badRequest(request, reply, err);
        }
      });

      scope.get('/audit/stats', async (request, reply) => {
        try {
          return json(reply, await reader.stats(statsFilterFromQuery(request.query as Record<string, unknown>)));
        } catch (err) {
          return badRequest(request, reply, err);
        }
      });

      scope.get('/audit/verify', async (request, reply) => {
        let expect;
        try {
          expect = verifyExpectFromQuery(request.query as Record<string, unknown>);
        } catch (err) {
          return badRequest(request, reply, err);
        }
        try {
          return json(reply, await verifier.verify(expect));
        } catch (err) {
          if (err instanceof ReaderBusyError) {
            verifiesRefused++;
            logger.info({ requestId: request.id }, `admin: ${err.message}`);
            return reply.code(429).header('retry-after', String(VERIFY_BUSY_RETRY_S)).send({ error: err.message, retryAfterSeconds: VERIFY_BUSY_RETRY_S });
          }
          // The file is chained otherwise than audit.chainKey says (a downgrade to plain SHA-256, another
          // key): the check failed, which a monitor must not read as "admin API down" (a 500).
          if (err instanceof Error && err.name === 'ChainKeyError') return reply.code(409).send({ error: err.message });
          if (err instanceof ReadTimeoutError) return timedOut(request, reply, err);
          throw err;
        }
      });
    },
    { prefix },
  );
  return {
    verifiesRefused: () => verifiesRefused,
    readTimeouts: () => {
      const [q, v] = [reader.timeouts(), verifier.timeouts()];
      return { running: q.running + v.running, queued: q.queued + v.queued };
    },
  };
}
