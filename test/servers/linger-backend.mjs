#!/usr/bin/env node
/**
 * A stdio MCP backend that sends progress for a request after that request has ended, as a slow
 * or careless server does: `linger {key}` (with a progress token) sends one progress notification,
 * then waits to be cancelled and keeps its token; `nudge {key}` then sends a progress notification
 * for that token (its request long over), then a log message `nudged {key}` (not about any request:
 * a marker that what came before it has been relayed), and answers. `hold {key}` (with a progress
 * token) sends one progress notification and answers when `release {key}` is called.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const keyArg = { type: 'object', properties: { key: { type: 'string' } } };
const TOOLS = ['linger', 'nudge', 'hold', 'release'].map((name) => ({ name, description: name, inputSchema: keyArg }));
/** key -> the progress token of a cancelled linger */
const lingering = new Map();
/** key -> resolves a hold */
const holds = new Map();
const text = (t) => ({ content: [{ type: 'text', text: t }] });

const server = new Server({ name: 'linger-backend', version: '1.0.0' }, { capabilities: { tools: {}, logging: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
  const key = String(req.params.arguments?.key ?? '');
  const token = req.params._meta?.progressToken;
  switch (req.params.name) {
    case 'linger':
    case 'hold': {
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 0 } });
      const outcome = await new Promise((resolve) => {
        if (req.params.name === 'hold') holds.set(key, resolve);
        extra.signal.addEventListener('abort', () => resolve('cancelled'));
      });
      if (outcome === 'cancelled' && token !== undefined) lingering.set(key, token);
      return text(`${key}: ${outcome}`);
    }
    case 'release': {
      holds.get(key)?.('released');
      holds.delete(key);
      return text(`${key}: released`);
    }
    case 'nudge': {
      const stale = lingering.get(key);
      if (stale !== undefined) await server.notification({ method: 'notifications/progress', params: { progressToken: stale, progress: 1, message: `late ${key}` } });
      await server.notification({ method: 'notifications/message', params: { level: 'info', data: `nudged ${key}` } });
      return text(stale === undefined ? `${key}: nothing lingering` : `${key}: nudged ${stale}`);
    }
    default:
      return { ...text(`Unknown tool: ${req.params.name}`), isError: true };
  }
});

await server.connect(new StdioServerTransport());
