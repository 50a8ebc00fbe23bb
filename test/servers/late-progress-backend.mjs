#!/usr/bin/env node
/**
 * A stdio MCP backend, newline-delimited JSON by hand (no SDK, so the order of its lines is exactly
 * as written), that sends progress for a request after answering it, as a careless server does:
 * tools/call `work {key}` with a progress token writes a progress (0) for it, the answer, a progress
 * (1, "late") for the same token, then a log message `after {key}`: a marker that what came
 * before it has been relayed.
 */
import { createInterface } from 'node:readline';

const out = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');
const TOOLS = [{ name: 'work', description: 'work', inputSchema: { type: 'object', properties: { key: { type: 'string' } } }, annotations: { readOnlyHint: true } }];

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const msg = JSON.parse(line);
  if (msg.id === undefined) return; // notifications
  switch (msg.method) {
    case 'initialize':
      return out({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {}, logging: {} }, serverInfo: { name: 'late-progress-backend', version: '1.0.0' } } });
    case 'tools/list':
      return out({ jsonrpc: '2.0', id: msg.id, result: { tools: TOOLS } });
    case 'tools/call': {
      const key = String(msg.params?.arguments?.key ?? '');
      const token = msg.params?._meta?.progressToken;
      if (token !== undefined) out({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 0 } });
      out({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: `${key}: done` }] } });
      if (token !== undefined) out({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 1, message: `late ${key}` } });
      return out({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `after ${key}` } });
    }
    case 'ping':
      return out({ jsonrpc: '2.0', id: msg.id, result: {} });
    default:
      return out({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } });
  }
});
