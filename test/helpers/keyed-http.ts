/**
 * Plain Streamable HTTP over real sockets, for tests that drive `serve` with API keys from a keys
 * file and watch single answers (JSON or SSE) come or not come: the bodies they send, headers for a
 * key (and a session), a POST read to its end, the JSON-RPC messages of an answer, and a session
 * opened with a key (initialize, then initialized).
 */
import http from 'node:http';
import { resolve } from 'node:path';
import { expect } from 'vitest';

/** Our backend whose `hold` and `await-file` calls answer only when told to (test/servers/hold-backend.mjs). */
export const HOLD_BACKEND = resolve(import.meta.dirname, '../servers/hold-backend.mjs');
export const POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
export const INIT_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
export const INITIALIZED_BODY = '{"jsonrpc":"2.0","method":"notifications/initialized"}';

/** A tools/call body, with a progress token when given one. */
export const toolCallBody = (id: number, name: string, args: Record<string, unknown> = {}, progressToken?: string): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(progressToken === undefined ? {} : { _meta: { progressToken } }) } });

/** The headers of a request made with this API key (and in this session, once it has one). */
export const keyHeaders = (key: string, session?: string): Record<string, string> => ({
  'x-api-key': key,
  ...(session === undefined ? {} : { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' }),
});

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A POST on a connection of its own, read to its end. */
export function postOnce(url: string, body: string, headers: Record<string, string>): Promise<HttpAnswer> {
  return new Promise((resolvePost, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...POST_HEADERS, ...headers }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolvePost({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface AnswerMessage {
  id?: unknown;
  method?: string;
  result?: { content: Array<{ text: string }> };
  error?: { code: number; message: string };
}

/** The JSON-RPC messages of an answer, JSON or SSE (its data lines that hold a message). */
export function answerMessages(body: string): AnswerMessage[] {
  if (body.startsWith('{')) return [JSON.parse(body) as AnswerMessage];
  return body
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l.slice(6).startsWith('{'))
    .map((l) => JSON.parse(l.slice(6)) as AnswerMessage);
}

/** Opens a session with this key (initialize answered 200, initialized taken with 202): its id. */
export async function openKeyedSession(url: string, key: string): Promise<string> {
  const init = await postOnce(url, INIT_BODY, keyHeaders(key));
  expect(init.status).toBe(200);
  const session = init.headers['mcp-session-id'] as string;
  expect((await postOnce(url, INITIALIZED_BODY, keyHeaders(key, session))).status).toBe(202);
  return session;
}

/** A request over a real socket read as it comes: `text()` so far, `first` at its first bytes, `done` at its end. */
export function streamRequest(url: string, method: string, body: string | undefined, headers: Record<string, string>) {
  let text = '';
  let firstBytes!: () => void;
  const first = new Promise<void>((r) => (firstBytes = r));
  const done = new Promise<HttpAnswer>((resolveDone, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      res.on('data', (c: Buffer) => {
        text += c.toString();
        firstBytes();
      });
      res.on('end', () => resolveDone({ status: res.statusCode!, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  return { first, done, text: () => text };
}
