/**
 * One Streamable HTTP client session as an SDK Transport. Each POSTed request waits in `exchanges`
 * for its answer; the answer goes out as plain application/json unless the server first sends a
 * message related to that request (progress, logging, a sampling/elicitation/roots request), in
 * which case the exchange turns into an SSE stream carrying those messages and then the answer.
 * Messages with no live related request go to the standalone GET stream; they are numbered and the
 * last 128 kept (replay-ring.ts) (fewer when they hold more than server.replayBytes: the oldest go first), so
 * messages sent while no GET stream is open are delivered when one opens and a reconnecting client
 * resumes with Last-Event-ID.
 *
 * A client that sends requests and does not read the answers (or sends them faster than they are
 * answered) cannot make the session hold an unbounded amount for it: a request beyond
 * server.maxInFlightPerSession awaiting answers, or while more than server.maxUnreadBytesPerSession
 * of answers wait unread on its connections, is refused (429, requestRefusal()). Every request
 * already taken is still answered: nothing promised is dropped.
 */
import type { ServerResponse } from 'node:http';
import type { ClientIdentity } from '../../types.js';
import type { JSONRPCMessage, MessageExtraInfo, Transport, TransportSendOptions } from '../types.js';
import { ABANDONED_CREDENTIAL, CREDENTIAL_GONE_MESSAGE, SERVER_ERROR, SESSION_NOT_FOUND, unrelayableAnswer, writeJsonError, type RequestId } from './jsonrpc.js';
import { followIdentity } from './request-identity.js';
import { ReadPauses, type HttpSession, type SessionLimits, type SessionRegistry } from './sessions.js';
import { ReplayRing } from './replay-ring.js';
import { SseStream } from './sse.js';

/** Why a request was given up without the client cancelling it (the audit's error message for it). */
const ABANDONED_CLOSED = 'the client closed the connection its answer was due on';
const ABANDONED_STALLED = 'its answer stream stalled: the client took none of it for server.writeStallTimeoutMs';
const CREDENTIAL_GONE_CHALLENGE = 'Bearer realm="mcp-warden", error="invalid_token"';

interface Exchange {
  res: ServerResponse;
  /** Set once the answer switched to SSE. */
  sse: SseStream | undefined;
  /** The identity the request's own credential proved (checked again at each sweep). */
  proven: ClientIdentity;
}

export class StreamableHttpSession implements Transport, HttpSession {
  readonly kind = 'streamable-http' as const;
  readonly ownerId: string;
  /** The identity the last request proved, as the authenticator made it (sessions.ts HttpSession.proven). */
  proven: ClientIdentity;
  lastActivity = Date.now();
  /** Size in bytes of the message being delivered to onmessage (read by the proxy for the audit). */
  lastMessageBytes: number | undefined;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  /** Told when the client gives up a request without cancelling it (its answer's connection closed): ClientTransport.onabandon. */
  onabandon?: (id: RequestId, reason: string) => void;

  private readonly exchanges = new Map<RequestId, Exchange>();
  private standalone: SseStream | undefined;
  /** Standalone-stream events kept for replay (server.replayBytes). */
  private readonly ring: ReplayRing;
  /** Answered exchanges whose answer the client has not taken in full yet (counted by unreadBytes). */
  private readonly draining = new Set<ServerResponse>();
  private readonly limits: SessionLimits;
  /** Highest event id written to a standalone stream. */
  private delivered = 0;
  private closed = false;
  /** The id of the initialize request while it awaits its answer: a session it does not open is closed (acceptInitialize). */
  private initializeId: RequestId | undefined;
  private readonly sessionHeaders: Record<string, string>;
  /** Pauses the proxy holds while a backend of the session is not reading what it is sent (flow.ts ReadGate): messages are refused meanwhile. */
  private readonly readPauses = new ReadPauses();
  /** Shows a written response to the write-stall watchdog (write-stall.ts). */
  private readonly watchWrites: (res: ServerResponse) => void;

  constructor(
    readonly sessionId: string,
    /** The identity of the last request (identify()); the proxy decides each message with it. */
    public client: ClientIdentity,
    private readonly registry: SessionRegistry,
    /** Where the initialize request came from (addressKey). */
    readonly address: string,
  ) {
    this.ownerId = client.id;
    this.proven = client;
    this.sessionHeaders = { 'mcp-session-id': sessionId };
    this.limits = registry.limits;
    this.ring = new ReplayRing(this.limits.replayBytes);
    this.watchWrites = (res) => registry.stalls.wrote(res, sessionId);
  }

