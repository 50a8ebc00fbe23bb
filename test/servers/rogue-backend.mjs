#!/usr/bin/env node
/**
 * A misbehaving stdio MCP backend (raw newline-delimited JSON, no SDK) for robustness tests: a
 * tools/list answer with result null, and a tools/call that first writes a non-JSON line, an
 * answer to an id nobody asked, a batch and a notification with null params, then its real answer.
 */
import { createInterface } from 'node:readline';

const out = (value) => process.stdout.write((typeof value === 'string' ? value : JSON.stringify(value)) + '\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line);
  if (msg.id === undefined) return;
  switch (msg.method) {
    case 'initialize':
      return out({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'rogue', version: '1' } } });
    case 'tools/list':
      return out({ jsonrpc: '2.0', id: msg.id, result: null });
    case 'tools/call':
      out('this is not json');
      out({ jsonrpc: '2.0', id: 999999, result: {} });
      out([1, 2]);
      out({ jsonrpc: '2.0', method: 'notifications/progress', params: null });
      out({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 424242 } });
      return out({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: 'survived' }] } });
    default:
      return out({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found', data: { method: msg.method } } });
  }
});
