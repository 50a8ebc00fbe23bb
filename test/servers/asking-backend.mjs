#!/usr/bin/env node
/**
 * A raw stdio MCP backend (newline-delimited JSON, no SDK) that asks its client questions: `ask {q}`
 * sends the client an elicitation/create whose message is `q` and answers the call with
 * `<q>: <the elicitation's answer>` once that comes. Its own request ids start at 0 in every
 * process, as the SDK's do, so a restarted backend reuses the ids of the one before it.
 * `flood {n}` sends n elicitation/create requests at once and answers at once; `refused` answers
 * how many of its questions were answered with an error, and their messages.
 *   tools: ask, flood, refused, crash (exits with code 3), pid
 */
import { createInterface } from 'node:readline';

let nextServerId = 0;
/** server request id -> { q, callId } */
const asking = new Map();
/** error answers to flood's questions */
const refused = [];
const send = (m) => process.stdout.write(JSON.stringify(m) + '\n');
const text = (t) => ({ content: [{ type: 'text', text: t }] });
const obj = { type: 'object', properties: { q: { type: 'string' } } };

createInterface({ input: process.stdin }).on('line', (line) => {
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  if (m.method === undefined) {
    if (m.error !== undefined) refused.push(m.error.message);
    const a = asking.get(m.id);
    if (a === undefined) return;
    asking.delete(m.id);
    send({ jsonrpc: '2.0', id: a.callId, result: text(`${a.q}: ${JSON.stringify(m.result ?? m.error)}`) });
    return;
  }
  if (m.id === undefined) return;
  switch (m.method) {
    case 'initialize':
      return send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'asking-backend', version: '1.0.0' } } });
    case 'tools/list':
      return send({
        jsonrpc: '2.0',
        id: m.id,
        result: {
          tools: [
            { name: 'ask', inputSchema: obj },
            { name: 'flood', inputSchema: { type: 'object', properties: { n: { type: 'number' } } } },
            { name: 'refused', inputSchema: { type: 'object' } },
            { name: 'crash', inputSchema: { type: 'object' } },
            { name: 'pid', inputSchema: { type: 'object' } },
          ],
        },
      });
    case 'tools/call': {
      const name = m.params?.name;
      if (name === 'crash') return setImmediate(() => process.exit(3));
      if (name === 'pid') return send({ jsonrpc: '2.0', id: m.id, result: text(String(process.pid)) });
      if (name === 'refused') return send({ jsonrpc: '2.0', id: m.id, result: text(JSON.stringify({ count: refused.length, first: refused[0] })) });
      if (name === 'flood') {
        const n = Number(m.params?.arguments?.n ?? 0);
        for (let i = 0; i < n; i++) send({ jsonrpc: '2.0', id: nextServerId++, method: 'elicitation/create', params: { message: `flood ${i}`, requestedSchema: { type: 'object', properties: {} } } });
        return send({ jsonrpc: '2.0', id: m.id, result: text(`asked ${n}`) });
      }
      const q = String(m.params?.arguments?.q ?? '');
      const id = nextServerId++;
      asking.set(id, { q, callId: m.id });
      return send({ jsonrpc: '2.0', id, method: 'elicitation/create', params: { message: q, requestedSchema: { type: 'object', properties: { a: { type: 'string' } } } } });
    }
    default:
      return send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: `no ${m.method}` } });
  }
});
