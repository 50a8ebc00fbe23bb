/**
 * A lean Streamable HTTP client transport (MCP 2025-03-26 … 2025-11-25) for mcp-warden's HTTP
 * backends: node:http with shared keep-alive agents, one JSON.parse per message and no schema
 * re-validation (the SDK's client transport costs about 1 ms of CPU per call through fetch and
 * zod; this one a small fraction of that). It POSTs each message (JSON or SSE answers), keeps the
 * Mcp-Session-Id from the initialize answer and sends MCP-Protocol-Version once negotiated, opens
 * the standalone GET stream after notifications/initialized (reconnecting with Last-Event-ID),
 * resumes a POST stream that ends before its answer, and ends the session with DELETE. A 404 on an
 * established session means the backend forgot it: the transport closes, so its owner reconnects.
 */
import type https from 'node:https';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import type { JSONRPCMessage, MessageExtraInfo, Transport, TransportSendOptions } from '../types.js';
import { BackendHttpError, connectionError, connectorFor, credentialValues, UnsentBodies } from './backend-http.js';
import { SseParser, type SseEvent } from './sse-parser.js';

export interface StreamableHttpClientOptions {
  /** Extra request headers (the backend's own credentials from warden.yaml). */
  headers?: Record<string, string>;
  /** The backend's own https pool (backends[].tls); default the shared one. */
  agent?: https.Agent;
  /** Largest message (JSON body or SSE event) accepted from the backend. Default 64 MiB. */
  maxMessageBytes?: number;
  /** First delay before reopening a lost GET stream; doubles up to 30 s. Default 500 ms. */
  reconnectDelayMs?: number;
}

const MAX_RECONNECT_MS = 30_000;
/** Least wait before resuming an SSE stream, whatever `retry:` the server gave (0 would be a tight loop). */
const MIN_RESUME_MS = 250;

export class StreamableHttpClientTransport implements Transport {
  sessionId?: string;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  /** More than the high-water mark of message bodies waits to be sent to the backend (true), or no longer (false): flow.ts. */
  onbacklog?: (backedUp: boolean) => void;
  private readonly unsent = new UnsentBodies((backedUp) => this.onbacklog?.(backedUp));

  private readonly request: typeof http.request;
  private readonly agent: http.Agent;
  /** For the long-lived GET stream: outside the pool (backend-http.ts). */
  private readonly streamAgent: http.Agent;
  private readonly target: { protocol: string; hostname: string; port: string; path: string; auth?: string };
  private readonly baseHeaders: Record<string, string>;
  private readonly maxBytes: number;
  private readonly reconnectMs: number;
  /** Our credential values, masked in the text of the backend's error answers. */
  private readonly credentials: string[];
  private protocolVersion: string | undefined;
  private readonly inflight = new Set<ClientRequest>();
  private getRequest: ClientRequest | undefined;
  private getLastEventId: string | undefined;
  private getDelay: number;
  private getTimer: NodeJS.Timeout | undefined;
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private getUnsupported = false;
  private closed = false;

  constructor(url: URL, options: StreamableHttpClientOptions = {}) {
    ({ request: this.request, agent: this.agent, streamAgent: this.streamAgent } = connectorFor(url, options.agent));
    this.target = { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: url.pathname + url.search };
    // Userinfo in the URL is the backend's credential (Basic auth, as node sends it for the SSE client);
    // a configured Authorization header wins.
    if (url.username !== '' || url.password !== '') this.target.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    this.baseHeaders = { ...options.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    this.credentials = credentialValues(options.headers, url);
    this.maxBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
    this.reconnectMs = options.reconnectDelayMs ?? 500;
    this.getDelay = this.reconnectMs;
  }

  async start(): Promise<void> {
    // Connections are made per request.
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  private headers(extra: Record<string, string | number>): Record<string, string | number> {
    const headers: Record<string, string | number> = { ...this.baseHeaders, ...extra };
    if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion !== undefined) headers['mcp-protocol-version'] = this.protocolVersion;
    return headers;
  }

  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    const body = JSON.stringify(message);
    const msg = message as { id?: unknown; method?: string };
    const isRequest = msg.method !== undefined && msg.id !== undefined;
    return new Promise<void>((resolve, reject) => this.post(body, msg, isRequest, resolve, reject, true));
  }

