/** Config section `admin`: the admin HTTP API (audit queries, health), with credentials separate from MCP clients'. */
import { z } from 'zod';

export const adminSchema = z
  .object({
    enabled: z.boolean().default(true),
    pathPrefix: z.string().startsWith('/').default('/admin'),
    /** "sha256:<hex>" hashes of admin tokens. */
    tokenHashes: z.array(z.string().regex(/^sha256:[0-9a-fA-F]{64}$/, 'expected "sha256:" followed by 64 hex digits (sha256 of the admin token)')).default([]),
    /**
     * Longest a GET <prefix>/audit or <prefix>/audit/stats may take, waiting behind other admin reads
     * included: then it is answered 503 and the reader thread running it is ended (a free-text search
     * over millions of rows could keep it busy for minutes).
     */
    queryTimeoutMs: z.number().int().positive().default(10_000),
    /** The same for GET <prefix>/audit/verify, which re-hashes every row (about 30 s per million rows). */
    verifyTimeoutMs: z.number().int().positive().default(600_000),
  })
  .strict();

export type AdminConfig = z.infer<typeof adminSchema>;
