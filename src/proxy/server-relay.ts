/**
 * The server-to-client direction of one client session, and the client's answers to it.
 *
 * Requests a backend sends (sampling/createMessage, elicitation/create, roots/list, anything newer)
 * pass through the same chain (decide, record) and reach the client under an id of the session's
 * own, so two backends can never collide; the client's answer goes back to the backend that asked,
 * under its original id. Notifications are relayed with their ids and URIs mapped (cancelled,
 * resources/updated), progress related to the client request that carries its token, and anything
 * unknown passed through unchanged. Backend pings are answered here. A client notification whose
 * method is not a notification's (notifications/...) is dropped: the policy decides requests only.
 */
import type { BackendConnection } from './backend.js';
import { buildRecord, denyAnswer, isEnforcedDeny, outcomeOf, type Exchange } from './intercept.js';
import { errorResponse, resultResponse, type RequestId, type RpcMessage } from './jsonrpc.js';
import type { ClientSession } from './session.js';

type Params = Record<string, unknown>;

interface ServerExchange extends Exchange {
  backend: BackendConnection;
  backendId: RequestId;
}

const CLIENT_INPUT_ENDED = 'the client closed its input: it cannot answer';

/**
 * Backends' requests one session may have awaiting its client's answer. The client answers them
 * (or not) at its user's pace, and nothing else bounds them: a backend asking in a loop would grow
 * the table without end. One more is answered with an error at once, and recorded.
 */
export const MAX_PENDING_SERVER_REQUESTS = 256;
const TOO_MANY_PENDING = `refused: ${MAX_PENDING_SERVER_REQUESTS} requests to the client already await its answer`;

export class ServerRelay {
  private readonly pending = new Map<number, ServerExchange>();
  private nextId = 0;
  /** The client closed its input (stdio EOF): it can answer nothing any more. */
  private inputEnded = false;

  constructor(private readonly session: ClientSession) {}

  /** A request from a backend to the client. */
  serverRequest(b: BackendConnection, msg: RpcMessage): void {
    const backendId = msg.id as RequestId;
    if (msg.method === 'ping') return b.sendRaw(resultResponse(backendId, {}));
    const s = this.session;
    const ctx = {
      phase: 'request' as const,
      method: msg.method!,
      direction: 'server_to_client' as const,
      client: s.client,
      session: s.sessionCtx,
      backend: { name: b.name, transport: b.spec.transport },
      params: msg.params,
    };
    const ex = s.exchange(msg, ctx, s.decide(ctx), undefined, -1, false) as ServerExchange;
    ex.backend = b;
    ex.backendId = backendId;
    if (isEnforcedDeny(ex.decision) || s.state === 'closed' || this.inputEnded) {
      const answer = isEnforcedDeny(ex.decision)
        ? denyAnswer(backendId, ex.method, ex.decision, 'error')
        : errorResponse(backendId, -32000, this.inputEnded ? CLIENT_INPUT_ENDED : 'client session closed');
      return s.out.finish(ex, answer, isEnforcedDeny(ex.decision) ? 'denied' : 'cancelled', undefined, undefined, undefined, (m) => b.sendRaw(m));
    }
    if (this.pending.size >= MAX_PENDING_SERVER_REQUESTS) {
      return s.out.finish(ex, errorResponse(backendId, -32000, TOO_MANY_PENDING), 'rpc_error', undefined, undefined, undefined, (m) => b.sendRaw(m));
    }
    const id = ++this.nextId;
    this.pending.set(id, ex);
    msg.id = id;
    ex.sentAt = performance.now();
    s.out.send(msg, this.relatedTo(b, msg));
  }

  /** The client's answer to a request relayed above. */
  clientAnswer(msg: RpcMessage): void {
    const id = msg.id as number;
    const ex = this.pending.get(id);
    if (ex === undefined) return; // unknown or already cancelled
    this.pending.delete(id);
    msg.id = ex.backendId;
    const micros = Math.round((performance.now() - ex.sentAt) * 1000);
    const b = ex.backend;
    this.session.out.finish(ex, msg, outcomeOf(ex.method, msg), micros, undefined, undefined, (m) => b.sendRaw(m));
  }

  /** A notification from the client: to the backend(s) it concerns. */
  clientNotification(msg: RpcMessage, method: string): void {
    const s = this.session;
    const params = msg.params;
    switch (method) {
      case 'notifications/initialized':
        for (const b of s.backends) b.initialized(msg);
        return;
      case 'notifications/cancelled': {
        const requestId = params?.requestId;
        const reason = typeof params?.reason === 'string' ? params.reason : 'cancelled by the client';
        // Not at a backend yet (waiting for its tool's definition, or queued behind initialize): dropped when it would be forwarded.
        if (!this.cancelClientRequest(requestId, params, reason) && (typeof requestId === 'string' || typeof requestId === 'number')) s.held.abandon(requestId, reason);
        return;
      }
      case 'notifications/progress': {
        // Progress on a request a backend sent us: to that backend only.
        const token = params?.progressToken;
        for (const ex of this.pending.values()) {
          const meta = (ex.ctx.params as Params | undefined)?._meta as Params | undefined;
          if (meta?.progressToken === token) return ex.backend.sendRaw(msg);
        }
        for (const b of s.backends) b.sendRaw(msg);
        return;
      }
      default:
        // MCP names every notification notifications/...: anything else is a request's method sent
        // without an id, which the policy never decides; a backend dispatching on the method alone
        // would run it (a denied tools/call). Dropped, never forwarded.
        if (!method.startsWith('notifications/')) {
          s.shared.logger.debug({ session: s.info.sessionId, method }, 'client notification dropped: not an MCP notification (a request method without an id)');
          return;
        }
        for (const b of s.backends) b.sendRaw(msg);
    }
  }

