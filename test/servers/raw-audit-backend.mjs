#!/usr/bin/env node
/**
 * A minimal stdio MCP server (newline-delimited JSON-RPC, no SDK) for the audit's raw-path tests.
 * It writes every answer compactly (JSON.stringify), so the proxy can take answers as bytes.
 * Tools: `echo` answers `echo:<text>`; `creds` answers with a structured `session_token` (a
 * sensitive name in the answer only); `fail` answers isError; `broken` answers a line that is not
 * valid JSON (in the compact answer's spelling).
 */
import { createInterface } from 'node:readline';

const TOOLS = [
  { name: 'echo', description: 'echoes text', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'creds', description: 'returns a session credential', inputSchema: { type: 'object' } },
  { name: 'fail', description: 'answers isError', inputSchema: { type: 'object' } },
];

const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

function call(id, params) {
  const args = params.arguments ?? {};
  switch (params.name) {
    case 'echo':
      return send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `echo:${args.text}` }] } });
    case 'creds':
      return send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'issued' }], structuredContent: { session_token: 'tok-answer-secret-77' } } });
    case 'fail':
      return send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'it failed' }], isError: true } });
    case 'broken':
      return process.stdout.write(`{"jsonrpc":"2.0","id":${id},"result":{"content":[}\n`);
    default:
      return send({ jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool: ${params.name}` } });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const msg = JSON.parse(line);
  if (msg.id === undefined || msg.method === undefined) return;
  if (msg.method === 'initialize') {
    send({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'raw-audit-backend', version: '1.0.0' } } });
  } else if (msg.method === 'tools/list') {
    send({ jsonrpc: '2.0', id: msg.id, result: { tools: TOOLS } });
  } else if (msg.method === 'tools/call') {
    call(msg.id, msg.params ?? {});
  } else if (msg.method === 'ping') {
    send({ jsonrpc: '2.0', id: msg.id, result: {} });
  } else {
    send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } });
  }
});