  /** The identity the request about to be delivered proved (the owner's id: checked by the route). */
  identify(fresh: ClientIdentity): void {
    this.proven = fresh;
    this.client = followIdentity(this.client, fresh);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async start(): Promise<void> {
    // Nothing to connect: HTTP requests arrive through the frontend's routes.
  }

  /**
   * Why a new request must be refused now (the route answers 429), or undefined: too many requests
   * awaiting answers, or too many answer bytes the client has not read.
   */
  requestRefusal(): string | undefined {
    const { maxInFlightPerSession, maxUnreadBytesPerSession } = this.limits;
    if (this.exchanges.size >= maxInFlightPerSession) {
      return `this session has ${this.exchanges.size} requests awaiting answers (server.maxInFlightPerSession is ${maxInFlightPerSession}); retry once some are answered`;
    }
    const unread = this.unreadBytes();
    if (unread > maxUnreadBytesPerSession) {
      return `${unread} bytes of this session's answers wait unread by the client (server.maxUnreadBytesPerSession is ${maxUnreadBytesPerSession}); read them, then retry`;
    }
    return undefined;
  }

  /**
   * Why any message POSTed now must be refused (the route answers 429), or undefined: a backend of
   * the session is not reading what it was sent (more than the high-water mark waits to be written
   * to it: the proxy paused reading from this client). Over stdio mcp-warden then stops reading the
   * client; over HTTP each POST is a new message that would wait in memory behind the others, so
   * it is refused until the backend has caught up.
   */
  backlogRefusal(): string | undefined {
    return this.readPauses.refusal();
  }

  /** Flow control (flow.ts): the proxy stops taking this client's messages while a backend is backed up. */
  pauseReading(): void {
    this.readPauses.pause();
  }

  resumeReading(): void {
    this.readPauses.resume();
  }

  /** Bytes written to this session's answer responses that their connections have not taken yet. */
  unreadBytes(): number {
    let bytes = 0;
    for (const res of this.draining) bytes += res.writableLength;
    for (const exchange of this.exchanges.values()) if (exchange.sse !== undefined) bytes += exchange.res.writableLength;
    return bytes;
  }

  /** Counts an answered response's unread bytes until its connection has taken them (or is gone). */
  private drain(res: ServerResponse): void {
    if (res.writableLength === 0 || res.destroyed) return;
    this.draining.add(res);
    res.once('close', () => this.draining.delete(res));
    this.watchWrites(res);
  }

  /**
   * Registers a POSTed request to be answered on `res` and hands it to the proxy. False when the
   * id is already awaiting an answer in this session (the caller answers 400).
   */
  acceptRequest(id: RequestId, message: JSONRPCMessage, res: ServerResponse, bytes?: number): boolean {
    if (this.exchanges.has(id)) return false;
    const exchange: Exchange = { res, sse: undefined, proven: this.proven };
    this.exchanges.set(id, exchange);
    // The connection closing before the answer (the client went away, or its SSE answer stream was
    // destroyed as stalled): the request no longer holds a place among those in flight, its answer
    // has nowhere to go, and the proxy cancels it at the backend instead of letting it run on.
    res.once('close', () => this.abandon(id, exchange));
    this.lastMessageBytes = bytes;
    this.onmessage?.(message);
    return true;
  }

  /**
   * acceptRequest for the session's initialize. A session whose initialize is answered with an
   * error (refused, no backend up) or given up (its connection closed, its credential gone) can
   * never be used (initialize is refused with an Mcp-Session-Id): it is closed at once rather than
   * held, and counted against the session limits, until server.sessionIdleMs.
   */
  acceptInitialize(id: RequestId, message: JSONRPCMessage, res: ServerResponse, bytes?: number): boolean {
    this.initializeId = id;
    return this.acceptRequest(id, message, res, bytes);
  }

  /** Gives up exchange `id` when it is still the one awaiting its answer (not answered, cancelled or replaced since). */
  private abandon(id: RequestId, exchange: Exchange): void {
    if (this.exchanges.get(id) !== exchange || this.closed) return;
    this.exchanges.delete(id);
    this.onabandon?.(id, this.registry.stalls.stalled(exchange.res) ? ABANDONED_STALLED : ABANDONED_CLOSED);
    if (id === this.initializeId) void this.close();
  }

  /** Hands a POSTed notification or response to the proxy (the caller answers 202). */
  deliver(message: JSONRPCMessage, bytes?: number): void {
    this.lastMessageBytes = bytes;
    this.onmessage?.(message);
    const msg = message as { method?: string; params?: { requestId?: RequestId } };
    if (msg.method === 'notifications/cancelled' && msg.params?.requestId !== undefined) this.release(msg.params.requestId);
  }

  /**
   * The client cancelled a request: no answer is due (and a late one is dropped), so its HTTP
   * exchange ends now instead of holding the connection: an SSE answer stream is closed, a pending
   * JSON answer becomes 202 with no body.
   */
  private release(id: RequestId): void {
    const exchange = this.exchanges.get(id);
    if (exchange === undefined) return;
    this.exchanges.delete(id);
    if (exchange.sse !== undefined) {
      exchange.sse.end();
      this.drain(exchange.res);
    } else if (!exchange.res.destroyed && !exchange.res.headersSent) {
      exchange.res.writeHead(202, this.sessionHeaders);
      exchange.res.end();
    }
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) return;
    const msg = message as { id?: RequestId; method?: string };
    if (msg.method === undefined && msg.id !== undefined) {
      this.answer(msg.id, message);
      return;
    }
    const related = options?.relatedRequestId;
    if (related !== undefined) {
      const exchange = this.exchanges.get(related);
      if (exchange !== undefined && this.endedForCredential(related, exchange)) return;
      if (exchange !== undefined && this.streamFor(exchange)?.send(message)) return;
    }
    this.sendStandalone(message);
  }

