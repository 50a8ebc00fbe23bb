/** Config section `audit`: where and how every request, decision and outcome is recorded. */
import { z } from 'zod';

export const auditSchema = z
  .object({
    enabled: z.boolean().default(true),
    path: z.string().default('./data/audit.db'),
    /** Argument/result payloads larger than this are stored as their hash and size. */
    maxPayloadBytes: z.number().int().positive().default(16 * 1024),
    /** Field names (any depth, case-insensitive) whose values are masked before storage. */
    redactFields: z.array(z.string()).default(['password', 'token', 'api_key', 'apikey', 'authorization', 'secret']),
    /**
     * Secret for HMAC-SHA256 chaining (use ${ENV} interpolation; at least 16 characters). Without it
     * rows are chained with plain SHA-256, which anyone able to write the file can recompute.
     */
    chainKey: z.string().min(16, 'the chain key must be at least 16 characters').optional(),
    flushIntervalMs: z.number().int().positive().default(50),
    /** Rows queued beyond this apply `backpressure`. */
    maxQueue: z.number().int().positive().default(100_000),
    backpressure: z.enum(['block', 'fail-closed']).default('block'),
    /** Scheduling niceness of the batch writer thread (0-19): when CPU is short, answering calls goes first. */
    writerNice: z.number().int().min(0).max(19).default(5),
    /**
     * Run the batch writer thread under SCHED_IDLE (Linux, with util-linux `chrt`) while it keeps up:
     * it then takes only CPU time nothing else wants, and a core running only it counts as idle when
     * a process on the call path wakes up. Far behind (2,000 rows, or a tenth of maxQueue when less)
     * it runs normally until it caught up, so other processes cannot starve it into back-pressure.
     */
    writerIdle: z.boolean().default(true),
    /**
     * Log the chain head (`audit chain head`, info: seq and hash, as `audit verify --expect` takes
     * it) at most this often while it moves, and at shutdown: a record of the head outside the
     * database, for a log collector to keep. 0: never.
     */
    headLogSeconds: z.number().min(0).default(60),
    retention: z
      .object({
        /** Rows older than this many days are removed. */
        days: z.number().positive().optional(),
        /** Only the newest this many rows are kept. */
        rows: z.number().int().positive().optional(),
        /** How often the retention job runs. */
        intervalSeconds: z.number().positive().default(600),
      })
      .strict()
      .optional(),
  })
  .strict();

export type AuditConfig = z.infer<typeof auditSchema>;
