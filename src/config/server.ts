/** Config section `server`: the HTTP listener and frontends of `serve` (Streamable HTTP, legacy SSE, stdio). */
import { z } from 'zod';

export const serverSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Streamable HTTP endpoint (POST/GET/DELETE). */
    mcpPath: z.string().startsWith('/').default('/mcp'),
    /** Legacy HTTP+SSE: GET sse path, POST messages path. */
    ssePath: z.string().startsWith('/').default('/sse'),
    messagesPath: z.string().startsWith('/').default('/messages'),
    /** Host header values accepted (DNS rebinding protection). Default: loopback names with the bound port. */
    allowedHosts: z.array(z.string()).optional(),
    /** Origin header values accepted when an Origin is sent. Default: loopback origins. */
    allowedOrigins: z.array(z.string()).optional(),
    /** Largest accepted JSON-RPC message, in bytes. */
    maxMessageBytes: z.number().int().positive().default(4 * 1024 * 1024),
    /**
     * Open client sessions in all (Streamable HTTP and legacy SSE together); a new one beyond is
     * refused with 503 + Retry-After. Each session opens its own backend sessions (a child process
     * per stdio backend), so this also bounds the processes serve starts.
     */
    maxSessions: z.number().int().positive().default(1_000),
    /** Open sessions one client identity may hold (so one credential cannot take them all). */
    maxSessionsPerClient: z.number().int().positive().default(100),
    /**
     * A request (headers and body) must arrive within this many ms, else 408 and the connection is
     * closed (slow clients holding sockets). Answers and SSE streams are not bounded by it.
     */
    requestTimeoutMs: z.number().int().positive().default(60_000),
    /** Idle client sessions are closed after this many ms. */
    sessionIdleMs: z.number().int().positive().default(30 * 60_000),
    /** Also serve one stdio client on our stdin/stdout. */
    stdio: z.boolean().default(false),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverSchema>;
