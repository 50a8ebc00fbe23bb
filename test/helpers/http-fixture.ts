/**
 * Test fixture for the HTTP frontends: a SessionAcceptor that wires each client session to a real
 * SDK McpServer (so the frontend's Transport is exercised by the SDK's own protocol engine), fake
 * Authenticators, a raw HTTP helper (node:http, so Host can be forged) and the frontend factory.
 */
import { request as httpRequest } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CreateMessageResultSchema, ElicitResultSchema, ListRootsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { serverSchema, type ServerConfig } from '../../src/config/server.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { createHttpFrontend, type HttpFrontend } from '../../src/transport/http/index.js';
import type { ClientSessionInfo, SessionAcceptor, Transport } from '../../src/transport/types.js';
import type { AuthRequest, AuthResult, Authenticator } from '../../src/types.js';

/**
 * A real tool's work takes time. Without a pause, notifications and the answer leave in one TCP
 * chunk, and the SDK's SSEClientTransport handles the answer (dropping the request's progress
 * handler) before the notifications queued ahead of it: an SDK client race, also seen direct.
 */
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
/** Resolves when `signal` aborts (the call was cancelled), or after 10 s. */
const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

function buildServer(onSlow: () => void = () => undefined): McpServer {
  const server = new McpServer({ name: 'http-fixture', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('echo', { description: 'echo', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('progress', { description: 'reports progress and logs', inputSchema: { steps: z.number() } }, async ({ steps }, extra) => {
    for (let i = 1; i <= steps; i++) {
      const token = extra._meta?.progressToken;
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps } });
      await pause();
    }
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: `did ${steps} steps` } });
    await pause();
    return { content: [{ type: 'text', text: `done ${steps}` }] };
  });
  server.registerTool('roots', { description: 'asks the client for its roots' }, async (extra) => {
    const result = await extra.sendRequest({ method: 'roots/list' }, ListRootsResultSchema);
    return { content: [{ type: 'text', text: result.roots.map((r) => r.uri).join(',') }] };
  });
  server.registerTool('sample', { description: 'asks the client to sample' }, async (extra) => {
    const result = await extra.sendRequest(
      { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 } },
      CreateMessageResultSchema,
    );
    return { content: [{ type: 'text', text: result.content.type === 'text' ? result.content.text : '?' }] };
  });
  server.registerTool('elicit', { description: 'asks the client a question' }, async (extra) => {
    const result = await extra.sendRequest(
      { method: 'elicitation/create', params: { message: 'name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } } },
      ElicitResultSchema,
    );
    return { content: [{ type: 'text', text: `${result.action}:${String(result.content?.name)}` }] };
  });
  server.registerTool('slow', { description: 'waits until cancelled (or 10 s)' }, async (extra) => {
    onSlow();
    await untilAborted(extra.signal);
    return { content: [{ type: 'text', text: extra.signal.aborted ? 'cancelled' : 'finished' }] };
  });
  server.registerTool('bulk', { description: 'answers with a text of the given size', inputSchema: { bytes: z.number() } }, async ({ bytes }) => ({
    content: [{ type: 'text', text: 'x'.repeat(bytes) }],
  }));
  server.registerTool('broadcast', { description: 'sends logging notifications unrelated to any request (standalone stream)', inputSchema: { count: z.number(), bytes: z.number(), tag: z.string() } }, async ({ count, bytes, tag }) => {
    for (let i = 1; i <= count; i++) await server.server.notification({ method: 'notifications/message', params: { level: 'info', data: `${tag}:${i}:${'y'.repeat(bytes)}` } });
    return { content: [{ type: 'text', text: `sent ${count}` }] };
  });
  server.registerTool('chatter', { description: 'sends logging notifications related to the call, then waits until cancelled (or 10 s)', inputSchema: { count: z.number(), bytes: z.number() } }, async ({ count, bytes }, extra) => {
    for (let i = 1; i <= count; i++) await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: `${i}:${'z'.repeat(bytes)}` } });
    onSlow();
    await untilAborted(extra.signal);
    return { content: [{ type: 'text', text: 'done' }] };
  });
  server.registerTool('add-tool', { description: 'registers a tool (server sends tools/list_changed unrelated to any request)', inputSchema: { name: z.string() } }, async ({ name }) => {
    server.registerTool(name, { description: 'added' }, async () => ({ content: [{ type: 'text', text: name }] }));
    return { content: [{ type: 'text', text: 'added' }] };
  });
  return server;
}

