/**
 * One client session bridged to its backend sessions: the client-to-server direction and the
 * interception chain. Every client request is routed to a backend (by namespaced name, resource
 * URI, or list cursor), described in an InterceptContext with the client fixed for the session and
 * the tool's definition (fetched from the backend when the client never listed), decided, and then
 * either answered as denied or forwarded under the backend's own id space; its answer is rewritten
 * for the client (lists), decided at the response phase when the decider asks for it, redacted,
 * recorded and only then sent. The server-to-client direction lives in server-relay.ts.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import type { ClientSessionInfo, JSONRPCMessage, Transport } from '../transport/types.js';
import type { AuditOutcome, Decision, InterceptContext, PolicyDecider, Recorder } from '../types.js';
import { BackendConnection, type BackendEvents, type BackendSpec } from './backend.js';
import { Catalog, LIST_METHODS } from './catalog.js';
import { describeInitFailures, mergeInitializeResults, offers } from './initialize.js';
import { buildRecord, combinedRedactions, denyAnswer, isEnforcedDeny, outcomeOf, type Exchange } from './intercept.js';
import { errorResponse, resultResponse, RPC, type RequestId, type RpcMessage } from './jsonrpc.js';
import { decodeCursor, type Namespace } from './namespace.js';
import { applyRedactions } from './redact.js';
import { ServerRelay } from './server-relay.js';

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
}

type Params = Record<string, unknown>;
type State = 'new' | 'initializing' | 'ready' | 'failed' | 'closed';

export class ClientSession implements BackendEvents {
  readonly backends: BackendConnection[];
  readonly catalog: Catalog;
  readonly sessionCtx: InterceptContext['session'];
  state: State = 'new';
  private readonly backendRefs: Array<{ name: string; transport: BackendSpec['transport'] }>;
  private readonly relay: ServerRelay;
  private readonly ns: Namespace;
  private queued: Array<{ msg: RpcMessage; method: string; bytes: number | undefined }> = [];

  constructor(
    readonly transport: Transport & { readonly lastMessageBytes?: number },
    readonly info: ClientSessionInfo,
    readonly shared: ProxyShared,
  ) {
    this.ns = shared.namespace;
    this.backends = shared.specs.map(
      (spec) => new BackendConnection(spec, this, (name) => this.ns.exposed(spec.index, name), shared.logger),
    );
    this.backendRefs = shared.specs.map((s) => ({ name: s.name, transport: s.transport }));
    this.catalog = new Catalog(this.ns, this.backends);
    this.sessionCtx = { id: info.sessionId, transport: info.transport };
    this.relay = new ServerRelay(this);
    transport.onmessage = this.onClientMessage as Transport['onmessage'];
    transport.onclose = () => void this.close();
    transport.onerror = (err) => shared.logger.debug({ session: info.sessionId, err: err.message }, 'client transport error');
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  // ---- client -> proxy -------------------------------------------------------------------------

  private readonly onClientMessage = (raw: JSONRPCMessage): void => {
    const msg = raw as unknown as RpcMessage;
    const method = msg.method;
    if (method === undefined) this.relay.clientAnswer(msg);
    else if (msg.id === undefined || msg.id === null) this.relay.clientNotification(msg, method);
    else this.onClientRequest(msg, method, this.transport.lastMessageBytes);
  };

  private onClientRequest(msg: RpcMessage, method: string, bytes: number | undefined): void {
    const id = msg.id as RequestId;
    if (method === 'ping') return this.send(resultResponse(id, {}));
    if (method === 'initialize') return void this.initialize(msg, bytes);
    if (this.state === 'initializing') {
      // A client that pipelines behind its initialize: answered once the backends are up.
      this.queued.push({ msg, method, bytes });
      return;
    }
    if (this.state !== 'ready') {
      return this.send(errorResponse(id, RPC.INVALID_REQUEST, `Invalid Request: ${this.state === 'failed' ? 'the session failed to initialize' : 'the session is not initialized (send initialize first)'}`));
    }
    const params = msg.params;
    switch (method) {
      case 'tools/call':
        return this.toolCall(msg, params ?? {}, bytes);
      case 'tools/list':
      case 'prompts/list':
      case 'resources/list':
      case 'resources/templates/list':
        return this.list(msg, method, params, bytes);
      case 'prompts/get':
        return this.promptGet(msg, params ?? {}, bytes);
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.byUri(msg, method, params ?? {}, bytes);
      case 'completion/complete':
        return this.completion(msg, params ?? {}, bytes);
      case 'logging/setLevel':
        return this.setLevel(msg, params ?? {}, bytes);
      default:
        return this.other(msg, method, params, bytes);
    }
  }

  private context(method: string, params: Params | undefined, b: BackendConnection | undefined): InterceptContext {
    return {
      phase: 'request',
      method,
      client: this.info.client,
      session: this.sessionCtx,
      backend: b === undefined ? undefined : this.backendRefs[b.spec.index],
      params,
    };
  }

  private toolCall(msg: RpcMessage, params: Params, bytes: number | undefined): void {
    const name = params.name;
    let b = this.backends[0]!;
    let backendName = name as string;
    if (this.ns.multi || this.ns.renames) {
      const r = typeof name === 'string' ? this.ns.resolve(name, (i, n) => this.backends[i]!.tools.has(n)) : undefined;
      if (r === undefined) return this.unroutable(msg, 'tools/call', params, bytes, RPC.INVALID_PARAMS, `Unknown tool: ${String(name)}`);
      b = this.backends[r.index]!;
      if (r.name !== name) msg.params = { ...params, name: r.name };
      backendName = r.name;
    }
    if (!b.toolsComplete && b.ready && !b.tools.has(backendName)) {
      // Call-time policy needs the tool's definition even when the client never listed.
      b.fetchTools().then(() => this.toolCallOn(msg, params, b, backendName, bytes), () => this.toolCallOn(msg, params, b, backendName, bytes));
      return;
    }
    this.toolCallOn(msg, params, b, backendName, bytes);
  }

  private toolCallOn(msg: RpcMessage, params: Params, b: BackendConnection, backendName: string, bytes: number | undefined): void {
    const ctx = this.context('tools/call', params, b);
    ctx.tool = b.tools.get(backendName) ?? { name: String(params.name), backendName };
    ctx.arguments = params.arguments;
    this.decideAndForward(msg, ctx, b, bytes, -1, false);
  }

  private list(msg: RpcMessage, method: string, params: Params | undefined, bytes: number | undefined): void {
    const ctx = this.context(method, params, undefined);
    if (!this.ns.multi) {
      ctx.backend = this.backendRefs[0];
      return this.decideAndForward(msg, ctx, this.backends[0]!, bytes, 0, params?.cursor === undefined);
    }
    let index: number;
    let cursor: string | undefined;
    if (typeof params?.cursor === 'string') {
      const decoded = decodeCursor(params.cursor);
      if (decoded === undefined || decoded.index < 0 || decoded.index >= this.backends.length) {
        return this.unroutable(msg, method, params, bytes, RPC.INVALID_PARAMS, `Invalid params: unknown cursor`);
      }
      index = decoded.index;
      cursor = decoded.cursor;
      if (!this.backends[index]!.ready) {
        index = this.catalog.nextListBackend(method, index + 1);
        cursor = undefined;
      }
    } else {
      index = this.catalog.nextListBackend(method, 0);
    }
    if (index < 0) {
      // Nothing (left) to list: an empty last page.
      const ex = this.exchange(msg, ctx, this.decide(ctx), bytes, -1, false);
      return this.finish(ex, resultResponse(ex.originalId, { [LIST_METHODS[method]!.key]: [] }), 'ok');
    }
    const b = this.backends[index]!;
    ctx.backend = this.backendRefs[index];
    const forwarded: Params = { ...params };
    if (cursor === undefined) delete forwarded.cursor;
    else forwarded.cursor = cursor;
    msg.params = forwarded;
    this.decideAndForward(msg, ctx, b, bytes, index, cursor === undefined);
  }

  private promptGet(msg: RpcMessage, params: Params, bytes: number | undefined): void {
    const name = params.name;
    const r = typeof name === 'string' ? this.ns.resolve(name) : undefined;
    if (r === undefined) return this.unroutable(msg, 'prompts/get', params, bytes, RPC.INVALID_PARAMS, `Unknown prompt: ${String(name)}`);
    if (r.name !== name) msg.params = { ...params, name: r.name };
    const b = this.backends[r.index]!;
    const ctx = this.context('prompts/get', params, b);
    ctx.prompt = { name: name as string };
    ctx.arguments = params.arguments;
    this.decideAndForward(msg, ctx, b, bytes, -1, false);
  }

  private byUri(msg: RpcMessage, method: string, params: Params, bytes: number | undefined): void {
    const uri = params.uri;
    const r = typeof uri === 'string' ? this.catalog.resolveUri(uri) : this.ns.multi ? undefined : { index: 0, name: '' };
    if (r === undefined) return this.unroutable(msg, method, params, bytes, RPC.RESOURCE_NOT_FOUND, `Resource not found: ${String(uri)}`);
    if (typeof uri === 'string' && r.name !== uri) msg.params = { ...params, uri: r.name };
    const b = this.backends[r.index]!;
    const ctx = this.context(method, params, b);
    if (typeof uri === 'string') ctx.resource = { uri };
    this.decideAndForward(msg, ctx, b, bytes, -1, false);
  }

  private completion(msg: RpcMessage, params: Params, bytes: number | undefined): void {
    const ref = params.ref as Params | undefined;
    let index = 0;
    const ctx = this.context('completion/complete', params, undefined);
    if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
      const r = this.ns.resolve(ref.name);
      if (r === undefined) return this.unroutable(msg, 'completion/complete', params, bytes, RPC.INVALID_PARAMS, `Unknown prompt: ${ref.name}`);
      index = r.index;
      if (r.name !== ref.name) msg.params = { ...params, ref: { ...ref, name: r.name } };
      ctx.prompt = { name: ref.name };
    } else if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
      const r = this.catalog.resolveUri(ref.uri);
      if (r === undefined) return this.unroutable(msg, 'completion/complete', params, bytes, RPC.RESOURCE_NOT_FOUND, `Resource not found: ${ref.uri}`);
      index = r.index;
      if (r.name !== ref.uri) msg.params = { ...params, ref: { ...ref, uri: r.name } };
      ctx.resource = { uri: ref.uri };
    }
    ctx.backend = this.backendRefs[index];
    ctx.arguments = params.argument;
    this.decideAndForward(msg, ctx, this.backends[index]!, bytes, -1, false);
  }

  private setLevel(msg: RpcMessage, params: Params, bytes: number | undefined): void {
    const level = typeof params.level === 'string' ? params.level : undefined;
    if (!this.ns.multi) {
      const b = this.backends[0]!;
      b.logLevel = level;
      return this.decideAndForward(msg, this.context('logging/setLevel', params, b), b, bytes, -1, false);
    }
    const ctx = this.context('logging/setLevel', params, undefined);
    const ex = this.exchange(msg, ctx, this.decide(ctx), bytes, -1, false);
    if (isEnforcedDeny(ex.decision)) return this.finish(ex, denyAnswer(ex.originalId, ex.method, ex.decision, this.shared.deniedToolCall), 'denied');
    const targets = this.backends.filter((b) => b.ready && offers(b.initResult, 'logging'));
    for (const b of targets) b.logLevel = level;
    void Promise.all(targets.map((b) => b.call('logging/setLevel', params))).then((answers) => {
      const failed = answers.length > 0 && answers.every((a) => a.error !== undefined) ? answers[0]!.error! : undefined;
      const answer = failed ? errorResponse(ex.originalId, failed.code, failed.message, failed.data) : resultResponse(ex.originalId, {});
      this.finish(ex, answer, failed ? 'rpc_error' : 'ok');
    });
  }

  /** A method the proxy does not know: one backend gets it unchanged (by name prefix when it has one, else the first up). */
  private other(msg: RpcMessage, method: string, params: Params | undefined, bytes: number | undefined): void {
    let index = 0;
    if (this.ns.multi) {
      const r = typeof params?.name === 'string' ? this.ns.resolve(params.name) : undefined;
      index = r?.index ?? Math.max(0, this.backends.findIndex((b) => b.ready));
    }
    const b = this.backends[index]!;
    this.decideAndForward(msg, this.context(method, params, b), b, bytes, -1, false);
  }

  /** A request no backend can take: still decided and recorded, then answered with `code`. */
  private unroutable(msg: RpcMessage, method: string, params: Params, bytes: number | undefined, code: number, text: string): void {
    const ctx = this.context(method, params, undefined);
    if (method === 'tools/call' && typeof params.name === 'string') {
      ctx.tool = { name: params.name, backendName: params.name };
      ctx.arguments = params.arguments;
    }
    const ex = this.exchange(msg, ctx, this.decide(ctx), bytes, -1, false);
    if (isEnforcedDeny(ex.decision)) return this.finish(ex, denyAnswer(ex.originalId, method, ex.decision, this.shared.deniedToolCall), 'denied');
    this.finish(ex, errorResponse(ex.originalId, code, text), 'rpc_error');
  }

  // ---- the chain ---------------------------------------------------------------------------------

  decide(ctx: InterceptContext): Decision {
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
    return {
      originalId: msg.id as RequestId,
      method: ctx.method,
      ctx,
      decision,
      time: Date.now(),
      sentAt: 0,
      requestBytes: bytes,
      listIndex,
      listFirstPage: firstPage,
      progressToken: typeof token === 'string' || typeof token === 'number' ? token : undefined,
    };
  }

  private decideAndForward(msg: RpcMessage, ctx: InterceptContext, b: BackendConnection, bytes: number | undefined, listIndex: number, firstPage: boolean): void {
    const ex = this.exchange(msg, ctx, this.decide(ctx), bytes, listIndex, firstPage);
    if (isEnforcedDeny(ex.decision)) {
      return this.finish(ex, denyAnswer(ex.originalId, ex.method, ex.decision, this.shared.deniedToolCall), 'denied');
    }
    if (!b.forward(msg, ex)) this.finish(ex, errorResponse(ex.originalId, RPC.BACKEND_UNAVAILABLE, b.unavailableReason), 'backend_unavailable');
  }

  /** Records the exchange (awaiting back-pressure), then sends the answer. A recorder failure fails closed. */
  finish(ex: Exchange, answer: RpcMessage, outcome: AuditOutcome, backendMicros?: number, responseBytes?: number, redact?: Decision['redact'], to?: (m: RpcMessage) => void): void {
    const deliver = to ?? this.sendAnswer;
    let pending: void | Promise<void>;
    try {
      pending = this.shared.recorder.record(buildRecord(ex, outcome, answer, backendMicros, responseBytes, redact));
    } catch (err) {
      return deliver(this.auditFailure(ex, err));
    }
    if (pending === undefined) deliver(answer);
    else pending.then(() => deliver(answer), (err: unknown) => deliver(this.auditFailure(ex, err)));
  }

  private auditFailure(ex: Exchange, err: unknown): RpcMessage {
    this.shared.logger.error({ err: (err as Error)?.message }, 'audit record refused; failing closed');
    return errorResponse(ex.originalId, RPC.AUDIT_UNAVAILABLE, 'audit log unavailable: request not completed');
  }

  private readonly sendAnswer = (message: RpcMessage): void => this.send(message);

  send(message: RpcMessage, relatedRequestId?: RequestId): void {
    if (this.state === 'closed') return;
    const sent = relatedRequestId === undefined ? this.transport.send(message as JSONRPCMessage) : this.transport.send(message as JSONRPCMessage, { relatedRequestId });
    sent.catch(this.onSendError);
  }

  private readonly onSendError = (err: Error): void => {
    this.shared.logger.debug({ session: this.info.sessionId, err: err.message }, 'could not send to client');
  };

  // ---- backend events ----------------------------------------------------------------------------

  onResponse(b: BackendConnection, ex: Exchange, msg: RpcMessage, bytes: number | undefined): void {
    const backendMicros = Math.round((performance.now() - ex.sentAt) * 1000);
    msg.id = ex.originalId;
    let redact: Decision['redact'];
    if (msg.result !== undefined) {
      if (ex.listIndex >= 0) this.catalog.rewriteList(b, ex, msg.result, this.hides);
      else if (ex.method === 'resources/subscribe' || ex.method === 'resources/unsubscribe') this.trackSubscription(b, ex);
      let second: Decision | undefined;
      if (this.shared.decider.wantsResponsePhase === true) {
        second = this.decide({ ...ex.ctx, phase: 'response', result: msg.result });
        if (isEnforcedDeny(second)) {
          ex.decision = second;
          return this.finish(ex, denyAnswer(ex.originalId, ex.method, second, this.shared.deniedToolCall), 'denied', backendMicros, bytes);
        }
        if (!second.allowed) ex.decision = second;
      }
      redact = combinedRedactions(ex.decision, second);
      if (redact !== undefined) msg.result = applyRedactions(msg.result, redact);
    }
    this.finish(ex, msg, outcomeOf(ex.method, msg), backendMicros, bytes, redact);
  }

  private readonly hides = (ctx: InterceptContext): boolean => isEnforcedDeny(this.decide(ctx));

  private trackSubscription(b: BackendConnection, ex: Exchange): void {
    const uri = (ex.ctx.params as Params | undefined)?.uri;
    if (typeof uri !== 'string') return;
    const backendUri = this.catalog.resolveUri(uri)?.name ?? uri;
    if (ex.method === 'resources/subscribe') b.subscriptions.add(backendUri);
    else b.subscriptions.delete(backendUri);
  }

  onFailed(_b: BackendConnection, ex: Exchange, code: number, message: string, outcome: AuditOutcome): void {
    this.finish(ex, errorResponse(ex.originalId, code, message), outcome);
  }

  onServerRequest(b: BackendConnection, message: RpcMessage): void {
    this.relay.serverRequest(b, message);
  }

  onNotification(b: BackendConnection, message: RpcMessage): void {
    this.relay.serverNotification(b, message);
  }

  onRecovered(b: BackendConnection): void {
    if (this.state !== 'ready') return;
    for (const kind of ['tools', 'prompts', 'resources']) {
      if (offers(b.initResult, kind)) this.send({ jsonrpc: '2.0', method: `notifications/${kind}/list_changed` });
    }
  }

  onExit(b: BackendConnection, exit: import('../transport/child-process.js').ChildExit | undefined): void {
    this.shared.onBackendExit?.(this, b, exit);
  }

  // ---- life cycle --------------------------------------------------------------------------------

  private async initialize(msg: RpcMessage, bytes: number | undefined): Promise<void> {
    const id = msg.id as RequestId;
    if (this.state !== 'new') return this.send(errorResponse(id, RPC.INVALID_REQUEST, 'Invalid Request: initialize was already received in this session'));
    this.state = 'initializing';
    const ctx = this.context('initialize', msg.params, undefined);
    const ex = this.exchange(msg, ctx, this.decide(ctx), bytes, -1, false);
    if (isEnforcedDeny(ex.decision)) {
      this.state = 'new';
      return this.finish(ex, denyAnswer(id, 'initialize', ex.decision, this.shared.deniedToolCall), 'denied');
    }
    const started = performance.now();
    const answers = await Promise.all(this.backends.map((b) => b.open(msg.params)));
    if (this.state !== 'initializing') return;
    let answer: RpcMessage;
    if (answers.length === 1) {
      answer = answers[0]!;
      answer.id = id;
    } else {
      const ok = answers.flatMap((a, i) => (a.result ? [{ name: this.backends[i]!.name, result: a.result }] : []));
      const failed = answers.flatMap((a, i) => (a.result ? [] : [{ name: this.backends[i]!.name, response: a }]));
      answer = ok.length === 0
        ? errorResponse(id, RPC.BACKEND_UNAVAILABLE, `no backend could be initialized: ${describeInitFailures(failed)}`)
        : resultResponse(id, mergeInitializeResults(ok, this.shared.version));
    }
    const version = answer.result?.protocolVersion;
    if (typeof version === 'string') {
      this.sessionCtx.protocolVersion = version;
      this.transport.setProtocolVersion?.(version);
    }
    this.state = answer.result ? 'ready' : 'failed';
    this.finish(ex, answer, outcomeOf('initialize', answer), Math.round((performance.now() - started) * 1000));
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) this.onClientRequest(q.msg, q.method, q.bytes);
  }

  /** Ends the session: backends closed (children killed), transport closed. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.relay.clear();
    await Promise.allSettled(this.backends.map((b) => b.close()));
    await this.transport.close().catch(() => undefined);
    this.shared.onSessionClosed?.(this);
  }
}
