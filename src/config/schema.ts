/**
 * config/: warden.yaml, loaded once at startup. This file is the schema of the whole document; each
 * section's schema lives in its own file beside it (server, backends, auth, policy, rate-limit, audit, admin),
 * owned by the feature that reads it. load.ts parses the YAML, interpolates ${ENV_VAR} secrets and
 * validates with zod, naming the file, key path and expectation of every problem. Other folders
 * import only the inferred types and defaults from here; config/ imports nothing outside itself.
 */
import { z } from 'zod';
import { adminSchema } from './admin.js';
import { auditSchema } from './audit.js';
import { authSchema } from './auth.js';
import { backendSchema } from './backends.js';
import { policySchema } from './policy.js';
import { rateLimitSchema } from './rate-limit.js';
import { resourceRoutesSchema } from './resource-routes.js';
import { serverSchema } from './server.js';

export const wardenConfigSchema = z
  .object({
    server: serverSchema.prefault({}),
    backends: z
      .array(backendSchema)
      .min(1, 'at least one backend is required')
      .refine((list) => new Set(list.map((b) => b.name)).size === list.length, 'backend names must be unique'),
    /** Separator between backend prefix and tool/prompt name. */
    namespaceSeparator: z.string().min(1).default('__'),
    /**
     * With several backends: how many resource routes one client session remembers per backend
     * (docs/proxy.md, "URI routing"). Listed URIs and templates beyond are shown aliased
     * (mcp-warden:<backend>:<uri>, still routed); given URIs beyond forget the oldest.
     */
    resourceRoutes: resourceRoutesSchema.prefault({}),
    policy: policySchema.prefault({}),
    /** tools/call requests per client identity (absent: no limit). */
    rateLimit: rateLimitSchema.optional(),
    auth: authSchema.prefault({}),
    audit: auditSchema.prefault({}),
    admin: adminSchema.prefault({}),
    log: z
      .object({
        // No default here: without log.level, $MCP_WARDEN_LOG_LEVEL applies, then info (log/logger.ts).
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
        /**
         * Refusal lines (401/403, Host/Origin, flow limits, stalled answers) repeated for one
         * reason and client or address: the first `burst` per `intervalMs` are logged, then one
         * summary line says how many more were left out (log/refusal-log.ts).
         */
        refusals: z
          .object({ burst: z.number().int().positive().default(10), intervalMs: z.number().int().positive().default(60_000) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.auth?.clientCertificates?.length ?? 0) > 0 && c.server?.tls?.caFile === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'clientCertificates'],
        message: 'needs server.tls.caFile: only a client certificate the TLS handshake verified against that CA can identify a client (without it serve asks for no certificate)',
      });
    }
  });

export type WardenConfig = z.infer<typeof wardenConfigSchema>;
