#!/usr/bin/env node
/**
 * A stdio MCP server (newline-delimited JSON-RPC, no SDK) for the tests of how the proxy batches its
 * writes: it answers tools/call requests in groups of BATCH_GROUP (default 8), all the answers of a
 * group in ONE write (as a busy server's answers reach the proxy together, in one chunk). Each
 * answer's text says how many reads of its stdin brought the requests of its group (`reads:N`: 1
 * when the proxy forwarded them in one write). BATCH_STYLE=spaced writes the answers with a space
 * after their opening brace (not compact: the proxy parses them).
 */
const GROUP = Number(process.env.BATCH_GROUP ?? 8);
const SPACED = process.env.BATCH_STYLE === 'spaced';
const TOOLS = [{ name: 'echo', description: 'echoes', inputSchema: { type: 'object' } }];

let buffered = '';
let reads = 0;
let group = [];
const line = (msg) => {
  const text = JSON.stringify(msg);
  return `${SPACED ? `{ ${text.slice(1)}` : text}\n`;
};

process.stdin.on('data', (chunk) => {
  buffered += chunk.toString('utf8');
  reads++;
  let out = '';
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const text = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (text.trim() === '') continue;
    const msg = JSON.parse(text);
    if (msg.id === undefined || msg.method === undefined) continue;
    if (msg.method === 'initialize') {
      out += line({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'batch-backend', version: '1.0.0' } } });
    } else if (msg.method === 'tools/list') {
      out += line({ jsonrpc: '2.0', id: msg.id, result: { tools: TOOLS } });
    } else if (msg.method === 'tools/call') {
      group.push(msg.id);
      if (group.length === GROUP) {
        for (const id of group) out += line({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `reads:${reads}` }] } });
        group = [];
        reads = 0;
      }
    } else {
      out += line({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } });
    }
  }
  if (out !== '') process.stdout.write(out);
  if (group.length === 0) reads = 0;
});
