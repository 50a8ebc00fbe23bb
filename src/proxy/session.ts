/**
 * One client session bridged to its backend sessions: the client-to-server direction and the
 * interception chain. Every client request is routed to a backend (by namespaced name, resource
 * URI, or list cursor), described in an InterceptContext with the client fixed for the session and
 * the tool's definition (fetched from the backend when the client never listed), decided, and then
 * either answered as denied or forwarded under the backend's own id space; its answer (answers.ts)
 * is rewritten for the client (lists), decided at the response phase when the decider asks for it,
 * redacted, recorded and only then sent (client-output.ts). The server-to-client direction lives in
 * server-relay.ts.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import type { ClientSessionInfo, JSONRPCMessage, Transport } from '../transport/types.js';
import type { AuditOutcome, ClientIdentity, Decision, InterceptContext, PolicyDecider, Recorder } from '../types.js';
import { BackendConnection, type BackendEvents, type BackendSpec, type ClientTransport } from './backend.js';
import { progressTokenInFlight } from './backend-requests.js';
import { Catalog, type RouteLimits } from './catalog.js';
import { initializeAnswer, offers } from './initialize.js';
import { AnswerRelay } from './answers.js';
import { ClientOutput } from './client-output.js';
import { denyAnswer, isEnforcedDeny, outcomeOf, type Exchange } from './intercept.js';
import { errorResponse, resultResponse, RPC, type RequestId, type RpcMessage } from './jsonrpc.js';
import type { Namespace } from './namespace.js';
import { droppedOnResume, HeldRequests, type Hold } from './held-requests.js';
import { JudgedCalls } from './judged-calls.js';
import { caseVariantProblem } from './member-case.js';
import { closeWhenSettled, holdAll, ReadGate } from './flow.js';
import { RequestRouter } from './router.js';
import { ServerRelay } from './server-relay.js';
import { TaskOrigins } from './task-origins.js';

export interface ProxyShared {
  namespace: Namespace;
  specs: ReadonlyArray<BackendSpec>;
  decider: PolicyDecider;
  recorder: Recorder;
  deniedToolCall: 'result' | 'error';
  logger: Logger;
  version: string;
  onBackendExit?: (session: ClientSession, backend: BackendConnection, exit: import('../transport/child-process.js').ChildExit | undefined) => void;
  onSessionClosed?: (session: ClientSession) => void;
  /** The proxy has begun shutting down (WardenProxy.beginShutdown). */
  shuttingDown?: () => boolean;
  /** How many resource routes a session remembers per backend (several backends); default DEFAULT_ROUTE_LIMITS. */
  routeLimits?: Readonly<RouteLimits>;
}

type Params = Record<string, unknown>;
type State = 'new' | 'initializing' | 'ready' | 'failed' | 'closed';

export class ClientSession implements BackendEvents {
  readonly backends: BackendConnection[];
  readonly catalog: Catalog;
  /** Replaced, never changed in place: input documents and policy caches key on this object. */
  sessionCtx: InterceptContext['session'];
  state: State = 'new';
  readonly backendRefs: Array<{ name: string; transport: BackendSpec['transport'] }>;
  readonly relay: ServerRelay;
  readonly ns: Namespace;
  private readonly router: RequestRouter;
  private readonly answers: AnswerRelay;
  /** Answers recorded then sent, and everything else sent to the client (client-output.ts). */
  readonly out: ClientOutput;
  /** tools/call lines judged on their bytes, with the decisions kept for reuse */
  readonly judged: JudgedCalls;
  private readonly readGate = new ReadGate(); // reading from the client, paused while a backend is not reading (flow.ts)
  private queued: Array<{ msg: RpcMessage; method: string; bytes: number | undefined; text: string | undefined; client: ClientIdentity; hold: Hold }> = [];
  /** The tasks this session's requests created: their backend, and the tool call that created each (task-origins.ts). */
  readonly tasks = new TaskOrigins();
  /** Requests waiting before they are forwarded (queued here, or for a tool definition: router.ts), dropped if given up meanwhile. */
  readonly held = new HeldRequests();
  /** The client request being delivered, and its text when it is not the transport's lastMessageText (a queued one). */
  private delivering: RpcMessage | undefined;
  private deliveringText: string | undefined;
  private closing: Promise<void> | undefined;
  /** When the session was opened (ms since the epoch): the admin API's list of sessions. */
  readonly openedAt = Date.now();
  /**
   * Who sent the request being handled: the session's opener, or over HTTP the identity that
   * request's credential proved (ClientTransport.client). Replaced, never changed in place.
   */
  client: ClientIdentity;

