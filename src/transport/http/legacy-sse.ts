/**
 * Legacy HTTP+SSE (MCP 2024-11-05, as older clients and the Nomad MCP server speak it): GET on the
 * SSE path opens a session whose stream first carries an `endpoint` event naming
 * `<messagesPath>?sessionId=<id>`; the client POSTs each JSON-RPC message there (answered 202) and
 * every server message, answers included, travels on the stream. The session ends when the stream
 * closes. A request POSTed while server.maxInFlightPerSession requests await answers, or while more
 * than server.maxUnreadBytesPerSession wait unread on the stream, is refused (429); the stream is
 * dropped (and the session with it) only past sse.ts's MAX_UNREAD_BYTES.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../log/logger.js';
import type { RefusalLog } from '../../log/refusal-log.js';
import type { ClientIdentity } from '../../types.js';
import type { JSONRPCMessage, MessageExtraInfo, SessionAcceptor, Transport, TransportSendOptions } from '../types.js';
import {
  ABANDONED_CREDENTIAL,
  CREDENTIAL_GONE_MESSAGE,
  INTERNAL_ERROR,
  INVALID_REQUEST,
  SERVER_ERROR,
  SESSION_NOT_FOUND,
  bodyBytes,
  parseBody,
  unrelayableAnswer,
  writeJsonError,
  type RequestId,
} from './jsonrpc.js';
import { followIdentity } from './request-identity.js';
import { addressKey, ReadPauses, type HttpSession, type SessionRegistry } from './sessions.js';
import { SseStream } from './sse.js';

export class LegacySseSession implements Transport, HttpSession {
  readonly kind = 'sse' as const;
  readonly ownerId: string;
  /** The identity the last request proved, as the authenticator made it (sessions.ts HttpSession.proven). */
  proven: ClientIdentity;
  lastActivity = Date.now();
  /** Size in bytes of the message being delivered to onmessage (read by the proxy for the audit). */
  lastMessageBytes: number | undefined;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  /** Told when a request is given up without the client cancelling it (its credential gone): ClientTransport.onabandon. */
  onabandon?: (id: RequestId, reason: string) => void;
  private readonly stream: SseStream;
  private closed = false;
  /**
   * The client's requests not answered yet (in flight through the proxy), each with the identity
   * its own POST proved: its answer, and the messages about it, go out only while that holds (the
   * stream may carry them to a later POST's credential).
   */
  private readonly awaiting = new Map<RequestId, ClientIdentity>();
  /** Pauses the proxy holds while a backend of the session is not reading what it is sent (flow.ts ReadGate): messages are refused meanwhile. */
  private readonly readPauses = new ReadPauses();

  constructor(
    readonly sessionId: string,
    /** The identity of the last POSTed message's request (identify()); the proxy decides each message with it. */
    public client: ClientIdentity,
    res: FastifyReply['raw'],
    private readonly registry: SessionRegistry,
    /** Where the stream's request came from (addressKey). */
    readonly address: string,
  ) {
    this.ownerId = client.id;
    this.proven = client;
    // A stream its client stopped reading is destroyed by the write-stall watchdog: it closes, and the session ends.
    this.stream = new SseStream(res, {}, () => void this.close(), (r) => registry.stalls.wrote(r, sessionId));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async start(): Promise<void> {
    // The stream is open already; the frontend announces the endpoint once the proxy holds us.
  }

  /** The identity the POST about to be delivered proved (the owner's id: checked by the route). */
  identify(fresh: ClientIdentity): void {
    this.proven = fresh;
    this.client = followIdentity(this.client, fresh);
  }

  announceEndpoint(messagesPath: string): void {
    this.stream.writeEvent('endpoint', `${messagesPath}?sessionId=${encodeURIComponent(this.sessionId)}`);
  }

  /** Whether a request with this id awaits its answer (another with the same id is refused, as on Streamable HTTP). */
  isAwaiting(id: RequestId): boolean {
    return this.awaiting.has(id);
  }

  /** Why a new request must be refused now (the route answers 429), or undefined. */
  requestRefusal(): string | undefined {
    const { maxInFlightPerSession, maxUnreadBytesPerSession } = this.registry.limits;
    if (this.awaiting.size >= maxInFlightPerSession) {
      return `this session has ${this.awaiting.size} requests awaiting answers (server.maxInFlightPerSession is ${maxInFlightPerSession}); retry once some are answered`;
    }
    const unread = this.stream.res.writableLength;
    if (unread > maxUnreadBytesPerSession) {
      return `${unread} bytes of this session's messages wait unread on its stream (server.maxUnreadBytesPerSession is ${maxUnreadBytesPerSession}); read them, then retry`;
    }
    return undefined;
  }

  /** Why any message POSTed now must be refused (429), or undefined: as StreamableHttpSession.backlogRefusal. */
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

  deliver(message: JSONRPCMessage, bytes?: number): void {
    const msg = message as { id?: RequestId; method?: string; params?: { requestId?: RequestId } };
    if (msg.method !== undefined && msg.id !== undefined) this.awaiting.set(msg.id, this.proven);
    else if (msg.method === 'notifications/cancelled' && msg.params?.requestId !== undefined) this.awaiting.delete(msg.params.requestId);
    this.lastMessageBytes = bytes;
    this.onmessage?.(message);
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) return;
    // The stream's credential gone since the last sweep: the session ends now, this message undelivered.
    if (!this.registry.credentialHolds(this.proven)) {
      this.credentialGone();
      this.registry.credentialEnded(this, 0);
      return;
    }
    const msg = message as { id?: RequestId; method?: string };
    // An answer, or a message about a request, goes out only while the credential of that request holds.
    const about = msg.method === undefined ? msg.id : options?.relatedRequestId;
    if (about !== undefined) {
      const proven = this.awaiting.get(about);
      if (proven !== undefined && !this.registry.credentialHolds(proven)) {
        this.endGone(about);
        this.registry.credentialEnded(this, 1);
        return;
      }
      if (msg.method === undefined) this.awaiting.delete(about);
    }
    try {
      this.stream.send(message);
    } catch (err) {
      // Not serializable (send throws before writing anything): an answer becomes an error in its place.
      if (msg.method !== undefined || msg.id === undefined) throw err;
      this.stream.send(unrelayableAnswer(msg.id, err));
    }
  }

  /** Ends request `id`, whose credential no longer holds: an error in place of its answer, the call cancelled at the backend. */
  private endGone(id: RequestId): void {
    this.awaiting.delete(id);
    this.stream.send({ jsonrpc: '2.0', id, error: { code: SERVER_ERROR, message: CREDENTIAL_GONE_MESSAGE } } as JSONRPCMessage);
    this.onabandon?.(id, ABANDONED_CREDENTIAL);
  }

  busy(): boolean {
    return this.stream.open;
  }

  keepAlive(now: number, quietSince: number): void {
    if (this.stream.lastWrite < quietSince) this.stream.keepAlive(now);
  }

  streaming(): boolean {
    return this.stream.open;
  }

  /** The stream is the session: both end. */
  credentialGone(): void {
    void this.close();
  }

  /**
   * Ends the requests in flight whose own credential no longer holds (each POST may prove another
   * key of the same client): each gets an error in place of its answer and is cancelled at the
   * backend (audited cancelled). The stream itself is checked with the last credential (sweep).
   */
  endAnswersOfGoneCredentials(stillValid: (client: ClientIdentity) => boolean): number {
    if (this.awaiting.size === 0 || this.closed) return 0;
    const verdicts = new Map<ClientIdentity, boolean>();
    // The stream's own credential gone: the sweep ends the stream and the session with it (every
    // request cancelled), and nothing more is written to that stream.
    const streamValid = stillValid(this.proven);
    verdicts.set(this.proven, streamValid);
    if (!streamValid) return 0;
    let ended = 0;
    for (const [id, proven] of [...this.awaiting]) {
      let valid = verdicts.get(proven);
      if (valid === undefined) verdicts.set(proven, (valid = stillValid(proven)));
      if (valid) continue;
      ended++;
      this.endGone(id);
      if (this.closed) break;
    }
    return ended;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.registry.remove(this);
    this.awaiting.clear();
    this.stream.end();
    this.onclose?.();
  }
}