/** Wires each session to its own McpServer and remembers what it saw. */
export class McpServerAcceptor implements SessionAcceptor {
  readonly sessions: ClientSessionInfo[] = [];
  readonly transports: Transport[] = [];
  readonly servers: McpServer[] = [];
  /** Makes the next openSession throw, or makes the session's onmessage throw. */
  fail: 'open' | 'message' | undefined;
  closedSessions = 0;
  /** Calls of the `slow` tool started (in every session). */
  slowCalls = 0;

  async openSession(transport: Transport, info: ClientSessionInfo): Promise<void> {
    if (this.fail === 'open') throw new Error('acceptor refuses');
    this.sessions.push(info);
    this.transports.push(transport);
    const server = buildServer(() => void this.slowCalls++);
    this.servers.push(server);
    await server.connect(transport);
    if (this.fail === 'message') {
      transport.onmessage = () => {
        throw new Error('proxy bug');
      };
    }
    const previous = transport.onclose;
    transport.onclose = () => {
      this.closedSessions++;
      previous?.();
    };
  }
}

/** Accepts everyone; the client id comes from the x-test-client header (default "alice"). */
export class HeaderAuthenticator implements Authenticator {
  calls = 0;
  authenticate(request: AuthRequest): AuthResult {
    this.calls++;
    const id = (request.headers['x-test-client'] as string | undefined) ?? 'alice';
    return { ok: true, client: { id, name: id, auth: 'anonymous', roles: [], claims: {}, address: request.address } };
  }
}

/** Refuses everyone with the given status. */
export class RefusingAuthenticator implements Authenticator {
  constructor(private readonly status: 401 | 403 = 401) {}
  async authenticate(): Promise<AuthResult> {
    return this.status === 401
      ? { ok: false, status: 401, message: 'Missing or invalid credential: send Authorization: Bearer <token>', wwwAuthenticate: 'Bearer realm="mcp-warden"' }
      : { ok: false, status: 403, message: 'Client not permitted here' };
  }
}

export interface StartedFrontend {
  frontend: HttpFrontend;
  url: string;
  sseUrl: string;
  port: number;
  acceptor: McpServerAcceptor;
}

export async function startFrontend(
  overrides: Partial<ServerConfig> = {},
  authenticator: Authenticator = new HeaderAuthenticator(),
  logger: Logger = createLogger({ level: 'silent', pretty: false }),
): Promise<StartedFrontend> {
  const config = serverSchema.parse({ host: '127.0.0.1', port: 0, ...overrides });
  const acceptor = new McpServerAcceptor();
  const frontend = createHttpFrontend({ config, acceptor, authenticator, logger });
  const { url, sseUrl } = await frontend.listen();
  return { frontend, url, sseUrl, port: Number(new URL(url).port), acceptor };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

/** One HTTP request over node:http (lets tests set Host and stream bodies of any size). */
export function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? 'POST', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

export function initializeBody(id: number | string = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
  });
}

/** Initializes a session with raw HTTP and returns its id. */
export async function rawSession(url: string, headers: Record<string, string> = {}): Promise<string> {
  const init = await raw(url, { headers: { ...MCP_HEADERS, ...headers }, body: initializeBody() });
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${init.body}`);
  const sessionId = init.headers['mcp-session-id'] as string;
  const done = await raw(url, {
    headers: { ...MCP_HEADERS, ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  if (done.status !== 202) throw new Error(`initialized answered ${done.status}`);
  return sessionId;
}
