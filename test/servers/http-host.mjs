/**
 * Hosts an SDK McpServer factory over Streamable HTTP on 127.0.0.1 for our test servers:
 * one McpServer per session (Mcp-Session-Id), an in-memory event store so SSE streams can be
 * closed and resumed with Last-Event-ID, and Host/Origin checks against DNS rebinding.
 * Prints `MCP_URL=<url>` on stdout once listening, so a parent process can read the port.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Host header or Origin's host, port stripped; true when it names the loopback interface. */
function isLoopbackHost(hostWithPort) {
  if (!hostWithPort) return false;
  const name = hostWithPort.startsWith('[') ? hostWithPort.slice(0, hostWithPort.indexOf(']') + 1) : hostWithPort.split(':')[0];
  return LOOPBACK_NAMES.has(name.toLowerCase());
}

function isAllowedOrigin(origin) {
  if (origin === undefined) return true;
  try {
    return isLoopbackHost(new URL(origin).host);
  } catch {
    return false;
  }
}

/** Minimal in-memory EventStore (SDK interface): events per stream, replay after an event id. */
export class MemoryEventStore {
  #events = new Map(); // eventId -> { streamId, message }
  #seq = 0;

  async storeEvent(streamId, message) {
    const eventId = `${streamId}_${++this.#seq}`;
    this.#events.set(eventId, { streamId, message });
    return eventId;
  }

  async getStreamIdForEventId(eventId) {
    return this.#events.get(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId, { send }) {
    const last = this.#events.get(lastEventId);
    if (!last) return '';
    let after = false;
    for (const [eventId, { streamId, message }] of this.#events) {
      if (eventId === lastEventId) {
        after = true;
        continue;
      }
      // Priming events are stored as {} and carry no message to replay.
      if (after && streamId === last.streamId && 'jsonrpc' in message) await send(eventId, message);
    }
    return last.streamId;
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJsonError(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/**
 * Listen on 127.0.0.1:port (0 = OS-assigned) and serve `createServer()` at `path`.
 * @param {{ createServer: () => import('@modelcontextprotocol/sdk/server/mcp.js').McpServer, port?: number, path?: string, jsonResponse?: boolean }} opts
 */
export async function serveHttp({ createServer, port = 0, path = '/mcp', jsonResponse = false }) {
  const sessions = new Map(); // sessionId -> transport

  const httpServer = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== path) return sendJsonError(res, 404, -32000, 'Not found');
      if (!isLoopbackHost(req.headers.host) || !isAllowedOrigin(req.headers.origin)) {
        return sendJsonError(res, 403, -32000, 'Forbidden: Host or Origin not allowed');
      }
      const sessionId = req.headers['mcp-session-id'];
      let body;
      if (req.method === 'POST') {
        const text = await readBody(req);
        try {
          body = JSON.parse(text);
        } catch {
          return sendJsonError(res, 400, -32700, 'Parse error');
        }
      }
      let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
      if (!transport) {
        if (typeof sessionId === 'string') return sendJsonError(res, 404, -32001, 'Session not found');
        if (req.method !== 'POST' || body?.method !== 'initialize') {
          return sendJsonError(res, 400, -32000, 'Bad Request: no valid session ID provided');
        }
        const server = createServer();
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          eventStore: new MemoryEventStore(),
          retryInterval: 500,
          enableJsonResponse: jsonResponse,
          onsessioninitialized: (id) => sessions.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) sessions.delete(transport.sessionId);
          server.close().catch(() => {});
        };
        await server.connect(transport);
      }
      await transport.handleRequest(req, res, body);
    } catch (err) {
      if (!res.headersSent) sendJsonError(res, 500, -32603, `Internal error: ${err?.message ?? err}`);
      else res.end();
    }
  });
  httpServer.keepAliveTimeout = 60_000;

  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = httpServer.address();
  const url = `http://127.0.0.1:${bound}${path}`;
  process.stdout.write(`MCP_URL=${url}\n`);

  const shutdown = () => {
    for (const t of sessions.values()) t.close().catch(() => {});
    httpServer.close();
    httpServer.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  return { url, httpServer };
}

/** `--http [port]` / `--stdio` (default) from argv, port also from MCP_PORT. */
export function parseTransportArgs(argv = process.argv.slice(2)) {
  const i = argv.indexOf('--http');
  if (i < 0) return { mode: 'stdio' };
  const next = argv[i + 1];
  const port = next !== undefined && /^\d+$/.test(next) ? Number(next) : Number(process.env.MCP_PORT ?? 0);
  return { mode: 'http', port, jsonResponse: argv.includes('--json') };
}
