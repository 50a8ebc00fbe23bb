/**
 * One backend session of one client session: a child process (stdio) or an upstream MCP session
 * (Streamable HTTP / SSE). It owns the transport, the requests in flight to it (InFlight: under the
 * client's own ids where they are free, else the proxy's, so that no two can collide; finding,
 * cancelling, timing out and failing them: backend-requests.ts), the backend's tool definitions for
 * call-time policy, and its life cycle: started at the client's initialize, and when it dies, every
 * request in flight answered with a clear error and (if restarts are on) a new one started with
 * backoff and re-initialized by replaying the client's initialize, initialized, logging level and
 * resource subscriptions.
 */
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import { ChildProcessTransport, type ChildExit } from '../transport/child-process.js';
import { SENT } from '../transport/ndjson.js';
import type { JSONRPCMessage, Transport } from '../transport/types.js';
import { InternalCall, type BackendEvents, type BackendSpec, type BackendTransport } from './backend-types.js';
import { releaseExchange, type Exchange } from './intercept.js';
import { BackendRequests } from './backend-requests.js';
import { compactAnswerIdAt, idSpan } from './compact-bytes.js';
import { errorResponse, RPC, withSplicedId, type RpcMessage } from './jsonrpc.js';
import { ReadGate } from './flow.js';
import { ToolCache } from './tool-cache.js';
import { PromptNames } from './prompt-names.js';

export type { BackendEvents, BackendSpec, BackendTransport, ClientTransport } from './backend-types.js';

/** Least time a backend gets to answer initialize. */
const STARTUP_TIMEOUT_MS = 30_000;

type State = 'idle' | 'starting' | 'ready' | 'down' | 'failed' | 'closed';

const STABLE_UPTIME_MS = 10_000;

export class BackendConnection {
  state: State = 'idle';
  /** The backend's own initialize result. */
  initResult: Record<string, unknown> | undefined;
  /** The backend's tool definitions, for call-time policy. */
  readonly tools: ToolCache;
  /** The backend's prompt names, for routing with several unprefixed backends. */
  readonly prompts: PromptNames;
  /** Resource URIs the client subscribed to here (replayed after a restart). */
  readonly subscriptions = new Set<string>();
  logLevel: string | undefined;
  /** Reading from the backend, paused while the client is not reading (flow.ts). */
  readonly readGate = new ReadGate();

  private transport: BackendTransport | undefined;
  /** The requests in flight here (backend-requests.ts); its tables are used directly on the hot path. */
  readonly requests: BackendRequests;
  private readonly pending: BackendRequests['pending'];
  private readonly progress: BackendRequests['progress'];
  private initParams: Record<string, unknown> | undefined;
  private initializedNote: RpcMessage | undefined;
  private lastExit: ChildExit | undefined;
  /**
   * Why the backend last failed to start or went away (an exit code or signal, a spawn error, an
   * upstream's connection error, an initialize error): said with every "unavailable" answer until it
   * is up again. Only what the client's initialize answer already says (transport errors name an
   * HTTP backend by origin and path: no URL credential).
   */
  private lastFailure: string | undefined;
  private attempt = 0;
  private upSince = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private perRequestSendErrors = false;

  constructor(
    readonly spec: BackendSpec,
    private readonly events: BackendEvents,
    exposeName: (name: string) => string,
    private readonly logger: Logger,
  ) {
    this.requests = new BackendRequests(this, events);
    this.pending = this.requests.pending;
    this.progress = this.requests.progress;
    const internal = (method: string, params: Record<string, unknown> | undefined) => (this.state === 'ready' ? this.call(method, params) : undefined);
    this.tools = new ToolCache(exposeName, internal);
    this.prompts = new PromptNames(internal);
  }

