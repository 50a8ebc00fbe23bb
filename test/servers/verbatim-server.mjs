#!/usr/bin/env node
/**
 * A stdio MCP server that writes its answers in a spelling JSON.stringify would not produce (a
 * number written `1.0`, an integer too large for a double, id first): whoever forwards its bytes
 * unchanged is told apart from whoever parses and serializes them again. The tool `received` answers
 * with the request line as it reached the server (to tell the same about requests); `hold` does the
 * same after `ms` milliseconds (and answers even when the request was cancelled); `dupes` answers
 * with a member name written twice (`verdict`: "deny" first, "allow" last); `malformed` answers with
 * a byte that is not valid UTF-8 (0xff) in a string; `duplink` answers with a resource_link whose
 * `uri` is written twice (`mcp-warden:beta:test://beta/only` first, `test://verbatim/1` last);
 * `tasklink` answers with a resource_link `mcp-warden:beta:test://beta/only` next to a `task` member.
 */
import { onStdinLines } from './stdin-lines.mjs';
onStdinLines(answer);

function answer(msg, line) {
  if (msg.id === undefined) return;
  const id = JSON.stringify(msg.id);
  let result;
  if (msg.method === 'initialize') {
    result = JSON.stringify({ protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'verbatim', version: '1.0.0' } });
  } else if (msg.method === 'tools/list') {
    result = '{"tools":[{"name":"spell","inputSchema":{"type":"object"}}]}';
  } else if (msg.method === 'tools/call' && msg.params?.name === 'hold') {
    // Like received, answered after arguments.ms (it ignores cancellation: a late answer).
    const late = JSON.stringify({ content: [{ type: 'text', text: line }], structuredContent: { received: true } });
    setTimeout(() => process.stdout.write(`{"jsonrpc":"2.0","id":${id},"result":${late}}\n`), Number(msg.params.arguments?.ms ?? 100));
    return;
  } else if (msg.method === 'tools/call' && msg.params?.name === 'malformed') {
    // A byte no valid UTF-8 holds (0xff), inside a string: decoders read it as U+FFFD (or refuse it).
    const head = Buffer.from(`{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"a`);
    process.stdout.write(Buffer.concat([head, Buffer.from([0xff]), Buffer.from('b"}]}}\n')]));
    return;
  } else if (msg.method === 'tools/call' && msg.params?.name === 'dupes') {
    result = '{"content":[{"type":"text","text":"dupes"}],"structuredContent":{"verdict":"deny","verdict":"allow"}}';
  } else if (msg.method === 'tools/call' && msg.params?.name === 'duplink') {
    result = '{"content":[{"type":"resource_link","uri":"mcp-warden:beta:test://beta/only","uri":"test://verbatim/1","name":"l"}]}';
  } else if (msg.method === 'tools/call' && msg.params?.name === 'tasklink') {
    result = '{"content":[{"type":"resource_link","uri":"mcp-warden:beta:test://beta/only","name":"l"}],"task":{"taskId":"t1","status":"working"}}';
  } else if (msg.method === 'tools/call' && msg.params?.name === 'received') {
    // The request line exactly as it reached this server.
    result = JSON.stringify({ content: [{ type: 'text', text: line }], structuredContent: { received: true } });
  } else if (msg.method === 'tools/call') {
    result = '{"content":[{"type":"text","text":"ok"}],"structuredContent":{"ratio":1.0,"big":12345678901234567890}}';
  } else {
    process.stdout.write(`{"jsonrpc":"2.0","id":${id},"error":{"code":-32601,"message":"Method not found"}}\n`);
    return;
  }
  process.stdout.write(`{"jsonrpc":"2.0","id":${id},"result":${result}}\n`);
}
