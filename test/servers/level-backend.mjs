#!/usr/bin/env node
/**
 * A stdio MCP backend that says which logging levels it was set to: every logging/setLevel it
 * receives is kept, in order, by this process.
 *   tools: levels ({pid, levels}: the levels this process was set to), crash (exits with code 3)
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, SetLevelRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const levels = [];
const empty = { type: 'object', properties: {} };
const server = new Server({ name: 'level-backend', version: '1.0.0' }, { capabilities: { tools: {}, logging: {} } });
server.setRequestHandler(SetLevelRequestSchema, (req) => {
  levels.push(req.params.level);
  return {};
});
server.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: [
    { name: 'levels', description: 'the levels this process was set to', inputSchema: empty },
    { name: 'crash', description: 'exits the process', inputSchema: empty },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, (req) => {
  if (req.params.name === 'crash') {
    setImmediate(() => process.exit(3));
    return { content: [{ type: 'text', text: 'bye' }] };
  }
  return { content: [{ type: 'text', text: JSON.stringify({ pid: process.pid, levels }) }] };
});

await server.connect(new StdioServerTransport());
