/**
 * The interception chain's pieces: what a request in flight carries (Exchange), the answers the
 * proxy gives on a deny, the audit row of an exchange and how a Decision maps to the audit's view.
 * The chain itself runs in session.ts: identify (fixed per session) > build InterceptContext >
 * PolicyDecider.decide > (deny: record, answer) | (allow: forward; on the answer: response phase if
 * the decider wants it, redact, record, answer).
 */
import type { AuditDecision, AuditOutcome, AuditRecord, Decision, InterceptContext, RedactRule, ToolInfo } from '../types.js';
import { errorResponse, resultResponse, RPC, type RequestId, type RpcMessage } from './jsonrpc.js';

/** One request in flight from a client to a backend (or from a backend to the client). */
export interface Exchange {
  /** The id the requester used; the peer sees the proxy's own id. */
  originalId: RequestId;
  method: string;
  ctx: InterceptContext;
  decision: Decision;
  /** Epoch ms at arrival. */
  time: number;
  /** performance.now() when forwarded. */
  sentAt: number;
  requestBytes: number | undefined;
  /** For composed list calls with several backends: the backend index this page came from; else -1. */
  listIndex: number;
  /** A list call without a cursor (its answer, when it has no next page, is the whole list). */
  listFirstPage: boolean;
  /** _meta.progressToken of the request, when it asked for progress. */
  progressToken: string | number | undefined;
  /**
   * Nothing the proxy does with the answer needs its content (no list to rewrite, no subscription
   * or task to track, nothing to redact): while nothing judges answers either (no audit record, no
   * response phase), a compactly written answer goes to the client unparsed (BackendConnection.takeLine).
   */
  answerAsText: boolean;
  /**
   * The client's line of a request forwarded without being parsed (nothing judged it), as the bytes
   * unparsedRequest[unparsedStart, unparsedEnd) of the chunk it came in; ctx then has no params, tool
   * or arguments until the session completes it from these bytes (completeContext).
   */
  unparsedRequest: Buffer | undefined;
  unparsedStart: number;
  unparsedEnd: number;
  /**
   * When the audit records the call from its lines as they came (the raw path,
   * Recorder.recordRawBytes; that line, unparsedRequest[unparsedStart, unparsedEnd), passed
   * Recorder.rawSafeBytes): the line's length as text; else -1.
   */
  rawRequestChars: number;
}

/** Exchanges of unparsed requests whose answers went out unparsed, for the next ones (no allocation per call). */
const spareExchanges: Exchange[] = [];
const MAX_SPARE = 256;

/** A spare exchange (its fields are stale: the caller sets them all), or undefined. */
export function spareExchange(): Exchange | undefined {
  return spareExchanges.pop();
}

/**
 * Returns an exchange nothing refers to any more (an unparsed request answered unparsed: out of its
 * backend's table, no audit record, no response phase) to be reused by spareExchange().
 */
export function releaseExchange(ex: Exchange): void {
  ex.unparsedRequest = undefined;
  ex.rawRequestChars = -1;
  if (spareExchanges.length < MAX_SPARE) spareExchanges.push(ex);
}

export function auditDecision(decision: Decision): AuditDecision {
  if (decision.error !== undefined) return 'error';
  if (decision.allowed) return 'allow';
  return decision.mode === 'shadow' ? 'shadow-deny' : 'deny';
}

export function isEnforcedDeny(decision: Decision): boolean {
  return !decision.allowed && decision.mode !== 'shadow';
}

export function denyMessage(decision: Decision): string {
  return `Denied by policy: ${decision.reasons.length > 0 ? decision.reasons.join('; ') : 'not allowed'}`;
}

/** The answer to a request the policy denied. */
export function denyAnswer(id: RequestId, method: string, decision: Decision, deniedToolCall: 'result' | 'error'): RpcMessage {
  const text = denyMessage(decision);
  if (method === 'tools/call' && deniedToolCall === 'result') {
    return resultResponse(id, { content: [{ type: 'text', text }], isError: true });
  }
  return errorResponse(id, RPC.DENIED, text, { reasons: decision.reasons, policyVersion: decision.policyVersion });
}

/** How an answer turned out, for the audit. */
export function outcomeOf(method: string, answer: RpcMessage): AuditOutcome {
  if (answer.error !== undefined) return 'rpc_error';
  if (method === 'tools/call' && answer.result?.isError === true) return 'tool_error';
  return 'ok';
}

export function buildRecord(
  ex: Exchange,
  outcome: AuditOutcome,
  answer: RpcMessage | undefined,
  backendMicros: number | undefined,
  responseBytes: number | undefined,
  redact: RedactRule[] | undefined,
): AuditRecord {
  const ctx = ex.ctx;
  const d = ex.decision;
  const rec: AuditRecord = {
    time: ex.time,
    clientId: ctx.client.id,
    clientName: ctx.client.name,
    authMethod: ctx.client.auth,
    roles: ctx.client.roles,
    sessionId: ctx.session.id,
    transport: ctx.session.transport,
    backend: ctx.backend?.name,
    method: ex.method,
    requestId: ex.originalId,
    tool: ctx.tool?.name,
    resource: ctx.resource?.uri,
    prompt: ctx.prompt?.name,
    arguments: ctx.arguments,
    decision: auditDecision(d),
    reasons: d.reasons,
    policyVersion: d.policyVersion,
    outcome,
    decisionMicros: d.micros,
    backendMicros,
    requestBytes: ex.requestBytes,
    responseBytes,
    redact,
  };
  if (answer !== undefined) {
    if (answer.error !== undefined) {
      rec.errorCode = answer.error.code;
      rec.errorMessage = answer.error.message;
    } else if (answer.result !== undefined) {
      rec.result = answer.result;
      rec.resultJson = JSON.stringify(answer.result);
      if (ex.method === 'tools/call') rec.isError = answer.result?.isError === true; // a result may be null
    }
  }
  return rec;
}

/**
 * JSON.stringify(answer) for an answer whose result is already serialized as `resultJson` (by
 * buildRecord): the audit record and the client's copy share one serialization of the result.
 */
export function answerText(answer: RpcMessage, resultJson: string): string {
  const id = answer.id;
  if (answer.jsonrpc === '2.0' && (typeof id === 'number' || typeof id === 'string') && Object.keys(answer).length === 3) {
    return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${resultJson}}`;
  }
  return JSON.stringify(answer);
}

/** Merges the request-phase and response-phase redaction rules (no allocation when there are none). */
export function combinedRedactions(a: Decision, b: Decision | undefined): RedactRule[] | undefined {
  const first = a.redact && a.redact.length > 0 ? a.redact : undefined;
  const second = b?.redact && b.redact.length > 0 ? b.redact : undefined;
  if (!second) return first;
  if (!first) return second;
  return [...first, ...second];
}

/** The InterceptContext view of a tool definition from a tools/list answer. */
export function toToolInfo(tool: Record<string, unknown>, exposedName: string): ToolInfo {
  return {
    name: exposedName,
    backendName: tool.name as string,
    title: tool.title as string | undefined,
    description: tool.description as string | undefined,
    annotations: tool.annotations as Record<string, unknown> | undefined,
    inputSchema: tool.inputSchema,
  };
}
