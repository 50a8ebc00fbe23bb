/**
 * A lean legacy HTTP+SSE client transport (MCP 2024-11-05) for mcp-warden's SSE backends (the
 * Nomad MCP server speaks it): start() opens the GET stream and waits for its `endpoint` event;
 * each message is POSTed to that endpoint (which must be on the stream's origin, so the backend's
 * credentials never go elsewhere); every server message arrives on the stream. The session is the
 * stream: when it ends, the transport closes and its owner reconnects. node:http keep-alive and one
 * JSON.parse per message, as in the Streamable HTTP client.
 */
import type https from 'node:https';
import http, { type ClientRequest } from 'node:http';
import type { JSONRPCMessage, MessageExtraInfo, Transport } from '../types.js';
import { SseParser } from './sse-parser.js';
import { BackendHttpError, connectionError, connectorFor, credentialValues, UnsentBodies, displayUrl } from './backend-http.js';

export interface SseClientOptions {
  /** Extra request headers (the backend's own credentials from warden.yaml). */
  headers?: Record<string, string>;
  /** The backend's own https pool (backends[].tls); default the shared one. */
  agent?: https.Agent;
  /** Largest SSE event accepted. Default 64 MiB. */
  maxMessageBytes?: number;
  /** How long start() waits for the endpoint event. Default 30 s. */
  connectTimeoutMs?: number;
}


export class SseClientTransport implements Transport {
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
  private readonly headers: Record<string, string>;
  private readonly maxBytes: number;
  private readonly connectTimeoutMs: number;
  /** Our credential values, masked in the text of the backend's error answers. */
  private readonly credentials: string[];
  private endpoint: URL | undefined;
  private stream: ClientRequest | undefined;
  private readonly inflight = new Set<ClientRequest>();
  private closed = false;

  constructor(
    private readonly url: URL,
    options: SseClientOptions = {},
  ) {
    ({ request: this.request, agent: this.agent, streamAgent: this.streamAgent } = connectorFor(url, options.agent));
    this.headers = { ...options.headers };
    this.credentials = credentialValues(options.headers, url);
    this.maxBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  }

  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          this.stream?.destroy();
          reject(error);
          return;
        }
        if (this.closed) return;
        this.onerror?.(error);
        void this.close();
      };
      const timer = setTimeout(() => fail(new Error(`no endpoint event from ${displayUrl(this.url)} within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      const req = this.request(
        this.url,
        { method: 'GET', agent: this.streamAgent, headers: { ...this.headers, accept: 'text/event-stream' } },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            fail(new BackendHttpError(res.statusCode ?? 0, ''));
            return;
          }
          const parser = new SseParser((event) => {
            if (event.event === 'endpoint') {
              if (settled) return;
              let endpoint: URL;
              try {
                endpoint = new URL(event.data, this.url);
              } catch {
                fail(new Error(`invalid endpoint event: ${event.data.slice(0, 200)}`));
                return;
              }
              if (endpoint.origin !== this.url.origin) {
                fail(new Error(`endpoint origin ${endpoint.origin} differs from the SSE stream's (${this.url.origin})`));
                return;
              }
              this.endpoint = endpoint;
              settled = true;
              clearTimeout(timer);
              resolve();
              return;
            }
            if (event.data.length === 0 || (event.event !== undefined && event.event !== 'message')) return;
            let message: unknown;
            try {
              message = JSON.parse(event.data);
            } catch {
              this.onerror?.(new Error('backend sent an SSE event that is not JSON'));
              return;
            }
            if (typeof message === 'object' && message !== null) this.onmessage?.(message as JSONRPCMessage);
          }, this.maxBytes);
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            try {
              parser.push(chunk);
            } catch (error) {
              fail(error as Error);
            }
          });
          res.on('error', () => undefined);
          res.on('close', () => fail(new Error('the backend closed its SSE stream')));
        },
      );
      this.stream = req;
      req.on('error', (error) => fail(connectionError(error)));
      req.end();
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const endpoint = this.endpoint;
    if (this.closed || endpoint === undefined) return Promise.reject(new Error(this.closed ? 'transport closed' : 'transport not started'));
    const body = JSON.stringify(message);
    return new Promise<void>((resolve, reject) => this.post(endpoint, body, resolve, reject, true));
  }

  private post(endpoint: URL, body: string, resolve: () => void, reject: (e: Error) => void, mayRetry: boolean): void {
    let answered = false;
    const req = this.request(
      endpoint,
      { method: 'POST', agent: this.agent, headers: { ...this.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        answered = true;
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          res.resume();
          res.on('end', () => this.inflight.delete(req));
          resolve();
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 4096) text += c;
        });
        res.on('end', () => {
          this.inflight.delete(req);
          reject(new BackendHttpError(status, text, this.credentials));
        });
      },
    );
    this.inflight.add(req);
    req.on('error', (error: NodeJS.ErrnoException) => {
      this.inflight.delete(req);
      // A kept-alive socket the server closed just as we reused it: the message never arrived.
      if (mayRetry && !answered && req.reusedSocket && error.code === 'ECONNRESET' && !this.closed) {
        this.post(endpoint, body, resolve, reject, false);
        return;
      }
      reject(connectionError(error));
    });
    req.end(body);
    this.unsent.track(req, Buffer.byteLength(body));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream?.destroy();
    this.stream = undefined;
    for (const req of this.inflight) req.destroy();
    this.inflight.clear();
    this.unsent.release();
    this.onclose?.();
  }
}
