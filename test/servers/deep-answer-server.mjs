#!/usr/bin/env node
/**
 * A stdio MCP server with one tool, `deep`, whose result nests an array `depth` levels deep (default
 * 20000: deeper than JSON.stringify goes, while JSON.parse reads it), written with spaces so that a
 * proxy cannot pass it on as the compact bytes it came as: it must parse and serialize it again.
 * It offers logging, and answers logging/setLevel with an error whose `data` nests as deep.
 */
import { onStdinLines } from './stdin-lines.mjs';
onStdinLines(answer);

function answer(msg) {
  if (msg.id === undefined) return;
  let result;
  if (msg.method === 'initialize') result = JSON.stringify({ protocolVersion: msg.params.protocolVersion, capabilities: { tools: {}, logging: {} }, serverInfo: { name: 'deep-answer', version: '1.0.0' } });
  else if (msg.method === 'tools/list') result = JSON.stringify({ tools: [{ name: 'deep', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } }] });
  else if (msg.method === 'tools/call') {
    const depth = msg.params?.arguments?.depth ?? 20000;
    result = `{"content": [{"type": "text", "text": "deep"}], "structuredContent": {"d": ${'['.repeat(depth)}${']'.repeat(depth)}}}`;
  } else if (msg.method === 'logging/setLevel') {
    const deep = `${'['.repeat(20000)}${']'.repeat(20000)}`;
    return process.stdout.write(`{"jsonrpc": "2.0", "id": ${JSON.stringify(msg.id)}, "error": {"code": -32603, "message": "no level", "data": ${deep}}}\n`);
  } else result = '{}';
  process.stdout.write(`{"jsonrpc": "2.0", "id": ${JSON.stringify(msg.id)}, "result": ${result}}\n`);
}
