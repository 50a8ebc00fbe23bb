/** Config section `admin`: the admin HTTP API (audit queries, health), with credentials separate from MCP clients'. */
import { z } from 'zod';

export const adminSchema = z
  .object({
    enabled: z.boolean().default(true),
    pathPrefix: z.string().startsWith('/').default('/admin'),
    /** "sha256:<hex>" hashes of admin tokens. */
    tokenHashes: z.array(z.string().regex(/^sha256:[0-9a-fA-F]{64}$/, 'expected "sha256:" followed by 64 hex digits (sha256 of the admin token)')).default([]),
  })
  .strict();

export type AdminConfig = z.infer<typeof adminSchema>;
