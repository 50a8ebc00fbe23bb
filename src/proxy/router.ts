/**
 * Where a client request goes: the backend (and the backend's own name or URI) for tools/call,
 * prompts/get, resources/*, completion/complete, the composed cursor of a merged list, the fan-out
 * of logging/setLevel, and the one backend an unknown method goes to unchanged. Each route ends in
 * the session's chain (decideAndForward), or, when nothing can take the request, in an answer that
 * is still decided and recorded.
 */
import type { BackendConnection } from './backend.js';
import { LIST_METHODS } from './catalog.js';
import { offers } from './initialize.js';
import { compactToolCallIdAt, idSpan } from './compact-bytes.js';
import { rawToolCallChars } from './raw-audit.js';
import { distinctKeysToolCall } from './distinct-keys.js';
import { argumentCaseProblem, argumentNames, policyReads } from './argument-case.js';
import { wallMsAt } from './wall-clock.js';
import type { Decision, InterceptContext } from '../types.js';
import { denyAnswer, isEnforcedDeny, spareExchange, type Exchange } from './intercept.js';
import { errorResponse, resultResponse, RPC, type RequestId, type RpcMessage } from './jsonrpc.js';
import { droppedOnResume } from './held-requests.js';
import { decodeCursor } from './namespace.js';
import type { ClientSession } from './session.js';
import { ARGUMENT_BUDGET, MAX_TASKS } from './task-origins.js';

type Params = Record<string, unknown>;

export class RequestRouter {
  /** The context every unparsed tools/call shares (nobody reads it; completeContext gives one its own). */
  private unparsedContext: InterceptContext | undefined;

  constructor(private readonly s: ClientSession) {}

  /** Whether backend `i` lists prompt `name` (several unprefixed backends: routing by name). */
  private readonly hasPrompt = (i: number, name: string): boolean => this.s.backends[i]!.prompts.has(name);

  /** `fetched`: the unprefixed backends' tool lists were fetched for this call already (afterLists). */
  toolCall(msg: RpcMessage, params: Params, bytes: number | undefined, fetched = false): void {
    const name = params.name;
    let b = this.s.backends[0]!;
    let backendName = name as string;
    if (this.s.ns.multi || this.s.ns.renames) {
      const r = typeof name === 'string' ? this.s.ns.resolve(name, (i, n) => this.s.backends[i]!.tools.has(n)) : undefined;
      if (r === undefined && !fetched && typeof name === 'string' && this.afterLists(msg, 'tools/call', (b) => b.tools, () => this.toolCall(msg, params, bytes, true))) return;
      if (r === undefined) return this.unroutable(msg, 'tools/call', params, bytes, RPC.INVALID_PARAMS, `Unknown tool: ${String(name)}`);
      b = this.s.backends[r.index]!;
      if (r.name !== name) msg.params = { ...params, name: r.name };
      backendName = r.name;
    }
    if (!b.tools.complete && b.ready && !b.tools.has(backendName) && this.s.shared.decider.unconditionalAllow === undefined) {
      // Call-time policy needs the tool's definition even when the client never listed (unless it reads no input).
      // Decided then with this request's identity (an HTTP session's may change meanwhile).
      const client = this.s.client;
      const hold = this.s.held.hold(msg.id as RequestId);
      const resume = (): void => {
        // Given up by its client meanwhile (its credential revoked, its connection closed): not forwarded.
        if (droppedOnResume(this.s, msg, 'tools/call', hold)) return;
        this.s.client = client;
        // Run from a promise: an exception here would be an unhandled rejection (the process ends).
        try {
          this.toolCallOn(msg, params, b, backendName, bytes);
        } catch (err) {
          this.s.failed(msg, 'tools/call', err);
        }
      };
      b.tools.fetchAll().then(resume, resume);
      return;
    }
    this.toolCallOn(msg, params, b, backendName, bytes);
  }