  /** Ends exchange `id` (endGone) when the credential its request proved no longer holds, as a message for it is about to go out. */
  private endedForCredential(id: RequestId, exchange: Exchange): boolean {
    if (this.registry.credentialHolds(exchange.proven)) return false;
    this.endGone(id, exchange);
    this.registry.credentialEnded(this, 1);
    return true;
  }

  private answer(id: RequestId, message: JSONRPCMessage): void {
    const exchange = this.exchanges.get(id);
    if (exchange === undefined) return; // Not ours (or answered already): nothing to deliver it on.
    if (this.endedForCredential(id, exchange)) return;
    this.exchanges.delete(id);
    try {
      this.write(exchange, message);
    } catch (err) {
      // Not serializable (write throws before writing anything): the client gets an error in its place.
      this.write(exchange, unrelayableAnswer(id, err));
    }
    if (id === this.initializeId) {
      this.initializeId = undefined;
      if ('error' in message) this.closeUnopened(exchange.res);
    }
  }

  private write(exchange: Exchange, message: JSONRPCMessage): void {
    if (exchange.sse !== undefined) {
      exchange.sse.send(message);
      exchange.sse.end();
      this.drain(exchange.res);
      return;
    }
    const res = exchange.res;
    if (res.destroyed || res.headersSent) return; // The client went away; it may not resume a JSON answer.
    const body = JSON.stringify(message);
    res.writeHead(200, {
      'content-type': 'application/json',
      'mcp-session-id': this.sessionId,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    this.drain(res);
  }

  /** Closes a session its initialize did not open, letting the answer just written on `res` go out. */
  private closeUnopened(res: ServerResponse): void {
    this.draining.delete(res);
    void this.close();
  }

  /** The exchange's SSE stream, opening it on first use; undefined when the client went away. */
  private streamFor(exchange: Exchange): SseStream | undefined {
    if (exchange.sse !== undefined) return exchange.sse.open ? exchange.sse : undefined;
    if (exchange.res.destroyed || exchange.res.headersSent) return undefined;
    const sse = new SseStream(exchange.res, this.sessionHeaders, undefined, this.watchWrites);
    exchange.sse = sse;
    // Its closing before the answer is seen by acceptRequest's listener.
    return sse;
  }

  private sendStandalone(message: JSONRPCMessage): void {
    const json = JSON.stringify(message);
    const eventId = this.ring.add(json);
    // The stream's credential gone since the last sweep: the stream ends now (the event is kept for a valid GET).
    if (this.standalone?.open === true && !this.registry.credentialHolds(this.proven)) {
      this.credentialGone();
      this.registry.credentialEnded(this, 0);
    }
    const stream = this.standalone;
    if (stream !== undefined && stream.writeEvent('message', json, String(eventId))) this.delivered = eventId;
  }

  /** True when a standalone GET stream is open. */
  get hasStandaloneStream(): boolean {
    return this.standalone !== undefined && this.standalone.open;
  }

  /**
   * Opens the standalone stream on `res`. Replays the kept events after `lastEventId` (a resuming
   * client), or else those never delivered because no stream was open when they were sent.
   */
  openStandalone(res: ServerResponse, lastEventId: string | undefined): void {
    // The client lost the stream it replaces: what it has not read of it would stay buffered for good.
    this.standalone?.abandon();
    const stream = new SseStream(
      res,
      this.sessionHeaders,
      (s) => {
        if (this.standalone === s) this.standalone = undefined;
      },
      this.watchWrites,
    );
    this.standalone = stream;
    let from = this.delivered + 1;
    if (lastEventId !== undefined) {
      const last = Number.parseInt(lastEventId, 10);
      if (Number.isSafeInteger(last) && last >= 0 && this.ring.numbered(last)) from = last + 1;
    }
    for (const [id, json] of this.ring.since(from)) {
      if (stream.writeEvent('message', json, String(id))) this.delivered = Math.max(this.delivered, id);
    }
  }

  busy(): boolean {
    if (this.standalone !== undefined && this.standalone.open) return true;
    // Answers still waiting to be read keep the session (and its count against the flow limits) open.
    if (this.draining.size > 0) return true;
    for (const [id, exchange] of this.exchanges) {
      // Forget exchanges that can no longer carry an answer (client gone, or answered with an error).
      const dead = exchange.sse !== undefined ? !exchange.sse.open : exchange.res.destroyed || exchange.res.writableEnded;
      if (dead) this.abandon(id, exchange);
    }
    return this.exchanges.size > 0;
  }

  streaming(): boolean {
    return this.hasStandaloneStream;
  }

  /** The standalone stream ends (unread events dropped); the session stays for requests with a valid credential, and a GET with one reopens the stream. */
  credentialGone(): void {
    this.standalone?.abandon();
    this.standalone = undefined;
  }

  /**
   * Ends the exchanges whose request was made with a credential that no longer holds: a JSON
   * answer not begun becomes 401 with a JSON-RPC error, an SSE answer stream gets the error as its
   * last event and ends; the proxy is told (onabandon) so the backend's call is cancelled and
   * audited cancelled. A late answer from the backend finds no exchange and is dropped.
   */
  endAnswersOfGoneCredentials(stillValid: (client: ClientIdentity) => boolean): number {
    if (this.exchanges.size === 0 || this.closed) return 0;
    // Requests of one credential share the identity object: asked once per object per sweep.
    const verdicts = new Map<ClientIdentity, boolean>();
    let ended = 0;
    for (const [id, exchange] of [...this.exchanges]) {
      let valid = verdicts.get(exchange.proven);
      if (valid === undefined) verdicts.set(exchange.proven, (valid = stillValid(exchange.proven)));
      if (valid) continue;
      ended++;
      this.endGone(id, exchange);
      if (this.closed) break;
    }
    return ended;
  }

  /** Ends exchange `id`, whose request's credential no longer holds: the error answer, the call cancelled at the backend. */
  private endGone(id: RequestId, exchange: Exchange): void {
    this.exchanges.delete(id);
    const error = { jsonrpc: '2.0', id, error: { code: SERVER_ERROR, message: CREDENTIAL_GONE_MESSAGE } } as JSONRPCMessage;
    if (exchange.sse !== undefined) {
      exchange.sse.send(error);
      exchange.sse.end();
      this.drain(exchange.res);
    } else if (!exchange.res.destroyed) {
      writeJsonError(exchange.res, 401, SERVER_ERROR, CREDENTIAL_GONE_MESSAGE, id, { 'www-authenticate': CREDENTIAL_GONE_CHALLENGE, 'mcp-session-id': this.sessionId });
    }
    this.onabandon?.(id, ABANDONED_CREDENTIAL);
    if (id === this.initializeId) this.closeUnopened(exchange.res);
  }

  keepAlive(now: number, quietSince: number): void {
    const stream = this.standalone;
    if (stream !== undefined && stream.lastWrite < quietSince) stream.keepAlive(now);
    for (const exchange of this.exchanges.values()) {
      if (exchange.sse !== undefined && exchange.sse.lastWrite < quietSince) exchange.sse.keepAlive(now);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.registry.remove(this);
    for (const [id, exchange] of this.exchanges) {
      if (exchange.sse !== undefined) exchange.sse.abandon();
      else if (!exchange.res.destroyed) writeJsonError(exchange.res, 404, SESSION_NOT_FOUND, 'Session closed before the request was answered', id);
    }
    this.exchanges.clear();
    this.standalone?.end();
    this.standalone = undefined;
    this.ring.clear();
    // Answers the client never took, of a session it ended (DELETE) or that is shut down: their
    // connections are closed, so that ending sessions cannot leave unread answers buffered without bound.
    for (const res of this.draining) res.destroy();
    this.draining.clear();
    this.onclose?.();
  }
}
