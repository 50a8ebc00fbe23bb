/**
 * Shared by the guide test servers (qubinode, nomad, orchestrator, containarium): an SDK McpServer
 * whose tools and resources append one JSON line per call they receive to the file named by
 * MCP_RECORD_FILE ({kind, name, arguments|uri, pid}), so a test can prove that a call denied by
 * mcp-warden never reached the backend. Also serves a server factory over stdio or legacy SSE.
 */
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';

const recordFile = process.env.MCP_RECORD_FILE;

/** Appends one line to MCP_RECORD_FILE (synchronously: the line exists before the answer leaves). */
export function record(entry) {
  if (recordFile) appendFileSync(recordFile, `${JSON.stringify({ ...entry, pid: process.pid })}\n`);
}

export const text = (value) => ({
  content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }],
});

/**
 * Registers tools from a table {name: {description, annotations, schema (zod shape), run(args)}};
 * every call is recorded before it runs.
 */
export function registerRecordedTools(server, tools) {
  for (const [name, def] of Object.entries(tools)) {
    server.registerTool(
      name,
      { description: def.description, inputSchema: def.schema, annotations: def.annotations },
      async (args) => {
        record({ kind: 'tool', name, arguments: args });
        return text(def.run(args));
      },
    );
  }
}

/** Runs `createServer()` over stdio (default) or legacy SSE (`--sse`, prints MCP_URL=<url>). */
export async function serve(createServer, argv = process.argv.slice(2)) {
  if (!argv.includes('--sse')) {
    await createServer().connect(new StdioServerTransport());
    return;
  }
  const transports = new Map();
  const httpServer = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      res.on('close', () => transports.delete(transport.sessionId));
      await createServer().connect(transport);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      const transport = transports.get(url.searchParams.get('sessionId') ?? '');
      if (!transport) {
        res.writeHead(404).end('unknown session');
        return;
      }
      await transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  httpServer.listen(0, '127.0.0.1', () => {
    const { port } = httpServer.address();
    process.stdout.write(`MCP_URL=http://127.0.0.1:${port}/sse\n`);
  });
  const stop = () => httpServer.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

export function newServer(name) {
  return new McpServer({ name, version: '1.0.0' });
}