export interface LegacySseOptions {
  acceptor: SessionAcceptor;
  registry: SessionRegistry;
  logger: Logger;
  refusals: RefusalLog;
  messagesPath: string;
}

export function createLegacySseHandlers(options: LegacySseOptions) {
  const { acceptor, registry, logger, refusals, messagesPath } = options;

  async function openStream(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.hijack();
    const res = reply.raw;
    const client = request.wardenClient;
    if (client === null) {
      writeJsonError(res, 401, SERVER_ERROR, 'Unauthenticated');
      return;
    }
    const address = addressKey(request.raw.socket.remoteAddress);
    const refusal = registry.refusal(client.id, address);
    if (refusal !== undefined) {
      refusals.log(logger, 'info', `session\0${refusal}\0${address}`, { client: client.id, address, refusal }, 'http: new session refused (session limit)');
      writeJsonError(res, 503, SERVER_ERROR, `Service unavailable: ${refusal}; close some or retry later`, null, { 'retry-after': '5' });
      return;
    }
    const session = new LegacySseSession(randomUUID(), client, res, registry, address);
    registry.add(session);
    try {
      await acceptor.openSession(session, { sessionId: session.sessionId, transport: 'sse', client });
    } catch (error) {
      logger.error({ err: error, sessionId: session.sessionId }, 'http: the proxy refused a new SSE session');
      await session.close();
      return;
    }
    if (session.isClosed) return;
    logger.debug({ sessionId: session.sessionId, client: client.id }, 'http: legacy SSE session opened');
    session.announceEndpoint(messagesPath);
  }

  function postMessage(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    const res = reply.raw;
    const sessionId = (request.query as { sessionId?: unknown }).sessionId;
    if (typeof sessionId !== 'string' || sessionId.length === 0) {
      writeJsonError(res, 400, SERVER_ERROR, 'Bad Request: the sessionId query parameter is required (use the endpoint announced on the SSE stream)');
      return;
    }
    const parsed = parseBody(request.body);
    if (parsed.kind === 'invalid') {
      writeJsonError(res, parsed.status, parsed.code, parsed.message, parsed.id);
      return;
    }
    const session = registry.get(sessionId);
    if (!(session instanceof LegacySseSession) || session.isClosed || session.ownerId !== request.wardenClient?.id) {
      writeJsonError(res, 404, SESSION_NOT_FOUND, 'Session not found (unknown or closed sessionId): open a new SSE stream', parsed.kind === 'notification' ? null : parsed.id);
      return;
    }
    session.lastActivity = Date.now();
    const backlog = session.backlogRefusal();
    if (backlog !== undefined) {
      refusals.log(logger, 'info', `flow\0${session.ownerId}`, { sessionId, client: session.ownerId, refusal: backlog }, 'http: request refused (session flow limit)');
      writeJsonError(res, 429, SERVER_ERROR, `Too many requests: ${backlog}`, parsed.kind === 'request' ? parsed.id : null, { 'retry-after': '1' });
      return;
    }
    if (parsed.kind === 'request') {
      // Its answer would be taken for the other's, and held to the other's credential.
      if (session.isAwaiting(parsed.id)) {
        writeJsonError(res, 400, INVALID_REQUEST, `Invalid Request: request id ${JSON.stringify(parsed.id)} is already in flight in this session`, parsed.id);
        return;
      }
      const refusal = session.requestRefusal();
      if (refusal !== undefined) {
        refusals.log(logger, 'info', `flow\0${session.ownerId}`, { sessionId, client: session.ownerId, refusal }, 'http: request refused (session flow limit)');
        writeJsonError(res, 429, SERVER_ERROR, `Too many requests: ${refusal}`, parsed.id, { 'retry-after': '1' });
        return;
      }
    }
    // Decided with the identity this POST's credential proved, not the one the stream was opened with.
    session.identify(request.wardenClient!);
    try {
      session.deliver(parsed.message, bodyBytes(request));
    } catch (error) {
      logger.error({ err: error, sessionId }, 'http: delivering a legacy SSE message failed');
      writeJsonError(res, 500, INTERNAL_ERROR, 'Internal error while accepting the message');
      return;
    }
    res.writeHead(202, { 'content-type': 'text/plain' });
    res.end('Accepted');
  }

  return { openStream, postMessage };
}
