/**
 * Config section `rateLimit`: how many tools/call requests a client identity may make, as a token
 * bucket (a steady rate per minute, and a burst it may spend at once), with per-client overrides.
 * Absent: no limit.
 */
import { z } from 'zod';

const bucketSchema = z
  .object({
    /** Steady rate: tools/call requests per minute. */
    toolCallsPerMinute: z.number().positive(),
    /** Calls that may be made at once after a quiet spell (default: a tenth of a minute's worth, at least 1). */
    burst: z.number().int().positive().optional(),
  })
  .strict();

export const rateLimitSchema = bucketSchema
  .extend({
    /** Per client identity (the client id: API key's client, JWT subject, "local:<user>" for stdio): its own bucket settings. */
    clients: z.record(z.string(), bucketSchema).optional(),
  })
  .strict();

export type RateLimitConfig = z.infer<typeof rateLimitSchema>;