  /**
   * A name no backend is known to have, while several backends show their tools (prompts) unprefixed:
   * which one has it is known only from their lists, and a client need not list before it asks. So
   * the lists of those not known in full are fetched first, and the request routed again (`retry`,
   * once). False when there is nothing to fetch (the name is unknown).
   */
  private afterLists(msg: RpcMessage, method: string, list: (b: BackendConnection) => { complete: boolean; fetchAll(): Promise<void> }, retry: () => void): boolean {
    if (this.s.ns.unprefixed.length < 2) return false;
    const unknown = this.s.ns.unprefixed.map((i) => this.s.backends[i]!).filter((b) => b.ready && !list(b).complete);
    if (unknown.length === 0) return false;
    const client = this.s.client;
    const hold = this.s.held.hold(msg.id as RequestId);
    const resume = (): void => {
      if (droppedOnResume(this.s, msg, method, hold)) return;
      this.s.client = client;
      try {
        retry();
      } catch (err) {
        this.s.failed(msg, method, err);
      }
    };
    void Promise.all(unknown.map((b) => list(b).fetchAll())).then(resume, resume);
    return true;
  }

  /**
   * A tools/call line taken before parsing: while nothing judges requests or answers (the policy
   * allows every request whatever its input, the audit records nothing or records the call from its
   * lines as they came: see raw-audit.ts) and the call goes to the
   * one backend under its own name, a line, buf[start, end), that is by its spelling a tools/call
   * with an integer id (compactToolCallIdAt) and is one valid JSON object in valid UTF-8 with no
   * member name written twice or escaped in any object, nor names differing only in case
   * (distinctKeysToolCall, strict: a Go backend would read `"Name"` as `name`; such a line is
   * parsed and refused, member-case.ts) is forwarded as it is, id
   * spliced in, without being decoded or parsed: the backend reads exactly the bytes a direct
   * connection would give it. Returns false (the line is then parsed and routed the usual way) for
   * anything else. Its progress notifications reach the client as always; they are just not
   * related to the request for transports that group messages by request.
   */
  unparsedToolCall(buf: Buffer, start: number, end: number): boolean {
    const s = this.s;
    const allow = s.shared.decider.unconditionalAllow;
    const recorder = s.shared.recorder;
    const audited = recorder.discardsRecords !== true;
    if (allow === undefined || (audited && recorder.recordRawBytes === undefined) || s.ns.multi || s.ns.renames) return false;
    const id = compactToolCallIdAt(buf, start, end);
    if (id < 0) return false;
    const idStart = idSpan.start;
    const idEnd = idSpan.end;
    // The line's head up to its params is what compactToolCallIdAt read: the scan starts there.
    // Audited: recorded from its line as it came when it reads the same to every parser and holds
    // no redacted name (raw path, one scan: rawToolCallChars), or else parsed, redacted and recorded.
    const rawChars = audited ? rawToolCallChars(recorder, allow, buf, start, end, idSpan.params, idSpan.before) : -1;
    if (audited ? rawChars < 0 : !distinctKeysToolCall(buf, start, end, idSpan.params, idSpan.before, false, true)) return false;
    const b = s.backends[0]!;
    let ctx = this.unparsedContext;
    if (ctx === undefined || ctx.client !== s.client) ctx = this.unparsedContext = s.context('tools/call', undefined, b);
    let ex = spareExchange();
    if (ex === undefined) ex = s.exchangeOf(id, ctx, allow);
    else {
      // Every field, as exchangeOf sets them (time: 0, the audit records nothing; audited, set once forwarded).
      ex.originalId = id;
      ex.method = 'tools/call';
      ex.ctx = ctx;
      ex.decision = allow;
      ex.time = 0;
      ex.sentAt = 0;
      ex.listIndex = -1;
      ex.listFirstPage = false;
      ex.progressToken = undefined;
    }
    ex.requestBytes = rawChars < 0 ? undefined : end - start;
    ex.rawRequestChars = rawChars;
    ex.unparsedRequest = buf;
    ex.unparsedStart = start;
    ex.unparsedEnd = end;
    ex.answerAsText = s.answerAsText(ex);
    if (!b.forwardBytes(ex, buf, start, idStart, idEnd, end)) return false;
    // The row's time: when it was forwarded, off the clock reading forwardBytes took (wall-clock.ts).
    if (audited) ex.time = wallMsAt(ex.sentAt);
    return true;
  }

