/**
 * Client requests taken but not yet at a backend: a tools/call waiting for its tool's definition
 * (router.ts), a request queued behind initialize (session.ts). When the client's transport gives
 * one up meanwhile (its connection closed, its answer stream stalled, the credential it was made
 * with revoked or expired: ClientTransport.onabandon), no backend has it to cancel; it is marked
 * here and dropped (audited cancelled) when it would have been forwarded, instead of running at the
 * backend for nobody, after its credential was withdrawn.
 */
import type { Decision } from '../types.js';
import { toToolInfo } from './intercept.js';
import type { RequestId, RpcMessage } from './jsonrpc.js';
import type { ClientSession } from './session.js';

/** One held request; `reason` is set when its client gave it up. */
export interface Hold {
  reason: string | undefined;
}

export class HeldRequests {
  private readonly held = new Map<RequestId, Hold>();

  /** Request `id` waits before being forwarded. (Ids are unique among a session's requests in flight: the transport refuses a duplicate.) */
  hold(id: RequestId): Hold {
    const h: Hold = { reason: undefined };
    this.held.set(id, h);
    return h;
  }

  /** The transport gave up request `id`: true when it is held (then dropped when it resumes). */
  abandon(id: RequestId, reason: string): boolean {
    const h = this.held.get(id);
    if (h === undefined) return false;
    h.reason = reason;
    this.held.delete(id);
    return true;
  }

  /** Held request `id` resumes: why it was given up meanwhile (drop it), or undefined (it goes on). */
  resume(id: RequestId, h: Hold): string | undefined {
    if (this.held.get(id) === h) this.held.delete(id);
    return h.reason;
  }
}

/**
 * Held request `msg` resumes: true when its client gave it up meanwhile, and then it is dropped:
 * never forwarded, audited cancelled with the reason (not decided).
 */
export function droppedOnResume(s: ClientSession, msg: RpcMessage, method: string, hold: Hold): boolean {
  const reason = s.held.resume(msg.id as RequestId, hold);
  if (reason === undefined) return false;
  const decision: Decision = { allowed: false, reasons: [`not decided: ${reason}`], mode: 'enforce', policyVersion: 'unknown', micros: 0 };
  const ctx = s.context(method, msg.params, undefined);
  const name = msg.params?.name;
  if (method === 'tools/call' && typeof name === 'string') ctx.tool = toToolInfo({ name }, name);
  s.relay.recordOnly(s.exchangeOf(msg.id as RequestId, ctx, decision), 'cancelled', reason);
  return true;
}
