#!/usr/bin/env node
/**
 * A stdio MCP backend for the proxy tests, on the SDK's low-level Server so that its lists are
 * paginated (2 items a page). Its label (env TEST_BACKEND_LABEL, default "a") shows up in answers
 * so tests can tell two instances apart; both instances use the same tool names, so they collide
 * behind one endpoint.
 *   tools: echo, whoami (pid and label), crash (exits with code 3), slow (progress until done or
 *          cancelled), cancelled_count, delete_thing (destructive), secret (returns a password),
 *          sample_then_cancel (a sampling request it cancels itself after 300 ms); with
 *          TEST_BACKEND_LINKS=1 also link (`count` resource_link items for `uri`, or `uri`/0..count-1
 *          when count > 1; embedded: true gives embedded `resource` items instead)
 *   prompts: greet (completable argument), farewell, third
 *   resources: test://shared (same URI in every instance), test://<label>/only; template
 *              test://<label>/items/{id} (and TEST_BACKEND_TEMPLATE when set)
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const label = process.env.TEST_BACKEND_LABEL ?? 'a';
const PAGE = 2;
let cancelled = 0;

const obj = (properties = {}) => ({ type: 'object', properties });
const TOOLS = [
  { name: 'echo', description: `echo from ${label}`, inputSchema: obj({ text: { type: 'string' } }), annotations: { readOnlyHint: true } },
  { name: 'whoami', description: 'pid and label', inputSchema: obj(), annotations: { readOnlyHint: true } },
  { name: 'crash', description: 'exits the process', inputSchema: obj(), annotations: { destructiveHint: true } },
  { name: 'slow', description: 'reports progress every 50 ms for `ms`', inputSchema: obj({ ms: { type: 'number' } }), annotations: { readOnlyHint: true } },
  { name: 'cancelled_count', description: 'how many calls were cancelled', inputSchema: obj(), annotations: { readOnlyHint: true } },
  { name: 'delete_thing', description: 'deletes a thing', inputSchema: obj({ id: { type: 'string' } }), annotations: { readOnlyHint: false, destructiveHint: true } },
  { name: 'secret', description: 'returns a credential', inputSchema: obj(), annotations: { readOnlyHint: true } },
  { name: 'sample_then_cancel', description: 'asks the client to sample, then cancels that request', inputSchema: obj(), annotations: { readOnlyHint: true } },
];
if (process.env.TEST_BACKEND_LINKS === '1') {
  TOOLS.push({
    name: 'link',
    description: 'returns resource links',
    inputSchema: obj({ uri: { type: 'string' }, count: { type: 'number' }, embedded: { type: 'boolean' } }),
    annotations: { readOnlyHint: true },
  });
}
const PROMPTS = [
  { name: 'greet', description: 'greets', arguments: [{ name: 'name', required: true }] },
  { name: 'farewell', description: 'says bye' },
  { name: 'third', description: 'a third prompt' },
];
const RESOURCES = [
  { uri: 'test://shared', name: 'shared', mimeType: 'text/plain' },
  { uri: `test://${label}/only`, name: `only-${label}`, mimeType: 'text/plain' },
];
const TEMPLATES = [{ uriTemplate: `test://${label}/items/{id}`, name: 'item', mimeType: 'text/plain' }];
if (process.env.TEST_BACKEND_TEMPLATE) TEMPLATES.push({ uriTemplate: process.env.TEST_BACKEND_TEMPLATE, name: 'extra', mimeType: 'text/plain' });
// TEST_BACKEND_MANY=N: N more resources (test://<label>/many/<i>) and N more templates
// (test://<label>/t<i>/{id}), each listed in one page.
const MANY = Number(process.env.TEST_BACKEND_MANY ?? 0);
for (let i = 0; i < MANY; i++) TEMPLATES.push({ uriTemplate: `test://${label}/t${i}/{id}`, name: `t${i}`, mimeType: 'text/plain' });
const MANY_RESOURCES = Array.from({ length: MANY }, (_, i) => ({ uri: `test://${label}/many/${i}`, name: `many-${i}` }));

function page(list, cursor) {
  const start = cursor === undefined ? 0 : Number(cursor);
  if (!Number.isInteger(start) || start < 0 || start > list.length) throw new Error(`bad cursor ${cursor}`);
  const next = start + PAGE < list.length ? String(start + PAGE) : undefined;
  return { items: list.slice(start, start + PAGE), next };
}

const server = new Server(
  { name: `proxy-backend-${label}`, version: '1.0.0' },
  {
    capabilities: { tools: { listChanged: true }, prompts: {}, resources: { subscribe: true }, completions: {}, logging: {} },
    instructions: `backend ${label}`,
  },
);

server.setRequestHandler(ListToolsRequestSchema, (req) => {
  const { items, next } = page(TOOLS, req.params?.cursor);
  return next === undefined ? { tools: items } : { tools: items, nextCursor: next };
});
server.setRequestHandler(ListPromptsRequestSchema, (req) => {
  const { items, next } = page(PROMPTS, req.params?.cursor);
  return next === undefined ? { prompts: items } : { prompts: items, nextCursor: next };
});
server.setRequestHandler(ListResourcesRequestSchema, (req) => {
  if (MANY > 0) return { resources: [...RESOURCES, ...MANY_RESOURCES] };
  const { items, next } = page(RESOURCES, req.params?.cursor);
  return next === undefined ? { resources: items } : { resources: items, nextCursor: next };
});
server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: TEMPLATES }));
server.setRequestHandler(ReadResourceRequestSchema, (req) => ({
  contents: [{ uri: req.params.uri, mimeType: 'text/plain', text: `${label}:${req.params.uri}` }],
}));
server.setRequestHandler(SubscribeRequestSchema, async (req) => {
  setTimeout(() => void server.notification({ method: 'notifications/resources/updated', params: { uri: req.params.uri } }), 20);
  return {};
});
server.setRequestHandler(UnsubscribeRequestSchema, () => ({}));
server.setRequestHandler(GetPromptRequestSchema, (req) => ({
  messages: [{ role: 'user', content: { type: 'text', text: `${label}:${req.params.name}:${req.params.arguments?.name ?? ''}` } }],
}));
server.setRequestHandler(CompleteRequestSchema, (req) => ({
  completion: { values: ['alice', 'albert', 'bob'].filter((v) => v.startsWith(req.params.argument.value)).map((v) => `${label}-${v}`), hasMore: false },
}));

const text = (t) => ({ content: [{ type: 'text', text: t }] });

server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
  const args = req.params.arguments ?? {};
  switch (req.params.name) {
    case 'echo':
      return text(`${label}:${args.text}`);
    case 'whoami':
      return text(JSON.stringify({ pid: process.pid, label }));
    case 'crash':
      setImmediate(() => process.exit(3));
      return new Promise(() => undefined);
    case 'slow': {
      const ms = Number(args.ms ?? 1000);
      const token = req.params._meta?.progressToken;
      const started = Date.now();
      let step = 0;
      while (Date.now() - started < ms) {
        if (extra.signal.aborted) {
          cancelled++;
          return text('cancelled');
        }
        await new Promise((r) => setTimeout(r, 50));
        step++;
        if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: step } });
      }
      return text(`slow done after ${step} steps`);
    }
    case 'cancelled_count':
      return text(String(cancelled));
    case 'delete_thing':
      return text(`${label}: deleted ${args.id}`);
    case 'link': {
      const count = Number(args.count ?? 1);
      const uris = count > 1 ? Array.from({ length: count }, (_, i) => `${args.uri}/${i}`) : [String(args.uri)];
      const item = (uri) =>
        args.embedded === true ? { type: 'resource', resource: { uri, mimeType: 'text/plain', text: `${label}:${uri}` } } : { type: 'resource_link', uri, name: uri };
      return { content: [{ type: 'text', text: `${uris.length} from ${label}` }, ...uris.map(item)] };
    }
    case 'secret':
      return text('user=admin password=hunter2');
    case 'sample_then_cancel': {
      const controller = new AbortController();
      setTimeout(() => controller.abort('changed my mind'), 300);
      try {
        await extra.sendRequest(
          { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'slow' } }], maxTokens: 5 } },
          CreateMessageResultSchema,
          { signal: controller.signal },
        );
        return text('sampling answered');
      } catch {
        return text('sampling cancelled');
      }
    }
    default:
      return { ...text(`Unknown tool: ${req.params.name}`), isError: true };
  }
});

await server.connect(new StdioServerTransport());

// A backend that does not stop when asked (stdin closed, SIGTERM): only SIGKILL ends it.
if (process.env.TEST_BACKEND_IGNORE_SIGTERM === '1') {
  process.on('SIGTERM', () => undefined);
  setInterval(() => undefined, 60_000);
}
