#!/usr/bin/env node
/**
 * Our MCP conformance test server: implements every tool, resource and prompt that the server
 * scenarios of @modelcontextprotocol/conformance call (tools-*, resources-*, prompts-*,
 * completion, logging, sampling/elicitation round trips, SSE polling, JSON Schema 2020-12),
 * on the SDK's McpServer. Runs over stdio (default) or Streamable HTTP:
 *   node test/servers/conformance-server.mjs [--stdio | --http [port]]
 * In HTTP mode it listens on 127.0.0.1 (port 0 = OS-assigned) and prints `MCP_URL=<url>`.
 */
import { z } from 'zod';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { parseTransportArgs, serveHttp } from './http-host.mjs';
import { elicitationDefaultsSchema, elicitationEnumsSchema } from './conformance-schemas.mjs';

/** 1x1 red pixel PNG. */
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A tiny valid WAV (8 kHz mono 8-bit, 8 samples of silence). */
function wavBase64() {
  const samples = 8;
  const buf = Buffer.alloc(44 + samples, 0x80);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + samples, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(8000, 24);
  buf.writeUInt32LE(8000, 28);
  buf.writeUInt16LE(1, 32);
  buf.writeUInt16LE(8, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(samples, 40);
  return buf.toString('base64');
}
const WAV_BASE64 = wavBase64();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const text = (t) => ({ content: [{ type: 'text', text: t }] });

function registerTools(server) {
  server.registerTool('test_simple_text', { description: 'Returns simple text' }, async () =>
    text('This is a simple text response for testing.'),
  );
  server.registerTool('test_image_content', { description: 'Returns an image' }, async () => ({
    content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }],
  }));
  server.registerTool('test_audio_content', { description: 'Returns audio' }, async () => ({
    content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }],
  }));
  server.registerTool('test_embedded_resource', { description: 'Returns an embedded resource' }, async () => ({
    content: [
      {
        type: 'resource',
        resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
      },
    ],
  }));
  server.registerTool('test_multiple_content_types', { description: 'Returns text, image and resource' }, async () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' },
      },
    ],
  }));
  server.registerTool('test_tool_with_logging', { description: 'Sends three log messages' }, async (extra) => {
    const log = (data) => extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data } });
    await log('Tool execution started');
    await sleep(50);
    await log('Tool processing data');
    await sleep(50);
    await log('Tool execution completed');
    return text('Logging tool completed');
  });
  server.registerTool('test_error_handling', { description: 'Always fails' }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
  }));
  server.registerTool('test_tool_with_progress', { description: 'Reports progress' }, async (extra) => {
    const progressToken = extra._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (progressToken !== undefined) {
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: 100 } });
      }
      if (progress < 100) await sleep(50);
    }
    return text('Progress tool completed');
  });
  server.registerTool(
    'test_sampling',
    { description: 'Asks the client to sample', inputSchema: { prompt: z.string() } },
    async ({ prompt }, extra) => {
      const result = await extra.sendRequest(
        { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 } },
        CreateMessageResultSchema,
      );
      return text(`LLM response: ${result.content?.type === 'text' ? result.content.text : JSON.stringify(result.content)}`);
    },
  );
  server.registerTool(
    'test_elicitation',
    { description: 'Asks the user for input', inputSchema: { message: z.string() } },
    async ({ message }, extra) => {
      const result = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message,
            requestedSchema: {
              type: 'object',
              properties: {
                username: { type: 'string', description: "User's response" },
                email: { type: 'string', description: "User's email address" },
              },
              required: ['username', 'email'],
            },
          },
        },
        ElicitResultSchema,
      );
      return text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    },
  );
  const elicitWith = (requestedSchema) => async (extra) => {
    const result = await extra.sendRequest(
      { method: 'elicitation/create', params: { message: 'Please review and submit the form', requestedSchema } },
      ElicitResultSchema,
    );
    return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
  };
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicitation with defaults' },
    elicitWith(elicitationDefaultsSchema),
  );
  server.registerTool('test_elicitation_sep1330_enums', { description: 'Elicitation with enums' }, elicitWith(elicitationEnumsSchema));

  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: z
        .object({ name: z.string().optional(), address: z.object({ street: z.string(), city: z.string() }).partial().optional() })
        .strict(),
    },
    async (args) => text(`Received: ${JSON.stringify(args)}`),
  );
  advertiseRawSchema(server, 'json_schema_2020_12_tool', JSON_SCHEMA_2020_12);
  server.registerTool('test_reconnection', { description: 'Closes its SSE stream mid-call, then answers' }, async (extra) => {
    extra.closeSSEStream?.();
    await sleep(100);
    return text('Reconnection test completed successfully');
  });
}

/** The inputSchema the json-schema-2020-12 scenario expects verbatim ($schema, $defs, $ref). */
const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
  properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
  additionalProperties: false,
};

/**
 * McpServer renders zod input schemas as draft-07; this wraps its tools/list handler so that one
 * tool is advertised with a hand-written JSON Schema 2020-12 document instead (validation of
 * calls still uses the equivalent zod schema).
 */
function advertiseRawSchema(server, toolName, inputSchema) {
  const handlers = server.server._requestHandlers;
  const listTools = handlers.get('tools/list');
  handlers.set('tools/list', async (request, extra) => {
    const result = await listTools(request, extra);
    for (const tool of result.tools) if (tool.name === toolName) tool.inputSchema = inputSchema;
    return result;
  });
}

function registerResources(server) {
  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A static text resource', mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A static binary resource', mimeType: 'image/png' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_BASE64 }] }),
  );
  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    { description: 'A resource that can be subscribed to', mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }] }),
  );
  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'Data for an id', mimeType: 'application/json' },
    async (uri, { id }) => ({
      contents: [
        { uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) },
      ],
    }),
  );
  const subscriptions = new Set();
  server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    subscriptions.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscriptions.delete(req.params.uri);
    return {};
  });
}

function registerPrompts(server) {
  const userText = (t) => ({ role: 'user', content: { type: 'text', text: t } });
  server.registerPrompt('test_simple_prompt', { description: 'A simple prompt without arguments' }, async () => ({
    messages: [userText('This is a simple prompt for testing.')],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two arguments',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), (value) =>
          ['paris', 'park', 'party', 'test', 'testing'].filter((v) => v.startsWith(value ?? '')),
        ),
        arg2: z.string().describe('Second test argument'),
      },
    },
    async ({ arg1, arg2 }) => ({ messages: [userText(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`)] }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt embedding a resource', argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') } },
    async ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        userText('Please process the embedded resource above.'),
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, async () => ({
    messages: [{ role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } }, userText('Please analyze the image above.')],
  }));
}

export function createConformanceServer() {
  const server = new McpServer(
    { name: 'mcp-warden-conformance-server', version: '1.0.0' },
    { capabilities: { logging: {}, completions: {}, resources: { subscribe: true } } },
  );
  registerTools(server);
  registerResources(server);
  registerPrompts(server);
  return server;
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const opts = parseTransportArgs();
  if (opts.mode === 'http') {
    await serveHttp({ createServer: createConformanceServer, port: opts.port, jsonResponse: opts.jsonResponse });
  } else {
    await createConformanceServer().connect(new StdioServerTransport());
  }
}