  constructor(
    readonly transport: ClientTransport,
    readonly info: ClientSessionInfo,
    readonly shared: ProxyShared,
  ) {
    this.ns = shared.namespace;
    this.backends = shared.specs.map(
      (spec) => new BackendConnection(spec, this, (name) => this.ns.exposed(spec.index, name), shared.logger),
    );
    this.backendRefs = shared.specs.map((s) => ({ name: s.name, transport: s.transport }));
    this.catalog = new Catalog(this.ns, this.backends, shared.routeLimits);
    this.sessionCtx = { id: info.sessionId, transport: info.transport };
    this.client = info.client;
    this.relay = new ServerRelay(this);
    this.router = new RequestRouter(this);
    this.answers = new AnswerRelay(this);
    this.out = new ClientOutput(this);
    this.judged = new JudgedCalls(this);
    transport.onmessage = this.onClientMessage as Transport['onmessage'];
    if ('takeLine' in transport) transport.takeLine = this.takeClientLine;
    transport.onclose = () => void this.close();
    transport.oninputend = () => closeWhenSettled(this, this.relay);
    transport.onabandon = this.onAbandon;
    transport.onbacklog = (backedUp) => holdAll(this.backends, backedUp);
    this.readGate.attach(transport);
    transport.onerror = (err) => shared.logger.debug({ session: info.sessionId, err: err.message }, 'client transport error');
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  // ---- client -> proxy -------------------------------------------------------------------------

  private readonly onClientMessage = (raw: JSONRPCMessage): void => {
    const msg = raw as unknown as RpcMessage;
    const method = msg.method;
    const client = this.transport.client;
    if (client !== undefined) this.client = client;
    try {
      const variant = caseVariantProblem(msg as unknown as Record<string, unknown>);
      if (variant !== undefined) return this.refuseVariant(msg, method, variant);
      if (method === undefined) this.relay.clientAnswer(msg);
      else if (msg.id === undefined || msg.id === null) this.relay.clientNotification(msg, method);
      else {
        this.delivering = msg;
        this.onClientRequest(msg, method, this.transport.lastMessageBytes);
        this.delivering = undefined;
      }
    } catch (err) {
      this.delivering = undefined;
      this.failed(msg, method, err);
    }
  };

  /**
   * A bug or an unexpected shape met while handling a client message costs that message, never the
   * process nor the session: said in the log, and a request answered with an internal error. Also
   * for a request handled later (queued behind initialize, resumed once tool definitions came).
   */
  failed(msg: RpcMessage, method: string | undefined, err: unknown): void {
    this.shared.logger.error({ err: (err as Error).message, method }, 'proxy error on a client message');
    if (method !== undefined && msg.id !== undefined && msg.id !== null) {
      this.out.send(errorResponse(msg.id, RPC.INTERNAL_ERROR, 'Internal error in mcp-warden'));
    }
  }

  /**
   * A message with a member name differing only in case from one mcp-warden reads (member-case.ts),
   * or a tools/call with an argument spelled like one of the tool's own but for case (argument-case.ts):
   * a request is answered Invalid Request and audited denied with the reason (no tool nor
   * arguments: they read differently to a Go backend), anything else dropped; never forwarded.
   */
  refuseVariant(msg: RpcMessage, method: string | undefined, reason: string, bytes = this.transport.lastMessageBytes): void {
    this.shared.logger.warn({ session: this.sessionCtx.id, method: typeof method === 'string' ? method : undefined }, reason);
    if (method === undefined || msg.id === undefined || msg.id === null) return;
    const refused: Decision = { allowed: false, reasons: [reason], mode: 'enforce', policyVersion: 'unknown', micros: 0 };
    const ex = this.exchange(msg, this.context(String(method), undefined, undefined), refused, bytes, -1, false);
    this.out.finish(ex, errorResponse(msg.id, RPC.INVALID_REQUEST, reason), 'denied');
  }

  /**
   * A client line before it is parsed: a tools/call nothing judges may go to its backend unparsed;
   * one the policy judges may be decided (or its decision reused) and forwarded as bytes (judged-calls.ts).
   */
  private readonly takeClientLine = (buf: Buffer, start: number, end: number): boolean =>
    this.state === 'ready' && (this.router.unparsedToolCall(buf, start, end) || this.judged.take(buf, start, end));

  private onClientRequest(msg: RpcMessage, method: string, bytes: number | undefined): void {
    const id = msg.id as RequestId;
    if (method === 'ping') return this.out.send(resultResponse(id, {}));
    if (method === 'initialize') {
      this.initialize(msg, bytes).catch((err: Error) => {
        this.shared.logger.error({ err: err.message }, 'initialize failed');
        this.state = 'failed';
        this.out.send(errorResponse(id, RPC.INTERNAL_ERROR, `Internal error in mcp-warden: ${err.message}`));
      });
      return;
    }
    if (this.state === 'initializing') {
      // A client that pipelines behind its initialize: answered once the backends are up.
      this.queued.push({ msg, method, bytes, text: msg === this.delivering ? this.transport.lastMessageText : undefined, client: this.client, hold: this.held.hold(id) });
      return;
    }
    if (this.state !== 'ready') {
      return this.out.send(errorResponse(id, RPC.INVALID_REQUEST, `Invalid Request: ${this.state === 'failed' ? 'the session failed to initialize' : 'the session is not initialized (send initialize first)'}`));
    }
    const params = msg.params;
    switch (method) {
      case 'tools/call':
        return this.router.toolCall(msg, params ?? {}, bytes);
      case 'tools/list':
      case 'prompts/list':
      case 'resources/list':
      case 'resources/templates/list':
        return this.router.list(msg, method, params, bytes);
      case 'prompts/get':
        return this.router.promptGet(msg, params ?? {}, bytes);
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.router.byUri(msg, method, params ?? {}, bytes);
      case 'completion/complete':
        return this.router.completion(msg, params ?? {}, bytes);
      case 'logging/setLevel':
        return this.router.setLevel(msg, params ?? {}, bytes);
      default:
        return this.router.other(msg, method, params, bytes);
    }
  }

  context(method: string, params: Params | undefined, b: BackendConnection | undefined): InterceptContext {
    return {
      phase: 'request',
      method,
      client: this.client,
      session: this.sessionCtx,
      backend: b === undefined ? undefined : this.backendRefs[b.spec.index],
      params,
      // All the optional members, so that every context has one shape (set by the router as it learns them).
      tool: undefined,
      arguments: undefined,
      resource: undefined,
      prompt: undefined,
    };
  }

  // ---- the chain ---------------------------------------------------------------------------------

  decide(ctx: InterceptContext): Decision {
    // A policy that allows every request whatever its input: nothing to evaluate (never for a response phase).
    const allow = this.shared.decider.unconditionalAllow;
    if (allow !== undefined && ctx.phase !== 'response') return allow;
    try {
      return this.shared.decider.decide(ctx);
    } catch (err) {
      const error = (err as Error).message;
      return { allowed: false, reasons: [`policy error: ${error}`], mode: 'enforce', error, policyVersion: 'unknown', micros: 0 };
    }
  }

  exchange(msg: RpcMessage, ctx: InterceptContext, decision: Decision, bytes: number | undefined, listIndex: number, firstPage: boolean): Exchange {
    const meta = msg.params?._meta as Params | undefined;
    const token = meta?.progressToken;
    return this.exchangeOf(msg.id as RequestId, ctx, decision, bytes, listIndex, firstPage, typeof token === 'string' || typeof token === 'number' ? token : undefined);
  }

  exchangeOf(originalId: RequestId, ctx: InterceptContext, decision: Decision, bytes?: number, listIndex = -1, firstPage = false, progressToken?: string | number): Exchange {
    return {
      originalId,
      method: ctx.method,
      ctx,
      decision,
      time: this.shared.recorder.discardsRecords === true ? 0 : Date.now(),
      sentAt: 0,
      requestBytes: bytes,
      listIndex,
      listFirstPage: firstPage,
      progressToken,
      answerAsText: false,
      unparsedRequest: undefined,
      unparsedStart: 0,
      unparsedEnd: 0,
      rawRequestChars: -1,
    };
  }

  /** Whether nothing done with this exchange's answer needs its content (Exchange.answerAsText). */
  answerAsText(ex: Exchange): boolean {
    return this.answers.answerAsText(ex);
  }

  /** Fills in the context of a request forwarded unparsed (Exchange.unparsedRequest). */
  completeContext(ex: Exchange): void {
    this.router.completeContext(ex);
  }

  decideAndForward(msg: RpcMessage, ctx: InterceptContext, b: BackendConnection, bytes: number | undefined, listIndex: number, firstPage: boolean): void {
    const ex = this.exchange(msg, ctx, this.decide(ctx), bytes, listIndex, firstPage);
    if (isEnforcedDeny(ex.decision)) {
      return this.out.finish(ex, denyAnswer(ex.originalId, ex.method, ex.decision, this.shared.deniedToolCall), 'denied');
    }
    if (ex.progressToken !== undefined && progressTokenInFlight(this.backends, ex.progressToken)) {
      const token = JSON.stringify(ex.progressToken);
      return this.out.finish(ex, errorResponse(ex.originalId, RPC.INVALID_REQUEST, `Invalid Request: progress token ${token} is already used by a request in flight in this session (progress tokens must be unique among active requests)`), 'rpc_error');
    }
    ex.answerAsText = this.answerAsText(ex);
    let forwarded: boolean;
    try {
      forwarded = b.forward(msg, ex, this.unjudgedText(msg, ctx));
    } catch (err) {
      // It could not be written for the backend (nested deeper than JSON.stringify goes): answered and recorded as not forwarded.
      return this.out.finish(ex, errorResponse(ex.originalId, RPC.INVALID_REQUEST, `Invalid Request: the request cannot be forwarded: ${(err as Error).message}`), 'rpc_error');
    }
    if (!forwarded) this.out.finish(ex, errorResponse(ex.originalId, RPC.BACKEND_UNAVAILABLE, b.unavailableReason), 'backend_unavailable');
  }

  /**
   * The client's own text of a request nothing judged, to be forwarded as it came (with only the id
   * changed): the policy allows every request whatever its input, the audit records nothing, the
   * routing changed nothing in it (same params object) and it is the message being delivered (not
   * one resumed later). Else undefined: the backend gets the parsed message serialized again, the
   * form the policy judged (a line with duplicate keys may be read differently by another parser).
   */
  private unjudgedText(msg: RpcMessage, ctx: InterceptContext): string | undefined {
    if (msg !== this.delivering || msg.params !== ctx.params) return undefined;
    if (this.shared.decider.unconditionalAllow === undefined || this.shared.recorder.discardsRecords !== true) return undefined;
    return this.deliveringText ?? this.transport.lastMessageText;
  }

  /**
   * The client's transport gave up request `id` (its HTTP connection closed, or its answer stalled):
   * cancelled at the backend as if the client had sent notifications/cancelled, recorded cancelled.
   */
  private readonly onAbandon = (id: RequestId, reason: string): void => {
    if (this.state === 'closed') return;
    if (this.relay.cancelClientRequest(id, { requestId: id, reason }, reason) || this.held.abandon(id, reason)) {
      this.shared.logger.debug({ session: this.info.sessionId, requestId: id, reason }, 'request abandoned by its client: cancelled at the backend');
    }
  };

  // ---- backend events ----------------------------------------------------------------------------

  onResponse(b: BackendConnection, ex: Exchange, msg: RpcMessage, bytes: number | undefined, line: string | undefined): void {
    this.answers.onResponse(b, ex, msg, bytes, line);
  }

  onAnswerBytes(_b: BackendConnection, ex: Exchange, src: Buffer, start: number, idStart: number, idEnd: number, end: number): boolean {
    return this.state !== 'closed' && this.answers.onAnswerBytes(ex, src, start, idStart, idEnd, end);
  }

  onFailed(_b: BackendConnection, ex: Exchange, code: number, message: string, outcome: AuditOutcome): void {
    this.out.finish(ex, errorResponse(ex.originalId, code, message), outcome);
  }

  onServerRequest(b: BackendConnection, message: RpcMessage): void {
    this.relay.serverRequest(b, message);
  }

  onNotification(b: BackendConnection, message: RpcMessage): void {
    this.relay.serverNotification(b, message);
  }

  onBacklog(_b: BackendConnection, backedUp: boolean): void {
    this.readGate.hold(backedUp);
  }

  onGone(b: BackendConnection, why: string): void {
    this.relay.backendGone(b, why);
  }

  onRecovered(b: BackendConnection): void {
    if (this.state !== 'ready') return;
    for (const kind of ['tools', 'prompts', 'resources']) {
      if (offers(b.initResult, kind)) this.out.send({ jsonrpc: '2.0', method: `notifications/${kind}/list_changed` });
    }
  }

  shuttingDown(): boolean {
    return this.state === 'closed' || this.shared.shuttingDown?.() === true;
  }

  onExit(b: BackendConnection, exit: import('../transport/child-process.js').ChildExit | undefined): void {
    this.shared.onBackendExit?.(this, b, exit);
  }

  // ---- life cycle --------------------------------------------------------------------------------

  private async initialize(msg: RpcMessage, bytes: number | undefined): Promise<void> {
    const id = msg.id as RequestId;
    if (this.state !== 'new') return this.out.send(errorResponse(id, RPC.INVALID_REQUEST, 'Invalid Request: initialize was already received in this session'));
    this.state = 'initializing';
    const ctx = this.context('initialize', msg.params, undefined);
    const ex = this.exchange(msg, ctx, this.decide(ctx), bytes, -1, false);
    if (isEnforcedDeny(ex.decision)) {
      this.state = 'new';
      return this.out.finish(ex, denyAnswer(id, 'initialize', ex.decision, this.shared.deniedToolCall), 'denied');
    }
    const started = performance.now();
    const answers = await Promise.all(this.backends.map((b) => b.open(msg.params)));
    if (this.state !== 'initializing') return;
    const answer = initializeAnswer(id, answers, this.backends, this.shared.version);
    const version = answer.result?.protocolVersion;
    if (typeof version === 'string') {
      this.sessionCtx = { ...this.sessionCtx, protocolVersion: version };
      this.transport.setProtocolVersion?.(version);
    }
    this.state = answer.result ? 'ready' : 'failed';
    this.out.finish(ex, answer, outcomeOf('initialize', answer), Math.round((performance.now() - started) * 1000));
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) {
      if (droppedOnResume(this, q.msg, q.method, q.hold)) continue;
      this.delivering = q.text === undefined ? undefined : q.msg;
      this.deliveringText = q.text;
      this.client = q.client;
      try {
        this.onClientRequest(q.msg, q.method, q.bytes);
      } catch (err) {
        this.failed(q.msg, q.method, err);
      } finally {
        this.delivering = undefined;
        this.deliveringText = undefined;
      }
    }
  }

