/**
 * Load generator for Streamable HTTP: a pool of raw keep-alive HTTP/1.1 connections (one per
 * concurrent call; see raw-http.mjs), raw JSON bodies, one
 * `initialize` per session (Mcp-Session-Id), then tools/call POSTs kept `concurrency` deep.
 * Accepts a JSON or an SSE response; parses only the response message.
 */
import { RawHttpConnection } from './raw-http.mjs';

/** The JSON-RPC response carried by a body that is either JSON or an SSE stream. */
function parseBody(body, contentType) {
  if (!contentType?.startsWith('text/event-stream')) return JSON.parse(body);
  let found;
  for (const line of body.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data.startsWith('{') && data.includes('"id"')) {
      const msg = JSON.parse(data);
      if (msg.method === undefined) found = msg;
    }
  }
  if (!found) throw new Error(`no response in SSE body: ${body.slice(0, 200)}`);
  return found;
}

export class HttpSession {
  /** @param {{ url: string }} spec */
  constructor(spec) {
    this.url = new URL(spec.url);
    this.nextId = 1;
    this.pool = [];
    this.headers = {
      host: this.url.host,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    };
  }

  /** The first `n` keep-alive connections of the pool, opened on demand. */
  async #connections(n) {
    // Servers close idle keep-alive connections (e.g. while other scenarios run): replace those.
    this.pool = this.pool.filter((c) => !c.closed);
    while (this.pool.length < n) {
      const conn = new RawHttpConnection(this.url.hostname, Number(this.url.port));
      await conn.ready;
      this.pool.push(conn);
    }
    return this.pool.slice(0, n);
  }

  async #send(method, body) {
    const [conn] = await this.#connections(1);
    return new Promise((resolve, reject) =>
      conn.request(method, this.url.pathname, this.headers, body, (err, status, headers, text) =>
        err ? reject(err) : resolve({ status, headers, text }),
      ),
    );
  }

  async open() {
    const init = await this.#send(
      'POST',
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mcp-warden-bench', version: '1.0.0' } },
      }),
    );
    if (init.status !== 200) throw new Error(`initialize: HTTP ${init.status}: ${init.text.slice(0, 300)}`);
    if (init.headers['mcp-session-id']) this.headers['mcp-session-id'] = init.headers['mcp-session-id'];
    const msg = parseBody(init.text, init.headers['content-type']);
    if (!msg.result) throw new Error(`initialize failed: ${init.text.slice(0, 300)}`);
    if (msg.result.protocolVersion) this.headers['mcp-protocol-version'] = msg.result.protocolVersion;
    const note = await this.#send('POST', '{"jsonrpc":"2.0","method":"notifications/initialized"}');
    if (note.status >= 300) throw new Error(`notifications/initialized: HTTP ${note.status}`);
    return this;
  }

  /** @returns {Promise<{ latenciesMs: Float64Array, elapsedMs: number, errors: number, firstError?: unknown }>} */
  async run(n, concurrency, { tool, args }) {
    const conns = await this.#connections(Math.min(concurrency, n));
    const base = this.nextId;
    this.nextId += n;
    const tail = `,"method":"tools/call","params":${JSON.stringify({ name: tool, arguments: args })}}`;
    const path = this.url.pathname;
    const headers = this.headers;
    const latenciesMs = new Float64Array(n);
    let sent = 0;
    let done = 0;
    let errors = 0;
    let firstError;
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const timer = setTimeout(() => reject(new Error(`HTTP run stalled at ${done}/${n} (${this.url})`)), 120_000);
      const send = (conn) => {
        const i = sent++;
        const start = performance.now();
        conn.request('POST', path, headers, `{"jsonrpc":"2.0","id":${base + i}${tail}`, (err, status, resHeaders, text) => {
          latenciesMs[i] = performance.now() - start;
          if (err) return reject(err);
          try {
            const msg = status === 200 ? parseBody(text, resHeaders['content-type']) : { error: { status, text } };
            if (msg.error || msg.result?.isError) {
              errors++;
              firstError ??= msg.error ?? msg.result;
            }
          } catch (e) {
            errors++;
            firstError ??= String(e);
          }
          if (++done === n) {
            clearTimeout(timer);
            resolve({ latenciesMs, elapsedMs: performance.now() - t0, errors, firstError });
          } else if (sent < n) send(conn);
        });
      };
      for (const conn of conns) send(conn);
    });
  }

  async close() {
    if (this.headers['mcp-session-id']) {
      let timer;
      const timeout = new Promise((resolve) => (timer = setTimeout(resolve, 2000)));
      await Promise.race([this.#send('DELETE', '').catch(() => {}), timeout]);
      clearTimeout(timer);
    }
    for (const conn of this.pool) conn.close();
  }
}
