/** Config section `backends`: the MCP servers mcp-warden fronts, and how to reach and authenticate to them. */
import { z } from 'zod';
import { backendTlsSchema } from './tls.js';

const restartSchema = z
  .object({
    initialDelayMs: z.number().int().positive().default(200),
    maxDelayMs: z.number().int().positive().default(30_000),
  })
  .strict()
  .default({ initialDelayMs: 200, maxDelayMs: 30_000 });

const common = {
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only'),
  /** Enforcement mode for this backend; overrides policy.mode. */
  mode: z.enum(['enforce', 'shadow']).optional(),
  /** Prefix for tool/prompt names; defaults to the backend name. Empty string: no prefix. */
  prefix: z.string().optional(),
  /** Milliseconds to wait for a backend answer before the client gets an error. */
  timeoutMs: z.number().int().positive().default(120_000),
};

export const stdioBackendSchema = z
  .object({
    ...common,
    transport: z.literal('stdio'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Added to (not replacing) mcp-warden's own environment, minus the client credential variables. */
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    restart: restartSchema,
    /** Refused with a message of its own (a strict object would only say "unrecognized key"). */
    tls: z.undefined({ error: 'tls applies to HTTP backends (transport streamable-http or sse) only, not to a stdio backend' }).optional(),
  })
  .strict();

export const httpBackendSchema = z
  .object({
    ...common,
    transport: z.enum(['streamable-http', 'sse']),
    url: z.url(),
    /** Per-backend credentials: sent to the backend; the client's own credential never is. */
    headers: z.record(z.string(), z.string()).default({}),
    bearerToken: z.string().optional(),
    /** How the backend's https certificate is verified, and the client certificate shown to it (https URLs only). */
    tls: backendTlsSchema.optional(),
  })
  .strict()
  .refine((b) => b.tls === undefined || new URL(b.url).protocol === 'https:', {
    path: ['tls'],
    message: 'tls needs an https:// url (this backend is reached over plain http, where there is no certificate to verify or present)',
  });

export const backendSchema = z.discriminatedUnion('transport', [stdioBackendSchema, httpBackendSchema]);

export type BackendConfig = z.infer<typeof backendSchema>;
export type StdioBackendConfig = z.infer<typeof stdioBackendSchema>;
export type HttpBackendConfig = z.infer<typeof httpBackendSchema>;
