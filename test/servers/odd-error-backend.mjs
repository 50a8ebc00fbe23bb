#!/usr/bin/env node
/**
 * A stdio MCP backend (raw newline-delimited JSON, no SDK) whose tools/call answers are JSON-RPC
 * errors with a `message` that is not a string, as a misbehaving or hostile backend may write one:
 * the call's `arguments.message` is sent back as the error's message, whatever it is (a number, an
 * object, null, an array). With `arguments.deep` (`message` or `data`), that member of the error is
 * an array nested 20000 levels deep (deeper than JSON.stringify goes; JSON.parse reads it). Its one
 * tool is read-only, so the default policy lets it be called.
 */
import { createInterface } from 'node:readline';

const out = (value) => process.stdout.write(JSON.stringify(value) + '\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line);
  if (msg.id === undefined) return;
  switch (msg.method) {
    case 'initialize':
      return out({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'odd-error', version: '1' } } });
    case 'tools/list':
      return out({ jsonrpc: '2.0', id: msg.id, result: { tools: [{ name: 'fail', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } }] } });
    case 'tools/call': {
      const deep = msg.params?.arguments?.deep;
      if (deep !== undefined) {
        const nested = '['.repeat(20000) + ']'.repeat(20000);
        const error = deep === 'data' ? `{"code": -32000, "message": "deep data", "data": ${nested}}` : `{"code": -32000, "message": ${nested}}`;
        return process.stdout.write(`{"jsonrpc": "2.0", "id": ${JSON.stringify(msg.id)}, "error": ${error}}\n`);
      }
      return out({ jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: msg.params?.arguments?.message } });
    }
    default:
      return out({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
  }
});