  private post(body: string, msg: { id?: unknown; method?: string }, isRequest: boolean, resolve: () => void, reject: (e: Error) => void, mayRetry: boolean): void {
    let answered = false;
    const req = this.request(
      { ...this.target, method: 'POST', agent: this.agent, headers: this.headers({ 'content-length': Buffer.byteLength(body) }) },
      (res) => {
        answered = true;
        this.onPostResponse(req, res, msg, isRequest, resolve, reject);
      },
    );
    this.inflight.add(req);
    req.on('error', (error: NodeJS.ErrnoException) => {
      this.inflight.delete(req);
      // A kept-alive socket the server closed just as we reused it: the message never arrived.
      if (mayRetry && !answered && req.reusedSocket && error.code === 'ECONNRESET' && !this.closed) {
        this.post(body, msg, isRequest, resolve, reject, false);
        return;
      }
      reject(connectionError(error));
    });
    req.end(body);
    this.unsent.track(req, Buffer.byteLength(body));
  }

  private onPostResponse(
    req: ClientRequest,
    res: IncomingMessage,
    msg: { id?: unknown; method?: string },
    isRequest: boolean,
    resolve: () => void,
    reject: (error: Error) => void,
  ): void {
    const status = res.statusCode ?? 0;
    if (msg.method === 'initialize' && status < 300) {
      const sid = res.headers['mcp-session-id'];
      if (typeof sid === 'string') this.sessionId = sid;
    }
    if (status === 202 || (status >= 200 && status < 300 && !isRequest)) {
      this.finish(req, res);
      resolve();
      if (msg.method === 'notifications/initialized') this.openGetStream();
      return;
    }
    if (status < 200 || status >= 300) {
      readText(res, 4096, (text) => {
        this.inflight.delete(req);
        reject(new BackendHttpError(status, text, this.credentials));
        if (status === 404 && this.sessionId !== undefined && msg.method !== 'initialize') {
          this.onerror?.(new Error('the backend no longer knows this session (HTTP 404): closing the transport'));
          void this.close();
        }
      });
      return;
    }
    const type = res.headers['content-type'] ?? '';
    if (type.startsWith('text/event-stream')) {
      resolve();
      this.readEvents(res, () => this.inflight.delete(req), msg.id);
      return;
    }
    readText(res, this.maxBytes, (text, tooBig) => {
      this.inflight.delete(req);
      if (tooBig) return reject(new Error(`backend answer larger than ${this.maxBytes} bytes`));
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        return reject(new Error(`backend sent invalid JSON: ${(error as Error).message}`));
      }
      resolve();
      if (Array.isArray(parsed)) for (const m of parsed) this.dispatch(m);
      else this.dispatch(parsed);
    });
  }

  private finish(req: ClientRequest, res: IncomingMessage): void {
    this.inflight.delete(req);
    res.resume();
  }

  private dispatch(message: unknown): void {
    if (typeof message === 'object' && message !== null) this.onmessage?.(message as JSONRPCMessage);
  }

  /**
   * Reads an SSE answer stream. When it ends before the answer to `awaitedId` and the server gave
   * event ids, the stream is resumed with a GET carrying Last-Event-ID: after the server's `retry:`
   * (its polling interval, at least MIN_RESUME_MS), else after reconnectDelayMs doubled for each
   * resumption in a row that brought no message. A server that ends every stream at once is polled,
   * not hammered (the client used to resume at once, in a tight loop). Stops when the transport closes.
   */
  private readEvents(res: IncomingMessage, onEnd: () => void, awaitedId: unknown, emptyResumes = 0, retryMs?: number): void {
    let answered = awaitedId === undefined;
    let lastId: string | undefined;
    let brought = false;
    const parser = new SseParser((event: SseEvent) => {
      if (event.id !== undefined) lastId = event.id;
      if (event.data.length === 0 || (event.event !== undefined && event.event !== 'message')) return;
      brought = true;
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        this.onerror?.(new Error('backend sent an SSE event that is not JSON'));
        return;
      }
      const m = message as { id?: unknown; method?: string };
      if (!answered && m.method === undefined && m.id === awaitedId) answered = true;
      this.dispatch(message);
    }, this.maxBytes);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      try {
        parser.push(chunk);
      } catch (error) {
        this.onerror?.(error as Error);
        res.destroy();
      }
    });
    const ended = () => {
      onEnd();
      if (answered || lastId === undefined || this.closed) return;
      const empty = brought ? 0 : emptyResumes + 1;
      // A retry: holds for the stream's later connections too (as in EventSource).
      const retry = parser.retry ?? retryMs;
      const delay = retry !== undefined ? Math.max(MIN_RESUME_MS, retry) : Math.min(MAX_RECONNECT_MS, this.reconnectMs * 2 ** Math.max(0, empty - 1));
      const resumeId = lastId;
      const timer = setTimeout(() => {
        this.resumeTimers.delete(timer);
        if (!this.closed) this.resume(resumeId, awaitedId, empty, retry);
      }, delay);
      timer.unref();
      this.resumeTimers.add(timer);
    };
    res.on('end', ended);
    res.on('error', () => undefined);
    res.on('close', () => {
      if (!res.complete) ended();
    });
  }

  /** Reopens a POST stream that ended early (GET with Last-Event-ID). */
  private resume(lastEventId: string, awaitedId: unknown, emptyResumes: number, retryMs: number | undefined): void {
    const req = this.request({ ...this.target, method: 'GET', agent: this.agent, headers: this.headers({ accept: 'text/event-stream', 'last-event-id': lastEventId }) }, (res) => {
      if (res.statusCode !== 200) {
        this.finish(req, res);
        this.onerror?.(new Error(`could not resume the backend's SSE stream (HTTP ${res.statusCode})`));
        return;
      }
      this.readEvents(res, () => this.inflight.delete(req), awaitedId, emptyResumes, retryMs);
    });
    this.inflight.add(req);
    req.on('error', (error) => {
      this.inflight.delete(req);
      this.onerror?.(connectionError(error));
    });
    req.end();
  }

  /** The standalone GET stream for server-initiated messages; reopened with backoff when lost. */
  private openGetStream(): void {
    if (this.closed || this.getUnsupported || this.getRequest !== undefined) return;
    const extra: Record<string, string> = { accept: 'text/event-stream' };
    if (this.getLastEventId !== undefined) extra['last-event-id'] = this.getLastEventId;
    const req = this.request({ ...this.target, method: 'GET', agent: this.streamAgent, headers: this.headers(extra) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 405) {
        this.getUnsupported = true;
        res.resume();
        return;
      }
      if (status === 404 && this.sessionId !== undefined) {
        res.resume();
        this.onerror?.(new Error('the backend no longer knows this session (HTTP 404 on its GET stream): closing the transport'));
        void this.close();
        return;
      }
      if (status !== 200) {
        res.resume();
        res.on('end', () => this.lostGetStream(req));
        return;
      }
      this.getDelay = this.reconnectMs;
      const parser = new SseParser((event) => {
        if (event.id !== undefined) this.getLastEventId = event.id;
        if (event.data.length === 0 || (event.event !== undefined && event.event !== 'message')) return;
        try {
          this.dispatch(JSON.parse(event.data));
        } catch {
          this.onerror?.(new Error('backend sent an SSE event that is not JSON'));
        }
      }, this.maxBytes);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        try {
          parser.push(chunk);
        } catch (error) {
          this.onerror?.(error as Error);
          res.destroy();
        }
      });
      res.on('error', () => undefined);
      res.on('close', () => this.lostGetStream(req));
    });
    this.getRequest = req;
    req.on('error', () => this.lostGetStream(req));
    req.end();
  }

  private lostGetStream(req: ClientRequest): void {
    if (this.getRequest !== req) return;
    this.getRequest = undefined;
    if (this.closed) return;
    const delay = this.getDelay;
    this.getDelay = Math.min(this.getDelay * 2, MAX_RECONNECT_MS);
    this.getTimer = setTimeout(() => {
      this.getTimer = undefined;
      this.openGetStream();
    }, delay);
    this.getTimer.unref();
  }

  /** Ends the backend session (DELETE); a backend that does not support it (405) is fine. */
  async terminateSession(): Promise<void> {
    if (this.sessionId === undefined || this.closed) return;
    await new Promise<void>((resolve, reject) => {
      const req = this.request({ ...this.target, method: 'DELETE', agent: this.agent, headers: this.headers({}) }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if ((status >= 200 && status < 300) || status === 405 || status === 404) resolve();
        else reject(new BackendHttpError(status, ''));
      });
      req.on('error', reject);
      req.end();
    });
    this.sessionId = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.getTimer !== undefined) clearTimeout(this.getTimer);
    for (const timer of this.resumeTimers) clearTimeout(timer);
    this.resumeTimers.clear();
    this.getRequest?.destroy();
    this.getRequest = undefined;
    for (const req of this.inflight) req.destroy();
    this.inflight.clear();
    this.unsent.release();
    this.onclose?.();
  }
}

/** Collects a response body as text, up to `max` bytes (then reports tooBig and stops reading). */
function readText(res: IncomingMessage, max: number, done: (text: string, tooBig: boolean) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  res.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > max) {
      finished = true;
      res.destroy();
      done('', true);
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => {
    if (finished) return;
    finished = true;
    done(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'), false);
  });
  res.on('error', () => {
    if (finished) return;
    finished = true;
    done('', false);
  });
}
