/**
 * Backends' answers to client requests, on their way back to the client: the id changed back to
 * the client's, lists rewritten for the client, tasks, subscriptions and (several backends) the
 * resource URIs a backend gave remembered (resource-links.ts), the response phase decided when the
 * decider asks for it, redacted, and then finished (recorded and sent: client-output.ts). An
 * answer nobody reads (nothing to rewrite, track or redact, no response phase, no audit record)
 * goes to the client as the backend's own text, id spliced in; when it is written compactly it is
 * not even parsed (BackendConnection.takeLine > onAnswerText).
 */
import { performance } from 'node:perf_hooks';
import type { JSONRPCMessage } from '../transport/types.js';
import { RAW_VERDICT, type Decision, type InterceptContext } from '../types.js';
import type { BackendConnection } from './backend.js';
import { combinedRedactions, denyAnswer, isEnforcedDeny, outcomeOf, type Exchange } from './intercept.js';
import { isUtf8Bytes } from '../transport/json-bytes.js';
import { SENT } from '../transport/ndjson.js';
import { withSplicedId, type RequestId, type RpcMessage } from './jsonrpc.js';
import { rawAnswerChars, rawAnswerCharsOf, RawHeads } from './raw-audit.js';
import type { HeldRoutes } from './catalog.js';
import type { ListedPage } from './listed-routes.js';
import { applyRedactions } from './redact.js';
import type { ClientSession } from './session.js';

type Params = Record<string, unknown>;

/** What the client transport's ordering rule reads of an answer sent as text: an id, no method. */
const ANSWER_SHAPE: RpcMessage = Object.freeze({ jsonrpc: '2.0', id: 0 }) as RpcMessage;

/** A failed send to the client is reported by its transport's close. */
function ignore(): void {}

export class AnswerRelay {
  private readonly heads = new RawHeads();

  constructor(private readonly s: ClientSession) {}

  /**
   * At forwarding time: whether nothing the proxy does with this exchange's answer needs its
   * content (Exchange.answerAsText): no list to rewrite, no subscription or logging level to track, no task to
   * remember for routing (one backend), nothing to redact, and a client transport that takes text.
   */
  answerAsText(ex: Exchange): boolean {
    const method = ex.method;
    const redact = ex.decision.redact;
    return (
      ex.listIndex < 0 &&
      !this.s.ns.multi &&
      method !== 'resources/subscribe' &&
      method !== 'resources/unsubscribe' &&
      method !== 'logging/setLevel' &&
      (redact === undefined || redact.length === 0) &&
      this.s.transport.sendLine !== undefined &&
      this.s.transport.sendSpliced !== undefined
    );
  }

  /**
   * An answer taken unparsed (see answerAsText), src[start, end) with the backend's id at
   * src[idStart, idEnd): sent with the client's id while nothing judges answers, when it is valid
   * UTF-8 (else false: it is decoded and parsed). Recorded raw, the line's own check proves that
   * (rawAnswerChars), so it is not read a second time for it.
   */
  onAnswerBytes(ex: Exchange, src: Buffer, start: number, idStart: number, idEnd: number, end: number): boolean {
    const shared = this.s.shared;
    if (shared.decider.wantsResponsePhase === true || ex.decision.redact?.length || this.s.transport.sendSpliced === undefined) return false;
    if (shared.recorder.discardsRecords !== true) return this.recordRaw(ex, src, start, idStart, idEnd, end);
    if (!isUtf8Bytes(src, start, end)) return false;
    this.sendSpliced(src, start, idStart, idEnd, end, ex.originalId);
    return true;
  }

