#!/usr/bin/env node
/**
 * demo/: the bundled demo backend MCP server that `mcp-warden serve` runs when no config is given.
 * A small inventory over stdio, built on the SDK's McpServer: read tools (list_items, get_item,
 * search_items), write tools (create_item, delete_item) with honest annotations for policies to key
 * on, one resource per item plus an inventory summary, and a prompt. State lives in memory.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

interface Item {
  id: string;
  name: string;
  quantity: number;
}

const items = new Map<string, Item>([
  ['1', { id: '1', name: 'hammer', quantity: 3 }],
  ['2', { id: '2', name: 'screwdriver', quantity: 12 }],
  ['3', { id: '3', name: 'wrench', quantity: 5 }],
]);
let nextId = 4;

const server = new McpServer(
  { name: 'mcp-warden-demo', version: '0.1.0', title: 'mcp-warden demo inventory' },
  { instructions: 'A demo inventory. Read tools are safe; create_item and delete_item change the inventory.' },
);

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: typeof value === 'string' ? value : JSON.stringify(value) }] });
const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

server.registerTool(
  'list_items',
  { title: 'List items', description: 'Lists every item in the inventory', inputSchema: {}, annotations: READ },
  async () => text([...items.values()]),
);

server.registerTool(
  'get_item',
  { title: 'Get item', description: 'Returns one item by id', inputSchema: { id: z.string().describe('item id') }, annotations: READ },
  async ({ id }) => {
    const item = items.get(id);
    return item ? text(item) : { ...text(`no item with id ${id}`), isError: true };
  },
);

server.registerTool(
  'search_items',
  { title: 'Search items', description: 'Finds items whose name contains the query', inputSchema: { query: z.string() }, annotations: READ },
  async ({ query }) => text([...items.values()].filter((i) => i.name.includes(query.toLowerCase()))),
);

server.registerTool(
  'create_item',
  {
    title: 'Create item',
    description: 'Adds an item to the inventory',
    inputSchema: { name: z.string(), quantity: z.number().int().nonnegative().default(1) },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  },
  async ({ name, quantity }) => {
    const item = { id: String(nextId++), name, quantity };
    items.set(item.id, item);
    server.sendResourceListChanged();
    return text(item);
  },
);

server.registerTool(
  'delete_item',
  {
    title: 'Delete item',
    description: 'Removes an item from the inventory (cannot be undone)',
    inputSchema: { id: z.string() },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  },
  async ({ id }) => {
    const existed = items.delete(id);
    if (existed) server.sendResourceListChanged();
    return text(existed ? `deleted item ${id}` : `no item with id ${id}`);
  },
);

server.registerResource(
  'inventory',
  'inventory://summary',
  { title: 'Inventory summary', description: 'Item count and total quantity', mimeType: 'application/json' },
  async (uri) => ({
    contents: [
      {
        uri: uri.href,
        mimeType: 'application/json',
        text: JSON.stringify({ items: items.size, quantity: [...items.values()].reduce((n, i) => n + i.quantity, 0) }),
      },
    ],
  }),
);

server.registerResource(
  'item',
  new ResourceTemplate('inventory://items/{id}', {
    list: async () => ({ resources: [...items.values()].map((i) => ({ uri: `inventory://items/${i.id}`, name: i.name, mimeType: 'application/json' })) }),
    complete: { id: (value) => [...items.keys()].filter((id) => id.startsWith(value)) },
  }),
  { title: 'Inventory item', mimeType: 'application/json' },
  async (uri, { id }) => {
    const item = items.get(String(id));
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(item ?? null) }] };
  },
);

server.registerPrompt(
  'restock_report',
  { title: 'Restock report', description: 'Asks for a restock plan for items below a threshold', argsSchema: { threshold: z.string().optional() } },
  ({ threshold }) => {
    const limit = Number(threshold ?? '5');
    const low = [...items.values()].filter((i) => i.quantity < limit);
    return {
      messages: [{ role: 'user', content: { type: 'text', text: `Write a restock plan for these items (below ${limit}): ${JSON.stringify(low)}` } }],
    };
  },
);

await server.connect(new StdioServerTransport());
