#!/usr/bin/env node
/**
 * A hand-written stdio MCP server as lenient as many small ones are: it dispatches on `method`
 * alone, so a `tools/call` sent without an id (a notification by JSON-RPC's letter) still runs the
 * tool; it answers only messages with an id. `executed` answers with the tools it ran and the
 * notifications it received ({executed: [names], notifications: [methods]}).
 *   tools: delete_thing, executed
 */
import { onStdinLines } from './stdin-lines.mjs';

const executed = [];
const notifications = [];
const TOOLS = [
  { name: 'delete_thing', description: 'deletes a thing', inputSchema: { type: 'object' }, annotations: { destructiveHint: true } },
  { name: 'executed', description: 'what ran here', inputSchema: { type: 'object' } },
];

onStdinLines((msg) => {
  let result;
  if (msg.method === 'initialize') {
    result = { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'lenient', version: '1.0.0' } };
  } else if (msg.method === 'tools/list') {
    result = { tools: TOOLS };
  } else if (msg.method === 'tools/call') {
    if (msg.params?.name === 'executed') result = { content: [{ type: 'text', text: JSON.stringify({ executed, notifications }) }] };
    else {
      executed.push(msg.params?.name);
      result = { content: [{ type: 'text', text: 'done' }] };
    }
  } else if (typeof msg.method === 'string' && msg.id === undefined) {
    notifications.push(msg.method);
  }
  if (msg.id === undefined) return;
  const answer = result === undefined ? { error: { code: -32601, message: 'Method not found' } } : { result };
  process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...answer })}\n`);
});