  /**
   * An answer taken unparsed while the audit records: when its request was recorded raw too
   * (raw-audit.ts) and its line is valid UTF-8, passes Recorder.rawSafeBytes and has no member name twice at any depth,
   * journaled with its request as they came,
   * then sent once the journal holds it (as finish() does). false: parsed and recorded the usual way.
   */
  private recordRaw(ex: Exchange, src: Buffer, start: number, idStart: number, idEnd: number, end: number): boolean {
    const request = ex.unparsedRequest;
    const requestChars = ex.rawRequestChars;
    const recorder = this.s.shared.recorder;
    if (request === undefined || requestChars < 0 || recorder.recordRawBytes === undefined) return false;
    const backendMicros = Math.round((performance.now() - ex.sentAt) * 1000);
    // The exchange is reused once this returns: what the answer needs later is taken now.
    const id = ex.originalId;
    let answerChars: number;
    if (recorder.recordRawAnswer !== undefined && requestChars === ex.unparsedEnd - ex.unparsedStart) {
      // Checked and journaled in one native call (native/raw_check.c), else its verdict says why not.
      const r = recorder.recordRawAnswer(this.heads.of(ex), ex.time, backendMicros, request, ex.unparsedStart, ex.unparsedEnd, src, start, end);
      if (r === RAW_VERDICT.recorded) {
        this.sendSpliced(src, start, idStart, idEnd, end, id);
        return true;
      }
      answerChars = r === RAW_VERDICT.notJournaled ? end - start : r === RAW_VERDICT.unchecked ? rawAnswerChars(recorder, src, start, end) : rawAnswerCharsOf(recorder, src, start, end, r);
    } else {
      // Read alike by every parser, and raw-safe (raw-audit.ts).
      answerChars = rawAnswerChars(recorder, src, start, end);
    }
    if (answerChars < 0) return false;
    let pending: void | Promise<void>;
    try {
      pending = recorder.recordRawBytes(this.heads.of(ex), ex.time, backendMicros, request, ex.unparsedStart, ex.unparsedEnd, requestChars, src, start, end, answerChars);
    } catch (err) {
      this.s.out.send(this.s.out.auditFailure(id, err));
      return true;
    }
    if (pending === undefined) this.sendSpliced(src, start, idStart, idEnd, end, id);
    else {
      pending.then(
        () => this.s.state !== 'closed' && this.sendSpliced(src, start, idStart, idEnd, end, id),
        (err: unknown) => this.s.out.send(this.s.out.auditFailure(id, err)),
      );
    }
    return true;
  }

  private sendSpliced(src: Buffer, start: number, idStart: number, idEnd: number, end: number, id: RequestId): void {
    const sent = this.s.transport.sendSpliced!(src, start, idStart, idEnd, end, id, ANSWER_SHAPE as JSONRPCMessage);
    if (sent !== SENT) sent.catch(ignore);
  }

