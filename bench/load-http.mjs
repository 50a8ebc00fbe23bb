/**
 * Load generator for Streamable HTTP: node:http with a keep-alive Agent, raw JSON bodies, one
 * `initialize` per session (Mcp-Session-Id), then tools/call POSTs kept `concurrency` deep.
 * Accepts a JSON or an SSE response; parses only the response message.
 */
import http from 'node:http';

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
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    };
  }

  #post(body, onDone) {
    const req = http.request(
      {
        host: this.url.hostname,
        port: this.url.port,
        path: this.url.pathname,
        method: 'POST',
        agent: this.agent,
        headers: { ...this.headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => onDone(undefined, res, text));
      },
    );
    req.on('error', (err) => onDone(err));
    req.end(body);
  }

  #postAsync(body) {
    return new Promise((resolve, reject) => this.#post(body, (err, res, text) => (err ? reject(err) : resolve({ res, text }))));
  }

  async open() {
    const { res, text } = await this.#postAsync(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mcp-warden-bench', version: '1.0.0' } },
      }),
    );
    if (res.statusCode !== 200) throw new Error(`initialize: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    const sessionId = res.headers['mcp-session-id'];
    if (sessionId) this.headers['mcp-session-id'] = sessionId;
    const msg = parseBody(text, res.headers['content-type']);
    if (!msg.result) throw new Error(`initialize failed: ${text.slice(0, 300)}`);
    if (msg.result.protocolVersion) this.headers['mcp-protocol-version'] = msg.result.protocolVersion;
    const note = await this.#postAsync('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    if (note.res.statusCode >= 300) throw new Error(`notifications/initialized: HTTP ${note.res.statusCode}`);
    return this;
  }

  /** @returns {Promise<{ latenciesMs: Float64Array, elapsedMs: number, errors: number, firstError?: unknown }>} */
  run(n, concurrency, { tool, args }) {
    const base = this.nextId;
    this.nextId += n;
    const tail = `,"method":"tools/call","params":${JSON.stringify({ name: tool, arguments: args })}}`;
    const latenciesMs = new Float64Array(n);
    let sent = 0;
    let done = 0;
    let errors = 0;
    let firstError;
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const send = () => {
        const i = sent++;
        const start = performance.now();
        this.#post(`{"jsonrpc":"2.0","id":${base + i}${tail}`, (err, res, text) => {
          latenciesMs[i] = performance.now() - start;
          if (err) return reject(err);
          try {
            const msg = res.statusCode === 200 ? parseBody(text, res.headers['content-type']) : { error: { status: res.statusCode, text } };
            if (msg.error || msg.result?.isError) {
              errors++;
              firstError ??= msg.error ?? msg.result;
            }
          } catch (e) {
            errors++;
            firstError ??= String(e);
          }
          if (++done === n) resolve({ latenciesMs, elapsedMs: performance.now() - t0, errors, firstError });
          else if (sent < n) send();
        });
      };
      const first = Math.min(concurrency, n);
      for (let k = 0; k < first; k++) send();
    });
  }

  async close() {
    if (this.headers['mcp-session-id']) {
      await new Promise((resolve) => {
        const req = http.request(
          { host: this.url.hostname, port: this.url.port, path: this.url.pathname, method: 'DELETE', agent: this.agent, headers: this.headers },
          (res) => (res.resume(), res.on('end', resolve)),
        );
        req.on('error', resolve);
        req.end();
      });
    }
    this.agent.destroy();
  }
}
