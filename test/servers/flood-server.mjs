#!/usr/bin/env node
/**
 * A raw newline-delimited MCP server for flow-control tests (no SDK, so nothing buffers behind our
 * back). It writes with backpressure: when its stdout pipe is full it waits for 'drain', so a proxy
 * that stops reading it makes it stop writing. Tools:
 *   flood {count, size}  count notifications/message (data: {seq, pad of size bytes}), then the answer
 *   stall {ms}           stops reading its stdin for ms or until SIGUSR2 (its pipe fills), answering at once
 *   echo {text}          answers text's length and its first 16 characters
 * flood reports its progress on stderr ("flood: N written" every 100, "flood: done"); its pid is in
 * serverInfo.name ("flood-<pid>").
 */
import { once } from 'node:events';

let buffer = '';
const queue = [];
let writing = false;

async function pump() {
  if (writing) return;
  writing = true;
  while (queue.length > 0) {
    const line = queue.shift();
    if (!process.stdout.write(line)) await once(process.stdout, 'drain');
  }
  writing = false;
}

function send(message) {
  queue.push(`${JSON.stringify(message)}\n`);
  void pump();
}

async function flood(id, { count, size }) {
  const pad = 'x'.repeat(size);
  for (let seq = 0; seq < count; seq++) {
    queue.push(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: { seq, pad } } })}\n`);
    if (queue.length > 4) await pump();
    if (seq % 100 === 99) process.stderr.write(`flood: ${seq + 1} written\n`);
  }
  process.stderr.write('flood: done\n');
  send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `flooded ${count}` }] } });
}

const tools = [
  { name: 'flood', description: 'floods notifications', inputSchema: { type: 'object' } },
  { name: 'stall', description: 'stops reading stdin for a while', inputSchema: { type: 'object' } },
  { name: 'echo', description: 'echo', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
];

function handle(msg) {
  if (msg.id === undefined) return;
  if (msg.method === 'initialize') {
    send({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {}, logging: {} }, serverInfo: { name: `flood-${process.pid}`, version: '1.0.0' } } });
  } else if (msg.method === 'tools/list') {
    send({ jsonrpc: '2.0', id: msg.id, result: { tools } });
  } else if (msg.method === 'tools/call') {
    const args = msg.params.arguments ?? {};
    if (msg.params.name === 'flood') void flood(msg.id, args);
    else if (msg.params.name === 'stall') {
      process.stdin.pause();
      stallTimer = setTimeout(unstall, args.ms);
      send({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: 'stalled' }] } });
    } else if (msg.params.name === 'echo') {
      const text = String(args.text ?? '');
      send({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: `${text.length}:${text.slice(0, 16)}` }] } });
    } else send({ jsonrpc: '2.0', id: msg.id, error: { code: -32602, message: `unknown tool ${msg.params.name}` } });
  } else if (msg.method === 'ping') {
    send({ jsonrpc: '2.0', id: msg.id, result: {} });
  } else {
    send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
  }
}

/** A stall ends after its ms, or at once on SIGUSR2 (a test that is done with it says so). */
let stallTimer;
function unstall() {
  clearTimeout(stallTimer);
  process.stdin.resume();
}
process.on('SIGUSR2', unstall);

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let nl = buffer.indexOf('\n');
  while (nl >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (line.trim() !== '') handle(JSON.parse(line));
    nl = buffer.indexOf('\n');
  }
});
process.stdin.on('end', () => process.exit(0));