  /**
   * The client's request `requestId` will not be waited for (cancelled by the client, or given up by
   * its transport): the backend working on it is told (notifications/cancelled under the id it
   * knows, with `params` otherwise as given) and the audit records it cancelled with `reason`. False
   * when no backend has it in flight (answered already, or not forwarded).
   */
  cancelClientRequest(requestId: unknown, params: Params | undefined, reason: string): boolean {
    for (const b of this.session.backends) {
      const found = b.requests.findByOriginalId(requestId);
      if (found === undefined) continue;
      const ex = b.requests.cancel(found.proxyId, params);
      if (ex) this.recordOnly(ex, 'cancelled', reason);
      return ex !== undefined;
    }
    return false;
  }

  private progressDropped = false;

  private droppedProgress(b: BackendConnection): void {
    if (this.progressDropped) return;
    this.progressDropped = true;
    this.session.shared.logger.debug(
      { session: this.session.sessionCtx.id, backend: b.name },
      'progress notification for a request that has ended (or never asked for progress) dropped; later ones in this session are dropped silently',
    );
  }

  /** Every client request in flight is given up (the session is closing): each backend told, each recorded cancelled. */
  cancelAllClientRequests(reason: string): void {
    for (const b of this.session.backends) for (const ex of b.requests.cancelInFlight(reason)) this.recordOnly(ex, 'cancelled', reason);
  }

  /** A notification from a backend: to the client, ids and URIs mapped. */
  serverNotification(b: BackendConnection, msg: RpcMessage): void {
    const s = this.session;
    const params = msg.params;
    switch (msg.method) {
      case 'notifications/progress': {
        const ex = b.requests.exchangeForProgress(params?.progressToken);
        // Its request has ended (answered, cancelled, timed out, given up) or never asked for it:
        // dropped, on every transport (over HTTP it would go on the standalone stream or another
        // request's; over stdio the client has nothing to relate it to). Said once per session.
        if (ex === undefined) return this.droppedProgress(b);
        return s.out.send(msg, ex.originalId);
      }
      case 'notifications/cancelled': {
        const backendId = params?.requestId;
        for (const [id, ex] of this.pending) {
          if (ex.backend !== b || ex.backendId !== backendId) continue;
          this.pending.delete(id);
          this.recordOnly(ex, 'cancelled', typeof params?.reason === 'string' ? params.reason : 'cancelled by the server');
          msg.params = { ...params, requestId: id };
          return s.out.send(msg, this.relatedTo(b, msg));
        }
        return;
      }
      case 'notifications/resources/updated': {
        const uri = params?.uri;
        if (typeof uri === 'string') {
          const shown = s.catalog.clientUri(b.spec.index, uri);
          if (shown !== uri) msg.params = { ...params, uri: shown };
        }
        return s.out.send(msg, this.relatedTo(b, msg));
      }
      default:
        return s.out.send(msg, this.relatedTo(b, msg));
    }
  }

  /** The client request a server message belongs to, when it can be told (one request in flight). */
  private relatedTo(b: BackendConnection, _msg: RpcMessage): RequestId | undefined {
    return b.requests.soleExchange()?.originalId;
  }

  recordOnly(ex: Exchange, outcome: 'cancelled', reason: string): void {
    try {
      const pending = this.session.shared.recorder.record({ ...buildRecord(ex, outcome, undefined, undefined, undefined, undefined), errorMessage: reason });
      if (pending) pending.catch(() => undefined);
    } catch {
      /* nothing to fail closed: no answer goes out for a cancelled request */
    }
  }

  /**
   * The client closed its input: the requests relayed to it, and any a backend makes from now on,
   * can never be answered. Each gets an error at once, so that the backend's own work (say a
   * tools/call waiting on sampling) ends instead of waiting for a timeout while the session drains.
   */
  clientInputEnded(): void {
    this.inputEnded = true;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const ex of all) {
      const b = ex.backend;
      this.session.out.finish(ex, errorResponse(ex.backendId, -32000, CLIENT_INPUT_ENDED), 'cancelled', undefined, undefined, undefined, (m) => b.sendRaw(m));
    }
  }

  /**
   * Backend `b` went away (`why`): its requests relayed to the client can never be answered to it
   * (a restarted backend numbers its requests anew, and would take a late answer to the dead
   * process's question for its own new one). Each is recorded cancelled and the client told
   * (notifications/cancelled); a late answer to it is dropped as unknown.
   */
  backendGone(b: BackendConnection, why: string): void {
    if (this.pending.size === 0) return;
    for (const [id, ex] of [...this.pending]) {
      if (ex.backend !== b) continue;
      this.pending.delete(id);
      this.recordOnly(ex, 'cancelled', why);
      this.session.out.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: why } });
    }
  }

  /**
   * The session is closing: every request relayed to the client is given up. Each is recorded
   * cancelled with `reason`, and its backend gets an error answer (its call waiting on the client
   * ends instead of running to its own timeout), as when a stdio client closes its input.
   */
  cancelAllServerRequests(reason: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const ex of all) {
      const b = ex.backend;
      this.session.out.finish(ex, errorResponse(ex.backendId, -32000, reason), 'cancelled', undefined, undefined, undefined, (m) => b.sendRaw(m));
    }
  }
}
