/** Config section `server`: the HTTP listener and frontends of `serve` (Streamable HTTP, legacy SSE, stdio). */
import { z } from 'zod';
import { serverTlsSchema } from './tls.js';

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
     * Open sessions the clients of one network address may hold together (an IPv6 address counts
     * by its /64; loopback counts too), whatever credentials they show; a new one beyond is refused
     * with 503 + Retry-After. Behind a reverse proxy every client has the proxy's address: raise it.
     */
    maxSessionsPerAddress: z.number().int().positive().default(64),
    /**
     * Open TCP connections one network address may hold (an IPv6 address counts by its /64;
     * loopback counts too), sessions or not; one more is closed at once, unread. Behind a reverse
     * proxy every client has the proxy's address: raise it.
     */
    maxConnectionsPerAddress: z.number().int().positive().default(256),
    /**
     * Requests one session may have awaiting their answers; one more is refused with 429 +
     * Retry-After (its answers are never dropped: each request already taken is answered).
     */
    maxInFlightPerSession: z.number().int().positive().default(128),
    /**
     * Bytes of answers a session's client may leave unread (written, not yet taken by its
     * connections); while more wait, its new requests are refused with 429 + Retry-After.
     */
    maxUnreadBytesPerSession: z.number().int().positive().default(16 * 1024 * 1024),
    /**
     * Bytes of Streamable HTTP standalone-stream events kept per session for a client that
     * reconnects with Last-Event-ID (at most the last 128 events, and the oldest go first beyond this).
     */
    replayBytes: z.number().int().positive().default(4 * 1024 * 1024),
    /**
     * A request (headers and body) must arrive within this many ms, else 408 and the connection is
     * closed (slow clients holding sockets). Answers and SSE streams are not bounded by it.
     */
    requestTimeoutMs: z.number().int().positive().default(60_000),
    /**
     * An answer or SSE stream with bytes waiting for its client, whose socket has taken none of them
     * for this many ms (the client stopped reading), is closed and forgotten by its session.
     */
    writeStallTimeoutMs: z.number().int().positive().default(60_000),
    /** Idle client sessions are closed after this many ms. */
    sessionIdleMs: z.number().int().positive().default(30 * 60_000),
    /**
     * Terminate TLS here (HTTPS on host:port, every route: MCP, admin, metrics, healthz); with
     * caFile, clients must also present a certificate signed by that CA. Absent: plain HTTP.
     */
    tls: serverTlsSchema.optional(),
    /** Also serve one stdio client on our stdin/stdout. */
    stdio: z.boolean().default(false),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverSchema>;