  /**
   * Ends the session: backends closed (children ended), transport closed. Every call returns the
   * same promise, settled once all of that is done: the proxy's close() (shutdown) waits for the
   * backends of a session its transport has already begun to close (an HTTP frontend closing its
   * sessions first), instead of exiting while their children are still stopping.
   */
  close(why?: string): Promise<void> {
    this.closing ??= this.closeNow(why);
    return this.closing;
  }

  /** `why`: what the requests cut short are recorded and cancelled with (an admin ending the session); otherwise the client closed it, or shutdown. */
  private async closeNow(why: string | undefined): Promise<void> {
    this.state = 'closed';
    const reason = why ?? (this.shared.shuttingDown?.() === true ? 'mcp-warden is shutting down' : 'the client session closed');
    // The backends' requests to the client will never be answered: each recorded cancelled, its backend told.
    this.relay.cancelAllServerRequests(reason);
    // Requests still in flight will never be answered to anyone: each backend is told before it is
    // closed (an upstream HTTP session may outlive its DELETE's effect on running work), and the
    // audit says cancelled rather than backend_unavailable.
    this.relay.cancelAllClientRequests(reason);
    await Promise.allSettled(this.backends.map((b) => b.close()));
    await this.transport.close().catch(() => undefined);
    this.shared.onSessionClosed?.(this);
  }
}