  get name(): string {
    return this.spec.name;
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Why requests cannot be forwarded now. */
  get unavailableReason(): string {
    const why = this.state === 'down' ? 'restarting' : this.state === 'starting' || this.state === 'idle' ? 'starting' : 'stopped';
    const last = this.lastFailure === undefined ? '' : ` (last failure: ${this.lastFailure})`;
    return `backend '${this.spec.name}' is unavailable: ${why}${last}`;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Starts the backend and initializes it with the client's initialize params; resolves to its answer. */
  async open(initParams: Record<string, unknown> | undefined): Promise<RpcMessage> {
    this.initParams = initParams;
    const timeout = Math.max(20, Math.min(1000, this.spec.timeoutMs / 4));
    this.sweepTimer = setInterval(this.requests.sweep, timeout);
    this.sweepTimer.unref();
    const answer = await this.connect();
    // The client's initialized may have arrived while we were still connecting.
    if (this.initializedNote && this.state === 'ready') this.sendRaw(this.initializedNote);
    return answer;
  }

  private async connect(): Promise<RpcMessage> {
    this.state = 'starting';
    const t = this.spec.createTransport();
    this.transport = t;
    this.perRequestSendErrors = !(t instanceof ChildProcessTransport);
    t.onmessage = this.onMessage as Transport['onmessage'];
    t.takeLine = this.takeLine;
    t.onbacklog = (backedUp) => this.events.onBacklog(this, backedUp);
    this.readGate.attach(t);
    t.onclose = () => this.onTransportClosed(t);
    t.onerror = (err) => this.logger.warn({ backend: this.spec.name, err: err.message }, 'backend transport error');
    t.onexit = (exit) => {
      this.lastExit = exit;
      const fields = { backend: this.spec.name, code: exit.code, signal: exit.signal };
      if (exit.error) this.logger.error({ backend: this.spec.name, err: exit.error.message }, 'backend could not be started');
      else if (exit.forced) this.logger.warn(fields, 'backend process did not exit after SIGTERM within the grace period: killed');
      // Asked for (its session closed, shutdown), or a signal to our whole process group while we shut down.
      else if (exit.requested || this.exitExpected()) this.logger.debug(fields, 'backend process stopped');
      else this.logger.warn(fields, 'backend process exited');
    };
    try {
      await t.start();
    } catch (err) {
      // Said here: the client sees it only when no backend at all could start, the log otherwise never
      // (a child that could not be spawned was said already, by onexit: 'backend could not be started').
      if (this.lastExit?.error === undefined) this.logger.warn({ backend: this.spec.name, err: (err as Error).message }, 'backend could not be reached');
      const spawnFailed = this.lastExit?.error !== undefined;
      this.onTransportClosed(t, spawnFailed ? undefined : (err as Error).message);
      // A spawn error as any client is told it (exitReason: the command's base name, not its path).
      return errorResponse(null, RPC.BACKEND_UNAVAILABLE, `backend '${this.spec.name}' is unavailable: ${spawnFailed ? exitReason(this.lastExit) : (err as Error).message}`);
    }
    const answer = await this.call('initialize', this.initParams);
    if (this.transport !== t || this.state !== 'starting') return answer;
    if (answer.error !== undefined || answer.result === undefined) {
      const why = (answer.error as { message?: unknown } | undefined)?.message;
      this.logger.warn({ backend: this.spec.name, err: typeof why === 'string' ? why : 'no result' }, 'backend initialize failed; left out of this session');
      this.lastFailure = `initialize failed: ${typeof why === 'string' ? why : 'no result'}`;
      this.state = 'failed';
      void t.close();
      return answer;
    }
    this.initResult = answer.result;
    const version = answer.result.protocolVersion;
    if (typeof version === 'string') t.setProtocolVersion?.(version);
    this.state = 'ready';
    this.lastFailure = undefined;
    this.upSince = Date.now();
    return answer;
  }

  /** Relays the client's notifications/initialized (and remembers it for restarts). */
  initialized(note: RpcMessage): void {
    this.initializedNote = note;
    if (this.state === 'ready') this.sendRaw(note);
  }

  /**
   * Forwards a client request under a fresh proxy id. Returns false when the backend is not ready.
   * Serialized again from the parsed message the policy judged, unless the session passes `text`:
   * the client's own line of a request nothing judged, then sent as is with the id spliced in.
   * Throws what serializing it threw (nested too deeply), having undone all it did.
   */
  forward(message: RpcMessage, ex: Exchange, text?: string): boolean {
    const t = this.transport;
    if (this.state !== 'ready' || t === undefined) return false;
    const id = this.pending.freshId();
    this.pending.set(id, ex);
    if (ex.progressToken !== undefined) this.progress.set(ex.progressToken, ex);
    message.id = id;
    ex.sentAt = performance.now();
    const line = text === undefined || t.sendLine === undefined ? undefined : withSplicedId(text, ex.originalId, id);
    let sent: Promise<void>;
    try {
      sent = line === undefined ? t.send(message as JSONRPCMessage) : t.sendLine!(line, message as JSONRPCMessage);
    } catch (err) {
      // Not written (JSON.stringify of a message nested too deeply throws): nothing of it stays here
      // and the message has its own id again, for whoever answers it (the session: decideAndForward).
      this.pending.delete(id);
      if (ex.progressToken !== undefined) this.progress.delete(ex.progressToken);
      message.id = ex.originalId;
      throw err;
    }
    // Our own stdio transports return SENT (queued, never rejects): no handler to allocate.
    if (sent === SENT) return true;
    if (this.perRequestSendErrors) sent.catch((err: Error) => this.requests.sendFailed(id, err));
    else sent.catch(ignore);
    return true;
  }

  /**
   * Forwards the client's line of a request that was not parsed (see RequestRouter.unparsedToolCall),
   * src[start, end) with its integer id (ex.originalId) written at src[idStart, idEnd): as it is
   * while no request in flight here holds that id, else with a fresh id in its place. Returns
   * false, having done nothing, when the backend is not ready or does not take bytes (the caller
   * then parses the line and takes the usual way).
   */
  forwardBytes(ex: Exchange, src: Buffer, start: number, idStart: number, idEnd: number, end: number): boolean {
    const t = this.transport;
    if (this.state !== 'ready' || t === undefined || t.sendSpliced === undefined) return false;
    const id = this.pending.idFor(ex.originalId as number);
    this.pending.set(id, ex);
    ex.sentAt = performance.now();
    const sent = t.sendSpliced(src, start, idStart, idEnd, end, id, REQUEST_SHAPE);
    if (sent !== SENT) sent.catch(ignore);
    return true;
  }

  /** A request of the proxy's own (initialize, tools/list for the policy, replays). Never rejects. */
  call(method: string, params: Record<string, unknown> | undefined): Promise<RpcMessage> {
    const t = this.transport;
    if (t === undefined) return Promise.resolve(errorResponse(null, RPC.BACKEND_UNAVAILABLE, this.unavailableReason));
    const id = this.pending.freshId();
    return new Promise((resolve) => {
      const timeoutMs = method === 'initialize' ? Math.max(this.spec.timeoutMs, STARTUP_TIMEOUT_MS) : this.spec.timeoutMs;
      this.pending.set(id, new InternalCall(method, resolve, performance.now(), timeoutMs));
      const message: RpcMessage = params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
      t.send(message as JSONRPCMessage).catch((err: Error) => this.requests.sendFailed(id, err));
    });
  }

  /** Sends a notification or a response as is (when the backend is up). */
  sendRaw(message: RpcMessage): void {
    if (this.state !== 'ready' || this.transport === undefined) return;
    this.transport.send(message as JSONRPCMessage).catch(ignore);
  }

  /**
   * A line from the backend, buf[start, end), before it is decoded: an answer that is one by its
   * spelling alone (compactAnswerIdAt), in valid UTF-8, to an exchange whose answer nobody reads goes
   * to the client as it is, with only the id changed, and is not parsed: the client reads exactly
   * the bytes a direct connection would give it. Anything else is parsed and dispatched.
   */
  private readonly takeLine = (buf: Buffer, start: number, end: number): boolean => {
    const id = compactAnswerIdAt(buf, start, end);
    if (id < 0) return false;
    const p = this.pending.get(id);
    if (p === undefined || p instanceof InternalCall || !p.answerAsText) return false;
    const idStart = idSpan.start;
    const idEnd = idSpan.end;
    // onAnswerBytes declines a line that is not valid UTF-8 (it checks as it reads the line).
    if (!this.events.onAnswerBytes(this, p, buf, start, idStart, idEnd, end)) return false;
    this.pending.delete(id);
    if (p.progressToken !== undefined) this.progress.delete(p.progressToken);
    // A request that came unparsed and is answered unparsed is over: nothing else refers to its exchange.
    if (p.unparsedRequest !== undefined) releaseExchange(p);
    return true;
  };

  private readonly onMessage = (raw: JSONRPCMessage): void => {
    try {
      this.dispatch(raw as unknown as RpcMessage);
    } catch (err) {
      this.logger.error({ backend: this.spec.name, err: (err as Error).message }, 'proxy error on a backend message');
    }
  };

  private dispatch(message: RpcMessage): void {
    if (message.method === undefined) {
      const id = message.id as number;
      const p = this.pending.get(id);
      if (p === undefined) return this.pending.lateAnswer(id); // cancelled or timed out: the answer is dropped
      this.pending.delete(id);
      if (p instanceof InternalCall) {
        p.resolve(message);
        return;
      }
      if (p.progressToken !== undefined) this.progress.delete(p.progressToken);
      const t = this.transport;
      try {
        this.events.onResponse(this, p, message, t?.lastMessageBytes, t?.lastMessageText);
      } catch (err) {
        // Out of the table already: unanswered, the client's request would wait forever (an answer
        // nested deeper than JSON.stringify goes throws before anything is written).
        this.events.onFailed(this, p, RPC.INTERNAL_ERROR, `Internal error in mcp-warden: the answer cannot be relayed: ${(err as Error).message}`, 'rpc_error');
        throw err;
      }
    } else if (message.id !== undefined) {
      this.events.onServerRequest(this, message);
    } else {
      if (message.method === 'notifications/tools/list_changed') this.tools.invalidate();
      else if (message.method === 'notifications/prompts/list_changed') this.prompts.invalidate();
      this.events.onNotification(this, message);
    }
  }

  /** `why`: the transport's start() error (an upstream that could not be reached). */
  private onTransportClosed(t: BackendTransport, why?: string): void {
    if (t !== this.transport) return;
    this.transport = undefined;
    const previous = this.state;
    const how = why ?? exitReason(this.lastExit);
    this.requests.failAll(`backend '${this.spec.name}' is unavailable: ${how}`);
    this.events.onGone(this, `backend '${this.spec.name}' is unavailable: ${how}`);
    if (previous === 'closed' || previous === 'failed') return;
    if (!this.exitExpected()) this.lastFailure = how;
    if (this.exitExpected()) {
      // Shutting down: not restarted, and not a backend's failure to report.
      this.state = 'closed';
      this.stopTimers();
      return;
    }
    this.tools.invalidate();
    this.prompts.invalidate();
    if (this.spec.restart === false) {
      this.state = 'failed';
      this.events.onExit(this, this.lastExit);
      return;
    }
    this.state = 'down';
    this.scheduleRestart(this.spec.restart);
  }

  private scheduleRestart(restart: { initialDelayMs: number; maxDelayMs: number }): void {
    if (this.upSince > 0 && Date.now() - this.upSince > STABLE_UPTIME_MS) this.attempt = 0;
    const delay = Math.min(restart.maxDelayMs, restart.initialDelayMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    this.logger.info({ backend: this.spec.name, delayMs: delay }, 'restarting backend');
    this.restartTimer = setTimeout(() => {
      this.restartNow().catch((err: Error) => this.logger.error({ backend: this.spec.name, err: err.message }, 'backend restart failed'));
    }, delay);
  }

  private async restartNow(): Promise<void> {
    this.restartTimer = undefined;
    if (this.state !== 'down') return;
    this.lastExit = undefined;
    await this.connect();
    const state = this.state as State;
    if (state !== 'ready') {
      // An initialize error leaves it 'failed' (a crash during initialize already rescheduled): try again later.
      if (state === 'failed' && this.spec.restart !== false) {
        this.state = 'down';
        this.scheduleRestart(this.spec.restart);
      }
      return;
    }
    if (this.initializedNote) this.sendRaw(this.initializedNote);
    if (this.logLevel !== undefined) void this.call('logging/setLevel', { level: this.logLevel });
    for (const uri of this.subscriptions) void this.call('resources/subscribe', { uri });
    this.logger.info({ backend: this.spec.name }, 'backend restarted');
    this.events.onRecovered(this);
  }

  /** Whether an exit now is expected: this backend session is closing, or the proxy is shutting down. */
  private exitExpected(): boolean {
    return this.state === 'closed' || this.events.shuttingDown();
  }

  private stopTimers(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }

  /** Ends this backend session (kills a child, ends an upstream session). */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopTimers();
    const t = this.transport;
    this.requests.failAll(`backend '${this.spec.name}' is unavailable: session closed`);
    if (t === undefined) return;
    try {
      await t.terminateSession?.();
    } catch {
      /* the upstream session may already be gone */
    }
    await t.close();
    this.transport = undefined;
  }
}

/** What the transport's ordering rule reads of a request sent as text: an id and a method. */
const REQUEST_SHAPE = Object.freeze({ jsonrpc: '2.0', id: 0, method: 'tools/call' }) as JSONRPCMessage;

/** How a backend went away, for the client: a spawn error (with what its code means), an exit code or signal. */
/**
 * Why a backend ended, as the client is told it. A spawn error names the command by its base name
 * only: the configured path (a layout of the server's disk) is in the server log ('backend could
 * not be started'), not in what any client is sent.
 */
function exitReason(exit: ChildExit | undefined): string {
  if (exit === undefined) return 'connection closed';
  if (exit.error) {
    const err = exit.error as NodeJS.ErrnoException;
    const meaning = err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : undefined;
    const message = typeof err.path === 'string' && err.path.includes('/') ? err.message.split(err.path).join(basename(err.path)) : err.message;
    return meaning === undefined ? message : `${message} (${meaning})`;
  }
  return `exited (${exit.signal ? `killed by ${exit.signal}` : `code ${exit.code}`})`;
}

/** A failed send is reported by the transport's close. */
function ignore(): void {}