  /** Fills in the context of a request forwarded unparsed, from its bytes, when something comes to judge its answer. */
  completeContext(ex: Exchange): void {
    const buf = ex.unparsedRequest;
    if (buf === undefined) return;
    ex.unparsedRequest = undefined;
    const params = (JSON.parse(buf.toString('utf8', ex.unparsedStart, ex.unparsedEnd)) as RpcMessage).params ?? {};
    const b = this.s.backends[0]!;
    const ctx = this.s.context('tools/call', params, b);
    ctx.client = ex.ctx.client;
    ctx.tool = b.tools.get(params.name as string) ?? { name: String(params.name), backendName: String(params.name) };
    ctx.arguments = params.arguments;
    ex.ctx = ctx;
  }

  private toolCallOn(msg: RpcMessage, params: Params, b: BackendConnection, backendName: string, bytes: number | undefined): void {
    const tool = b.tools.get(backendName) ?? { name: String(params.name), backendName };
    const decider = this.s.shared.decider;
    if (decider.unconditionalAllow === undefined) {
      // An argument spelled like the tool's own but for case (argument-case.ts): refused, unless the policy reads no input.
      const variant = argumentCaseProblem(argumentNames(tool, policyReads(decider)), params.arguments);
      if (variant !== undefined) return this.s.refuseVariant(msg, 'tools/call', variant, bytes);
    }
    const ctx = this.s.context('tools/call', params, b);
    ctx.tool = tool;
    ctx.arguments = params.arguments;
    this.s.decideAndForward(msg, ctx, b, bytes, -1, false);
  }

  list(msg: RpcMessage, method: string, params: Params | undefined, bytes: number | undefined): void {
    const ctx = this.s.context(method, params, undefined);
    if (!this.s.ns.multi) {
      ctx.backend = this.s.backendRefs[0];
      return this.s.decideAndForward(msg, ctx, this.s.backends[0]!, bytes, 0, params?.cursor === undefined);
    }
    let index: number;
    let cursor: string | undefined;
    if (typeof params?.cursor === 'string') {
      const decoded = decodeCursor(params.cursor);
      if (decoded === undefined || decoded.index < 0 || decoded.index >= this.s.backends.length) {
        return this.unroutable(msg, method, params, bytes, RPC.INVALID_PARAMS, `Invalid params: unknown cursor`);
      }
      index = decoded.index;
      cursor = decoded.cursor;
      if (!this.s.backends[index]!.ready) {
        index = this.s.catalog.nextListBackend(method, index + 1);
        cursor = undefined;
      }
    } else {
      index = this.s.catalog.nextListBackend(method, 0);
    }
    if (index < 0) {
      // Nothing (left) to list: an empty last page.
      const ex = this.s.exchange(msg, ctx, this.s.decide(ctx), bytes, -1, false);
      return this.s.out.finish(ex, resultResponse(ex.originalId, { [LIST_METHODS[method]!.key]: [] }), 'ok');
    }
    const b = this.s.backends[index]!;
    ctx.backend = this.s.backendRefs[index];
    const forwarded: Params = { ...params };
    if (cursor === undefined) delete forwarded.cursor;
    else forwarded.cursor = cursor;
    msg.params = forwarded;
    this.s.decideAndForward(msg, ctx, b, bytes, index, cursor === undefined);
  }

  promptGet(msg: RpcMessage, params: Params, bytes: number | undefined, fetched = false): void {
    const name = params.name;
    const r = typeof name === 'string' ? this.s.ns.resolve(name, this.hasPrompt) : undefined;
    if (r === undefined && !fetched && typeof name === 'string' && this.afterLists(msg, 'prompts/get', (b) => b.prompts, () => this.promptGet(msg, params, bytes, true))) return;
    if (r === undefined) return this.unroutable(msg, 'prompts/get', params, bytes, RPC.INVALID_PARAMS, `Unknown prompt: ${String(name)}`);
    if (r.name !== name) msg.params = { ...params, name: r.name };
    const b = this.s.backends[r.index]!;
    const ctx = this.s.context('prompts/get', params, b);
    ctx.prompt = { name: name as string, backend_name: r.name };
    ctx.arguments = params.arguments;
    this.s.decideAndForward(msg, ctx, b, bytes, -1, false);
  }

