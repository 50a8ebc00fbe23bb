/**
 * The requests in flight to one backend session, off the hot path: the tables themselves (ids:
 * in-flight.ts; progress tokens) are shared with BackendConnection, which forwards requests and
 * takes their answers through them; here is everything else done with them: finding a client's
 * request by its own id or the only one in flight, giving one or all up (the backend told with
 * notifications/cancelled under the id it knows), the timeout sweep (the backend told too), and
 * failing them when a send fails or the backend goes away, each with a clear error to its waiter
 * (the session for a client's request, the proxy for its own InternalCall).
 */
import { performance } from 'node:perf_hooks';
import { InternalCall, type BackendEvents } from './backend-types.js';
import type { BackendConnection } from './backend.js';
import type { Exchange } from './intercept.js';
import { errorResponse, RPC } from './jsonrpc.js';
import { InFlight } from './in-flight.js';

export type Pending = Exchange | InternalCall;

const PROGRESS_TOKEN = Buffer.from('"progressToken"');

/**
 * The progress token of a request, from its parsed params or, forwarded unparsed, from its line
 * (parsed only when the name is in it: such a line has no escaped member names, see
 * RequestRouter.unparsedToolCall).
 */
function progressTokenOf(ex: Exchange): string | number | undefined {
  let params = ex.ctx.params;
  const line = ex.unparsedRequest;
  if (line !== undefined) {
    if (line.subarray(ex.unparsedStart, ex.unparsedEnd).indexOf(PROGRESS_TOKEN) < 0) return undefined;
    try {
      params = (JSON.parse(line.toString('utf8', ex.unparsedStart, ex.unparsedEnd)) as { params?: Record<string, unknown> }).params;
    } catch {
      return undefined; // (a byte path forwards only lines that are valid JSON)
    }
  }
  const meta = params?._meta as Record<string, unknown> | undefined;
  const token = meta?.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}

export class BackendRequests {
  /** By the id the backend sees. */
  readonly pending = new InFlight<Pending>();
  /** Client requests forwarded with a progress token, by that token. */
  readonly progress = new Map<string | number, Exchange>();

  constructor(
    private readonly backend: BackendConnection,
    private readonly events: BackendEvents,
  ) {}

  /** The exchange forwarded for a client request id, if still in flight. */
  findByOriginalId(originalId: unknown): { proxyId: number; ex: Exchange } | undefined {
    for (const [proxyId, p] of this.pending.entries()) {
      if (!(p instanceof InternalCall) && p.originalId === originalId) return { proxyId, ex: p };
    }
    return undefined;
  }

  /**
   * The client request in flight that carries this progress token, or undefined when none does (its
   * request has ended, or never asked for progress). A request forwarded unparsed (stdio's byte
   * paths) has its token learnt here, from its line, the first time a progress comes that the table
   * does not know: read only then, so the byte paths never look for one.
   */
  exchangeForProgress(token: unknown): Exchange | undefined {
    if (typeof token !== 'string' && typeof token !== 'number') return undefined;
    return this.progress.get(token) ?? this.learnProgressToken(token);
  }

  private learnProgressToken(token: string | number): Exchange | undefined {
    let found: Exchange | undefined;
    for (const p of this.pending.values()) {
      if (p instanceof InternalCall || p.progressToken !== undefined) continue;
      const t = progressTokenOf(p);
      if (t === undefined) continue;
      p.progressToken = t;
      this.progress.set(t, p);
      if (t === token) found = p;
    }
    return found;
  }

  /** The only exchange in flight, when there is exactly one (to relate server messages to it). */
  soleExchange(): Exchange | undefined {
    if (this.pending.size !== 1) return undefined;
    const p = this.pending.values()[0];
    return p instanceof InternalCall ? undefined : p;
  }

  /** Drops an exchange the client cancelled and tells the backend (notifications/cancelled with our id). */
  cancel(proxyId: number, params: Record<string, unknown> | undefined): Exchange | undefined {
    const p = this.pending.get(proxyId);
    if (p === undefined || p instanceof InternalCall) return undefined;
    this.pending.retire(proxyId);
    if (p.progressToken !== undefined) this.progress.delete(p.progressToken);
    this.backend.sendRaw({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { ...params, requestId: proxyId } });
    return p;
  }

  /**
   * Gives up every client request in flight here (the client session is closing): each is retired,
   * the backend told (notifications/cancelled with its id and `reason`), and returned for the audit.
   */
  cancelInFlight(reason: string): Exchange[] {
    const out: Exchange[] = [];
    if (this.pending.size === 0) return out;
    for (const [proxyId, p] of this.pending.entries()) {
      if (p instanceof InternalCall) continue;
      const ex = this.cancel(proxyId, { reason });
      if (ex !== undefined) out.push(ex);
    }
    return out;
  }

  /** Sending request `id` failed (an upstream HTTP backend): its waiter gets 'unavailable' with why. */
  sendFailed(id: number, err: Error): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    const text = `backend '${this.backend.name}' is unavailable: ${err.message}`;
    if (p instanceof InternalCall) p.resolve(errorResponse(null, RPC.BACKEND_UNAVAILABLE, text));
    else this.events.onFailed(this.backend, p, RPC.BACKEND_UNAVAILABLE, text, 'backend_unavailable');
  }

  /** Every request past its timeout: retired, the backend told (client requests), the waiter answered. */
  readonly sweep = (): void => {
    if (this.pending.size === 0) return;
    const now = performance.now();
    const b = this.backend;
    for (const [id, p] of this.pending.entries()) {
      const timeoutMs = p instanceof InternalCall ? p.timeoutMs : b.spec.timeoutMs;
      if (now - p.sentAt < timeoutMs) continue;
      this.pending.retire(id);
      const text = `backend '${b.spec.name}' did not answer ${p.method} within ${timeoutMs} ms`;
      if (p instanceof InternalCall) {
        p.resolve(errorResponse(null, RPC.BACKEND_TIMEOUT, text));
      } else {
        if (p.progressToken !== undefined) this.progress.delete(p.progressToken);
        b.sendRaw({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'timeout' } });
        this.events.onFailed(b, p, RPC.BACKEND_TIMEOUT, text, 'timeout');
      }
    }
  };

  /** The backend went away (or its session closed): every request in flight fails with `text`. */
  failAll(text: string): void {
    if (this.pending.size === 0) return;
    const all = this.pending.values();
    this.pending.clear();
    this.progress.clear();
    for (const p of all) {
      if (p instanceof InternalCall) p.resolve(errorResponse(null, RPC.BACKEND_UNAVAILABLE, text));
      else this.events.onFailed(this.backend, p, RPC.BACKEND_UNAVAILABLE, text, 'backend_unavailable');
    }
  }
}

/**
 * Whether a request in flight to any of these backends holds this progress token. A backend's
 * progress names its request by the token alone: a second request under the same token would take
 * the first's progress (on its own answer stream, perhaps sent with another credential) and end it
 * when answered (session.ts refuses such a request).
 */
export function progressTokenInFlight(backends: ReadonlyArray<BackendConnection>, token: string | number): boolean {
  for (const b of backends) if (b.requests.progress.has(token)) return true;
  return false;
}
