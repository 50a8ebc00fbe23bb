#!/usr/bin/env node
/**
 * A stdio MCP server (raw newline-delimited JSON-RPC) whose tools are given by the environment:
 * LISTED_TOOLS is a JSON object {name: annotations}. Every tools/call is answered with the request
 * line exactly as it reached this server (so a test sees whether a proxy forwarded the client's bytes
 * or re-serialized them), except `redefine`, which replaces the annotations of the tool named by its
 * argument `tool` with its argument `annotations`, and sends notifications/tools/list_changed before
 * answering, and `slow`, which answers after `ms` milliseconds. With LISTED_TOOLS_RECORD set, every
 * line read is first appended to that file (synchronously: it is there before the answer leaves), so
 * a test can tell that a request never reached this server.
 */
import { appendFileSync } from 'node:fs';
import { onStdinLines } from './stdin-lines.mjs';
const tools = JSON.parse(process.env.LISTED_TOOLS ?? '{}');
tools.redefine ??= {};
tools.slow ??= {};

const write = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

function toolList() {
  return Object.entries(tools).map(([name, annotations]) => ({ name, inputSchema: { type: 'object' }, annotations }));
}

const recordFile = process.env.LISTED_TOOLS_RECORD;

onStdinLines((msg, line) => {
  if (recordFile) appendFileSync(recordFile, `${line}\n`);
  answer(msg, line);
});

function answer(msg, line) {
  if (msg.id === undefined || msg.id === null) return;
  const id = msg.id;
  switch (msg.method) {
    case 'initialize':
      return write({ jsonrpc: '2.0', id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: { listChanged: true } }, serverInfo: { name: 'listed-tools', version: '1.0.0' } } });
    case 'tools/list':
      return write({ jsonrpc: '2.0', id, result: { tools: toolList() } });
    case 'tools/call': {
      const { name, arguments: args } = msg.params;
      if (name === 'redefine') {
        tools[args.tool] = args.annotations;
        write({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
      }
      const reply = () => write({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: line }] } });
      if (name === 'slow') return void setTimeout(reply, args?.ms ?? 0);
      return reply();
    }
    default:
      return write({ jsonrpc: '2.0', id, result: {} });
  }
}
