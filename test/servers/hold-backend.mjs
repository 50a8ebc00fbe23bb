#!/usr/bin/env node
/**
 * A stdio MCP backend whose calls wait for a signal, not for a time: `hold {key}` answers only
 * when `release {key}` is called (or when the call is cancelled: then it counts it). With a
 * progress token, `hold` first sends one progress notification (its answer then goes out as SSE).
 * `await-file {path}` answers once that file exists (a signal from outside the session; progress as `hold`).
 * `nudge {key}` sends the held call of that key one more progress notification (under its token).
 *   tools: hold, release, held (the keys of the calls waiting), cancelled (the keys cancelled, in order), await-file, nudge
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const keyArg = { type: 'object', properties: { key: { type: 'string' } } };
const TOOLS = [
  { name: 'hold', description: 'answers when released or cancelled', inputSchema: keyArg },
  { name: 'release', description: 'answers the hold of that key', inputSchema: keyArg },
  { name: 'held', description: 'keys of the holds waiting', inputSchema: { type: 'object', properties: {} } },
  { name: 'cancelled', description: 'keys of the holds cancelled', inputSchema: { type: 'object', properties: {} } },
  { name: 'await-file', description: 'answers once the file exists', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
  { name: 'nudge', description: 'one more progress notification for the hold of that key', inputSchema: keyArg },
];
/** key -> sends the hold one more progress notification */
const nudges = new Map();
/** key -> resolves the hold's wait */
const holds = new Map();
const cancelled = [];
const text = (t) => ({ content: [{ type: 'text', text: t }] });

const server = new Server({ name: 'hold-backend', version: '1.0.0' }, { capabilities: { tools: {} } });
// With HOLD_TOOLS_LIST_FILE set, tools/list writes `<file>.asked` and answers once `<file>` exists.
const listFile = process.env.HOLD_TOOLS_LIST_FILE;
server.setRequestHandler(ListToolsRequestSchema, async () => {
  if (listFile !== undefined) {
    writeFileSync(`${listFile}.asked`, '');
    while (!existsSync(listFile)) await new Promise((r) => setTimeout(r, 10));
  }
  return { tools: TOOLS };
});
server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
  const key = String(req.params.arguments?.key ?? '');
  switch (req.params.name) {
    case 'hold': {
      const token = req.params._meta?.progressToken;
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 0 } });
      let step = 0;
      if (token !== undefined) nudges.set(key, () => extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: ++step, message: key } }));
      const outcome = await new Promise((resolve) => {
        holds.set(key, resolve);
        extra.signal.addEventListener('abort', () => resolve('cancelled'));
      });
      holds.delete(key);
      nudges.delete(key);
      if (outcome === 'cancelled') cancelled.push(key);
      return text(`${key}: ${outcome}`);
    }
    case 'release': {
      const resolve = holds.get(key);
      resolve?.('released');
      return text(resolve === undefined ? `${key}: not held` : `${key}: released`);
    }
    case 'await-file': {
      const path = String(req.params.arguments?.path ?? '');
      const token = req.params._meta?.progressToken;
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 0 } });
      while (!existsSync(path) && !extra.signal.aborted) await new Promise((r) => setTimeout(r, 10));
      return text(`${path}: ${extra.signal.aborted ? 'cancelled' : 'exists'}`);
    }
    case 'nudge': {
      const nudge = nudges.get(key);
      if (nudge !== undefined) await nudge();
      return text(nudge === undefined ? `${key}: not held with a token` : `${key}: nudged`);
    }
    case 'held':
      return text(JSON.stringify([...holds.keys()]));
    case 'cancelled':
      return text(JSON.stringify(cancelled));
    default:
      return { ...text(`Unknown tool: ${req.params.name}`), isError: true };
  }
});

await server.connect(new StdioServerTransport());
