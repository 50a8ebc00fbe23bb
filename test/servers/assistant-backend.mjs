#!/usr/bin/env node
/**
 * Test backend whose read-only tools ask the client for help, as assistant-style servers do:
 *   summarize_notes       sends sampling/createMessage and returns the client's answer
 *   get_user_preferences  sends elicitation/create and returns the user's answer
 * Both are annotated readOnlyHint: true, so the default (read-only) pack lets a client call them.
 * When the client's side refuses (or mcp-warden's policy answers for it), the tool result says what
 * error the server got back: "<method> failed: <code> <message> reasons=<data.reasons as JSON>".
 *   node test/servers/assistant-backend.mjs      (stdio)
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { text } from './recording.mjs';

const server = new McpServer({ name: 'assistant-backend', version: '1.0.0' });

function failure(method, err) {
  return { ...text(`${method} failed: ${err.code} ${err.message} reasons=${JSON.stringify(err.data?.reasons ?? null)}`), isError: true };
}

server.registerTool(
  'summarize_notes',
  { description: 'Summarizes the notes with the client model', annotations: { readOnlyHint: true } },
  async () => {
    try {
      const answer = await server.server.createMessage({
        messages: [{ role: 'user', content: { type: 'text', text: 'Summarize: the build is green.' } }],
        maxTokens: 20,
      });
      return text(`summary: ${answer.content.type === 'text' ? answer.content.text : answer.content.type}`);
    } catch (err) {
      return failure('sampling/createMessage', err);
    }
  },
);

server.registerTool(
  'get_user_preferences',
  { description: "Asks the user for their name", annotations: { readOnlyHint: true } },
  async () => {
    try {
      const answer = await server.server.elicitInput({
        message: 'What is your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      });
      return text(`preferences: action=${answer.action} name=${answer.content?.name ?? ''}`);
    } catch (err) {
      return failure('elicitation/create', err);
    }
  },
);

await server.connect(new StdioServerTransport());
