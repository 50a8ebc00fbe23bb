#!/usr/bin/env node
/**
 * The MCP SDK's own client over HTTPS, as a separate process: the SDK uses the global fetch, which
 * trusts the CA only through NODE_EXTRA_CA_CERTS (read at process start). Usage:
 * sdk-https-client.mjs <url> <streamable|sse>: connects, lists tools, calls echo, prints one JSON
 * line {tools, text} on stdout; on error prints {error} and exits 1.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, kind] = process.argv.slice(2);
const client = new Client({ name: 'sdk-https-client', version: '1.0.0' });
try {
  const transport = kind === 'sse' ? new SSEClientTransport(new URL(url)) : new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  const { tools } = await client.listTools();
  const result = await client.callTool({ name: 'echo', arguments: { text: `hello over ${kind}` } });
  process.stdout.write(`${JSON.stringify({ tools: tools.map((t) => t.name), text: result.content?.[0]?.text })}\n`);
  await client.close();
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: String(err?.cause?.message ?? err?.message ?? err) })}\n`);
  process.exitCode = 1;
}