  /** A parsed answer; `line`: its text as received, when the transport keeps it. */
  onResponse(b: BackendConnection, ex: Exchange, msg: RpcMessage, bytes: number | undefined, line: string | undefined): void {
    const s = this.s;
    const shared = s.shared;
    const backendMicros = shared.recorder.discardsRecords === true ? undefined : Math.round((performance.now() - ex.sentAt) * 1000);
    const proxyId = msg.id as RequestId;
    msg.id = ex.originalId;
    let redact: Decision['redact'];
    /**
     * The result gave resource URIs the session routes by (several backends): the client gets the
     * parsed result, the URIs as routed (some shown aliased), not the backend's text, which may say
     * them otherwise to another parser (a member written twice).
     */
    let givesUris = false;
    /**
     * The routes the answer adds (several backends: URIs it gives, a list page's), remembered only
     * once it reaches the client: not when the response phase denies it, nor when the audit refuses
     * its record (the client then gets -32004, never the answer).
     */
    let held: HeldRoutes | undefined;
    if (msg.result !== undefined && msg.result !== null && typeof msg.result === 'object') {
      let given: string[] | undefined;
      let listed: ListedPage | undefined;
      if (ex.listIndex >= 0) listed = s.catalog.rewriteList(b, ex, msg.result, this.hides, shared.logger);
      else {
        if (msg.result.task !== undefined) this.rememberTask(b, ex, msg.result);
        else if (ex.method === 'resources/subscribe' || ex.method === 'resources/unsubscribe') this.trackSubscription(b, ex);
        else if (ex.method === 'logging/setLevel') this.trackLevel(b, ex);
        // Several backends: resource links (and read contents) routed later to the backend that gave
        // them; whatever else the result has (a task member too), else an alias of another backend
        // among them would reach the client as the backend gave it.
        if (s.ns.multi) givesUris = s.catalog.rememberGivenUris(b.spec.index, ex.method, msg.result, ex.ctx.resource?.uri, (given = []));
      }
      if (s.ns.multi) held = s.catalog.hold(b.spec.index, given ?? [], listed);
      let second: Decision | undefined;
      if (shared.decider.wantsResponsePhase === true) {
        // A policy with a response phase came in while the request was on its way unparsed.
        if (ex.unparsedRequest !== undefined) s.completeContext(ex);
        second = s.decide({ ...ex.ctx, phase: 'response', result: msg.result });
        if (isEnforcedDeny(second)) {
          ex.decision = second;
          if (held !== undefined) s.catalog.settle(held, false);
          return s.out.finish(ex, denyAnswer(ex.originalId, ex.method, second, shared.deniedToolCall), 'denied', backendMicros, bytes);
        }
        if (!second.allowed) ex.decision = second;
      }
      redact = combinedRedactions(ex.decision, second);
      if (redact !== undefined) {
        msg.result = applyRedactions(msg.result, redact);
        if (held !== undefined) s.catalog.redacted(held, ex.method, msg.result!);
      }
    }
    const out = line !== undefined && !givesUris && this.passesThrough(ex, redact) ? withSplicedId(line, proxyId, ex.originalId) : undefined;
    const h = held;
    s.out.finish(ex, msg, outcomeOf(ex.method, msg), backendMicros, bytes, redact, undefined, out, h === undefined ? undefined : (reached) => s.catalog.settle(h, reached));
  }

  private readonly hides = (ctx: InterceptContext): boolean => isEnforcedDeny(this.s.decide(ctx));

  /**
   * Whether a backend's answer may go to the client as the text the backend wrote (with the id
   * spliced in): only when the proxy neither changed nor looked into it (no list rewritten, nothing
   * redacted, no response-phase policy, no audit record). Then the client parses exactly what a
   * direct connection would give it; whenever the policy or the audit judged the parsed answer, the
   * client gets that parsed answer serialized again, so that a backend's duplicate keys (read
   * differently by different JSON parsers) cannot show the client something other than what was judged.
   */
  private passesThrough(ex: Exchange, redact: Decision['redact']): boolean {
    const shared = this.s.shared;
    return ex.listIndex < 0 && redact === undefined && shared.recorder.discardsRecords === true && shared.decider.wantsResponsePhase !== true;
  }

  /**
   * A task the request created (its answer carries `task.taskId`): remembered with its backend and,
   * for a tools/call, the call's tool and arguments, with which its tasks/result is judged (task-origins.ts).
   */
  private rememberTask(b: BackendConnection, ex: Exchange, result: Record<string, unknown>): void {
    if (ex.method !== 'tools/call') return this.s.tasks.remember(result, b.spec.index);
    // A call forwarded as its bytes (nothing read it then): its context, tool and arguments, from them.
    if (ex.unparsedRequest !== undefined) this.s.completeContext(ex);
    this.s.tasks.remember(result, b.spec.index, ex.ctx.tool, ex.ctx.arguments, ex.requestBytes);
  }

  /** The level the backend accepted (an allowed request answered with a result): set again after a restart. */
  private trackLevel(b: BackendConnection, ex: Exchange): void {
    const level = (ex.ctx.params as Params | undefined)?.level;
    if (typeof level === 'string') b.logLevel = level;
  }

  private trackSubscription(b: BackendConnection, ex: Exchange): void {
    const uri = (ex.ctx.params as Params | undefined)?.uri;
    if (typeof uri !== 'string') return;
    const backendUri = this.s.catalog.resolveUri(uri)?.name ?? uri;
    if (ex.method === 'resources/subscribe') b.subscriptions.add(backendUri);
    else b.subscriptions.delete(backendUri);
  }
}
