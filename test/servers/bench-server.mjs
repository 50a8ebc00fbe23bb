#!/usr/bin/env node
/**
 * A deliberately cheap MCP server for benchmarks: raw JSON-RPC, no SDK, so that its own cost
 * does not hide the cost of the hop being measured. Tools: `echo` and `kubectl_get` (the real
 * tool name of mcp-server-kubernetes, so policy packs see a realistic call); both answer at once
 * with their arguments as text. Calling any other name echoes too, except `fail`, which answers
 * isError (so the harness's error counting can be checked).
 *   node test/servers/bench-server.mjs            stdio (newline-delimited JSON-RPC)
 *   node test/servers/bench-server.mjs --http 0   Streamable HTTP on 127.0.0.1 (JSON responses),
 *                                                 prints MCP_URL=<url>
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const TOOLS = [
  {
    name: 'echo',
    description: 'Echoes its arguments',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'kubectl_get',
    description: 'Get or list Kubernetes resources by resource type, name, and optionally namespace',
    inputSchema: {
      type: 'object',
      properties: { resourceType: { type: 'string' }, name: { type: 'string' }, namespace: { type: 'string' } },
      required: ['resourceType'],
    },
    annotations: { readOnlyHint: true },
  },
];

/** The JSON-RPC response for one request message, or undefined for a notification. */
function answer(msg) {
  if (msg.id === undefined || msg.id === null) return undefined;
  switch (msg.method) {
    case 'initialize':
      return {
        jsonrpc: '2.0',
        id: msg.id,
        result: {
          protocolVersion: msg.params?.protocolVersion ?? '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: 'mcp-warden-bench-server', version: '1.0.0' },
        },
      };
    case 'tools/call':
      if (msg.params?.name === 'fail') {
        return { jsonrpc: '2.0', id: msg.id, result: { isError: true, content: [{ type: 'text', text: 'failed on purpose' }] } };
      }
      return {
        jsonrpc: '2.0',
        id: msg.id,
        result: { content: [{ type: 'text', text: JSON.stringify(msg.params?.arguments ?? {}) }] },
      };
    case 'tools/list':
      return { jsonrpc: '2.0', id: msg.id, result: { tools: TOOLS } };
    case 'ping':
      return { jsonrpc: '2.0', id: msg.id, result: {} };
    default:
      return { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } };
  }
}

function serveStdio() {
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buf += chunk;
    let nl;
    let out = '';
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === '') continue;
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        out += `${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } })}\n`;
        continue;
      }
      const res = answer(msg);
      if (res) out += `${JSON.stringify(res)}\n`;
    }
    if (out) process.stdout.write(out);
  });
  process.stdin.on('end', () => process.exit(0));
}

function serveHttp(port) {
  const sessions = new Set();
  const server = http.createServer((req, res) => {
    if (req.method === 'DELETE') {
      sessions.delete(req.headers['mcp-session-id']);
      res.writeHead(200).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST, DELETE' }).end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let msg;
      try {
        msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
        return;
      }
      const headers = { 'content-type': 'application/json' };
      if (msg.method === 'initialize') {
        const id = randomUUID();
        sessions.add(id);
        headers['mcp-session-id'] = id;
      } else if (!sessions.has(req.headers['mcp-session-id'])) {
        res.writeHead(404, headers).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
        return;
      }
      const out = answer(msg);
      if (!out) {
        res.writeHead(202).end();
        return;
      }
      res.writeHead(200, headers).end(JSON.stringify(out));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`MCP_URL=http://127.0.0.1:${server.address().port}/mcp\n`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const i = process.argv.indexOf('--http');
if (i >= 0) serveHttp(Number(process.argv[i + 1] ?? process.env.MCP_PORT ?? 0) || 0);
else serveStdio();
