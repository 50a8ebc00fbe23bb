#!/usr/bin/env node
/**
 * Test backend for identity tests: records the credentials it was given, so a test can prove the
 * backend got its own configured credential and never the client's. Appends JSON lines to
 * MCP_RECORD_FILE: over stdio one {kind:"env", env} line at start (its whole environment); over
 * HTTP one {kind:"http", method, headers} line per request. Tool `echo` answers its text and
 * records {kind:"tool", name, arguments}.
 *   node test/servers/credential-recorder.mjs            stdio
 *   node test/servers/credential-recorder.mjs --http     Streamable HTTP on 127.0.0.1:0, prints MCP_URL=<url>
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

const recordFile = process.env.MCP_RECORD_FILE;
const record = (entry) => {
  if (recordFile) appendFileSync(recordFile, `${JSON.stringify({ ...entry, pid: process.pid })}\n`);
};

function createServer() {
  const server = new McpServer({ name: 'credential-recorder', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes its text', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } }, async (args) => {
    record({ kind: 'tool', name: 'echo', arguments: args });
    return { content: [{ type: 'text', text: args.text }] };
  });
  return server;
}

if (!process.argv.includes('--http')) {
  record({ kind: 'env', env: process.env });
  await createServer().connect(new StdioServerTransport());
} else {
  const sessions = new Map();
  const httpServer = http.createServer(async (req, res) => {
    record({ kind: 'http', method: req.method, headers: req.headers });
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      if (id !== undefined) {
        res.writeHead(404).end('unknown session');
        return;
      }
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => sessions.set(sid, transport) });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await createServer().connect(transport);
    }
    await transport.handleRequest(req, res);
  });
  httpServer.listen(0, '127.0.0.1', () => {
    process.stdout.write(`MCP_URL=http://127.0.0.1:${httpServer.address().port}/mcp\n`);
  });
  const stop = () => httpServer.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
