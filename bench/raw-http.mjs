/**
 * A minimal HTTP/1.1 keep-alive client connection for the load generator: writes pre-formatted
 * requests on one socket and parses just the status, a few headers and the body (Content-Length
 * or chunked). Far cheaper per call than node:http, so the generator is not the bottleneck.
 * One request in flight per connection; the caller keeps a pool for concurrency.
 */
import net from 'node:net';

export class RawHttpConnection {
  constructor(host, port) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.setEncoding('latin1'); // one char per byte: lengths match Content-Length
    this.buf = '';
    this.pending = undefined; // callback of the request in flight
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (d) => {
      this.buf += d;
      this.#parse();
    });
    this.socket.on('error', (err) => this.#fail(err));
    this.closed = false;
    this.socket.on('close', () => {
      this.closed = true;
      if (this.pending && !this.inHead && this.bodyLength === -2) {
        this.body = this.buf;
        this.#complete();
      } else this.#fail(new Error('connection closed by server'));
    });
    this.#reset();
  }

  #reset() {
    this.status = 0;
    this.headers = {};
    this.bodyLength = -1; // -1: chunked
    this.inHead = true;
    this.body = '';
  }

  #fail(err) {
    const cb = this.pending;
    this.pending = undefined;
    if (cb) cb(err);
  }

  /** Send one request; `cb(err, status, headers, body)` once its response is complete. */
  request(method, path, headers, body, cb) {
    let head = `${method} ${path} HTTP/1.1\r\n`;
    for (const k in headers) head += `${k}: ${headers[k]}\r\n`;
    head += `content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    if (this.closed) {
      cb(new Error('connection closed'));
      return;
    }
    this.pending = cb;
    this.socket.write(head + body);
  }

  #parse() {
    for (;;) {
      if (this.inHead) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = this.buf.slice(0, end).split('\r\n');
        this.buf = this.buf.slice(end + 4);
        this.status = Number(lines[0].slice(9, 12));
        for (let i = 1; i < lines.length; i++) {
          const colon = lines[i].indexOf(':');
          this.headers[lines[i].slice(0, colon).toLowerCase()] = lines[i].slice(colon + 1).trim();
        }
        this.inHead = false;
        const len = this.headers['content-length'];
        if (len !== undefined) this.bodyLength = Number(len);
        else if (this.headers['transfer-encoding']?.includes('chunked')) this.bodyLength = -1;
        else this.bodyLength = this.status === 204 || this.status === 304 || this.status === 202 ? 0 : -2; // -2: until close
      }
      if (this.bodyLength >= 0) {
        if (this.buf.length < this.bodyLength) return;
        this.body = this.buf.slice(0, this.bodyLength);
        this.buf = this.buf.slice(this.bodyLength);
        this.#complete();
      } else if (this.bodyLength === -1) {
        const nl = this.buf.indexOf('\r\n');
        if (nl < 0) return;
        const size = parseInt(this.buf.slice(0, nl), 16);
        if (size === 0) {
          const end = this.buf.indexOf('\r\n\r\n', nl);
          if (end < 0) return;
          this.buf = this.buf.slice(end + 4);
          this.#complete();
        } else {
          if (this.buf.length < nl + 2 + size + 2) return;
          this.body += this.buf.slice(nl + 2, nl + 2 + size);
          this.buf = this.buf.slice(nl + 2 + size + 2);
          continue;
        }
      } else return; // until close: not used by MCP servers on keep-alive
      if (this.buf.length === 0) return;
    }
  }

  #complete() {
    const cb = this.pending;
    const { status, headers } = this;
    const body = Buffer.from(this.body, 'latin1').toString('utf8');
    this.pending = undefined;
    this.#reset();
    if (cb) cb(undefined, status, headers, body);
  }

  close() {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }
}