  byUri(msg: RpcMessage, method: string, params: Params, bytes: number | undefined): void {
    const uri = params.uri;
    const r = typeof uri === 'string' ? this.s.catalog.resolveUri(uri) : this.s.ns.multi ? undefined : { index: 0, name: '' };
    if (r === undefined) return this.unroutable(msg, method, params, bytes, RPC.RESOURCE_NOT_FOUND, resourceNotFound(uri), { uri });
    if (typeof uri === 'string' && r.name !== uri) msg.params = { ...params, uri: r.name };
    const b = this.s.backends[r.index]!;
    const ctx = this.s.context(method, params, b);
    if (typeof uri === 'string') ctx.resource = { uri, backend_uri: r.name };
    this.s.decideAndForward(msg, ctx, b, bytes, -1, false);
  }

  completion(msg: RpcMessage, params: Params, bytes: number | undefined, fetched = false): void {
    const ref = params.ref as Params | undefined;
    let index = 0;
    const ctx = this.s.context('completion/complete', params, undefined);
    if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
      const r = this.s.ns.resolve(ref.name, this.hasPrompt);
      if (r === undefined && !fetched && this.afterLists(msg, 'completion/complete', (b) => b.prompts, () => this.completion(msg, params, bytes, true))) return;
      if (r === undefined) return this.unroutable(msg, 'completion/complete', params, bytes, RPC.INVALID_PARAMS, `Unknown prompt: ${ref.name}`);
      index = r.index;
      if (r.name !== ref.name) msg.params = { ...params, ref: { ...ref, name: r.name } };
      ctx.prompt = { name: ref.name, backend_name: r.name };
    } else if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
      const r = this.s.catalog.resolveUri(ref.uri);
      if (r === undefined) return this.unroutable(msg, 'completion/complete', params, bytes, RPC.RESOURCE_NOT_FOUND, resourceNotFound(ref.uri), { uri: ref.uri });
      index = r.index;
      if (r.name !== ref.uri) msg.params = { ...params, ref: { ...ref, uri: r.name } };
      ctx.resource = { uri: ref.uri, backend_uri: r.name };
    }
    ctx.backend = this.s.backendRefs[index];
    ctx.arguments = params.argument;
    this.s.decideAndForward(msg, ctx, this.s.backends[index]!, bytes, -1, false);
  }

  setLevel(msg: RpcMessage, params: Params, bytes: number | undefined): void {
    // The level a backend is set to again after a restart is remembered only once that backend
    // accepted it (answers.ts, and below): never one the policy denied or the backend refused.
    const level = typeof params.level === 'string' ? params.level : undefined;
    if (!this.s.ns.multi) {
      const b = this.s.backends[0]!;
      return this.s.decideAndForward(msg, this.s.context('logging/setLevel', params, b), b, bytes, -1, false);
    }
    // Decided for each backend it would reach (a rule may judge one backend by input.backend), and
    // sent to those the policy allows; recorded once, with the first allowing decision, or the
    // first denying one when none allows (then answered denied). No backend offers logging: decided
    // with none, as before.
    const targets: BackendConnection[] = [];
    let ctx: InterceptContext | undefined;
    let decision: Decision | undefined;
    for (const b of this.s.backends) {
      if (!b.ready || !offers(b.initResult, 'logging')) continue;
      const each = this.s.context('logging/setLevel', params, b);
      const d = this.s.decide(each);
      if (isEnforcedDeny(d)) {
        if (decision === undefined) [ctx, decision] = [each, d];
        continue;
      }
      if (targets.length === 0) [ctx, decision] = [each, d];
      targets.push(b);
    }
    if (ctx === undefined) ctx = this.s.context('logging/setLevel', params, undefined);
    const ex = this.s.exchange(msg, ctx, decision ?? this.s.decide(ctx), bytes, -1, false);
    if (isEnforcedDeny(ex.decision)) return this.s.out.finish(ex, denyAnswer(ex.originalId, ex.method, ex.decision, this.s.shared.deniedToolCall), 'denied');
    void Promise.all(targets.map((b) => b.call('logging/setLevel', params))).then((answers) => {
      answers.forEach((a, i) => {
        if (a.error === undefined) targets[i]!.logLevel = level;
      });
      const failed = answers.length > 0 && answers.every((a) => a.error !== undefined) ? answers[0]!.error! : undefined;
      const answer = failed ? errorResponse(ex.originalId, failed.code, failed.message, failed.data) : resultResponse(ex.originalId, {});
      try {
        this.s.out.finish(ex, answer, failed ? 'rpc_error' : 'ok');
      } catch (err) {
        // A backend's error that cannot be written (nested deeper than JSON.stringify goes): thrown
        // here, in a promise, it ended the process, every client's session with it (backend.ts dispatch).
        this.s.out.finish(ex, errorResponse(ex.originalId, RPC.INTERNAL_ERROR, `Internal error in mcp-warden: the answer cannot be relayed: ${(err as Error).message}`), 'rpc_error');
      }
    });
  }

  /**
   * A method the proxy does not know: one backend gets it unchanged: the one that created the task
   * it names, or the one its name prefix names, else the first that is up. A `tasks/result` of a
   * task a tools/call created is judged with that call's tool and arguments (task-origins.ts).
   */
  other(msg: RpcMessage, method: string, params: Params | undefined, bytes: number | undefined): void {
    const taskId = typeof params?.taskId === 'string' ? params.taskId : undefined;
    const origin = taskId === undefined ? undefined : this.s.tasks.get(taskId);
    let index = 0;
    if (this.s.ns.multi) {
      // Tasks (tasks/get, tasks/result, tasks/cancel) go to the backend that created them.
      const r = origin === undefined && typeof params?.name === 'string' ? this.s.ns.resolve(params.name) : undefined;
      index = origin?.index ?? r?.index ?? Math.max(0, this.s.backends.findIndex((b) => b.ready));
    }
    const b = this.s.backends[index]!;
    const ctx = this.s.context(method, params, b);
    if (method === 'tasks/result') {
      if (origin?.tool !== undefined) {
        ctx.tool = origin.tool;
        ctx.arguments = origin.arguments;
      } else if (origin === undefined && this.s.tasks.forgot) {
        // Perhaps a task whose tool call the session forgot: not judged without it (fail closed).
        return this.unroutable(msg, method, params ?? {}, bytes, RPC.INVALID_PARAMS, `Invalid params: task ${JSON.stringify(taskId)} is not known to this session (it remembers the tool calls of its last ${MAX_TASKS} tasks, within ${ARGUMENT_BUDGET} bytes of their requests; a task it forgot cannot be judged with the call that created it)`);
      }
    }
    this.s.decideAndForward(msg, ctx, b, bytes, -1, false);
  }

  /**
   * A request no backend can take: decided first (a deny is the answer: the policy speaks before
   * anything is said about what exists), recorded, then answered with `code`.
   */
  private unroutable(msg: RpcMessage, method: string, params: Params, bytes: number | undefined, code: number, text: string, data?: { uri: unknown }): void {
    const ctx = this.s.context(method, params, undefined);
    if (method === 'tools/call' && typeof params.name === 'string') {
      ctx.tool = { name: params.name, backendName: params.name };
      ctx.arguments = params.arguments;
    }
    // The resource it names, as a routed request's context has it (policies keyed on input.resource.uri).
    if (typeof data?.uri === 'string') ctx.resource = { uri: data.uri, backend_uri: data.uri };
    const ex = this.s.exchange(msg, ctx, this.s.decide(ctx), bytes, -1, false);
    if (isEnforcedDeny(ex.decision)) return this.s.out.finish(ex, denyAnswer(ex.originalId, method, ex.decision, this.s.shared.deniedToolCall), 'denied');
    this.s.out.finish(ex, errorResponse(ex.originalId, code, text, data), 'rpc_error');
  }
}

/** MCP's resource-not-found error text (-32002, with data.uri), saying what the proxy looked for. */
function resourceNotFound(uri: unknown): string {
  return `Resource not found: ${String(uri)} (no backend of this session listed it, gave it in an answer or has a URI template matching it; list resources first)`;
}
