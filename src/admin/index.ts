/**
 * Admin HTTP API, a fastify plugin the serve command registers on its HTTP frontend:
 * `GET <prefix>/audit` (the audit log with the CLI's filters, cursor-paginated), `<prefix>/audit/stats`
 * and `<prefix>/audit/verify` (and `<prefix>/metrics`: metrics.ts), all behind admin bearer tokens that are separate from MCP clients'
 * credentials (401 without one). The reads run on a thread of their own (reader-thread.ts), never on
 * the proxy's event loop.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditReader } from '../audit/index.js';
import type { AdminConfig } from '../config/admin.js';
import type { AuditConfig } from '../config/audit.js';
import type { Logger } from '../log/logger.js';
import { createAdminTokenCheck, parseTokenHashes } from './auth.js';
import { adminErrorHandler } from './errors.js';
import { auditQueryFromQuery, QueryParamError, statsFilterFromQuery, verifyExpectFromQuery } from './params.js';
import { AuditReaderThread } from './reader-thread.js';

export { adminTokenHash } from './auth.js';

export interface AdminRoutesOptions {
  /** The audit database (its path: the reads open their own read-only connection). */
  store: AuditReader;
  /** The `admin` section, or the whole warden config (then audit.chainKey is used to verify). */
  config: AdminConfig | { admin: AdminConfig; audit?: Pick<AuditConfig, 'chainKey'> };
  /** Where a 500 (a fault of ours, answered without detail) is logged, at error level. */
  logger: Logger;
}

const CHALLENGE = 'Bearer realm="mcp-warden-admin"';

export function registerAdminRoutes(app: FastifyInstance, options: AdminRoutesOptions): void {
  const admin = 'admin' in options.config ? options.config.admin : options.config;
  if (!admin.enabled) return;
  const check = createAdminTokenCheck(parseTokenHashes(admin.tokenHashes));
  const chainKey = 'admin' in options.config ? options.config.audit?.chainKey : undefined;
  const reader = new AuditReaderThread(chainKey === undefined ? { path: options.store.path } : { path: options.store.path, chainKey });
  const prefix = admin.pathPrefix.replace(/\/+$/, '');

  void app.register(
    async (scope) => {
      scope.addHook('onClose', async () => reader.close());
      scope.setErrorHandler(adminErrorHandler(options.logger.child({ component: 'admin' })));
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        if (check(request.headers.authorization)) return;
        const error = admin.tokenHashes.length === 0 ? 'admin API has no credentials configured (admin.tokenHashes)' : 'admin token required';
        return reply.code(401).header('www-authenticate', CHALLENGE).send({ error });
      });

      const badRequest = (reply: FastifyReply, err: unknown): FastifyReply => {
        if (err instanceof QueryParamError || (err instanceof Error && err.message.startsWith('unknown decision'))) {
          return reply.code(400).send({ error: err.message });
        }
        throw err;
      };

      scope.get('/audit', async (request, reply) => {
        try {
          const query = request.query as Record<string, unknown>;
          return await reader.query(auditQueryFromQuery(query));
        } catch (err) {
          return badRequest(reply, err);
        }
      });

      scope.get('/audit/stats', async (request, reply) => {
        try {
          return await reader.stats(statsFilterFromQuery(request.query as Record<string, unknown>));
        } catch (err) {
          return badRequest(reply, err);
        }
      });

      scope.get('/audit/verify', async (request, reply) => {
        let expect;
        try {
          expect = verifyExpectFromQuery(request.query as Record<string, unknown>);
        } catch (err) {
          return badRequest(reply, err);
        }
        try {
          return await reader.verify(expect);
        } catch (err) {
          // The file is chained otherwise than audit.chainKey says (a downgrade to plain SHA-256, another
          // key): the check failed, which a monitor must not read as "admin API down" (a 500).
          if (err instanceof Error && err.name === 'ChainKeyError') return reply.code(409).send({ error: err.message });
          throw err;
        }
      });
    },
    { prefix },
  );
}
