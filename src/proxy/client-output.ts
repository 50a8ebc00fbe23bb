/**
 * What a client session sends its client: an answer to a client request is recorded first
 * (finish: the audit record built from the exchange, the recorder's back-pressure awaited, and a
 * refused record failing closed with -32004 instead of the answer), then sent, as a message or as
 * text already serialized (a backend's line with the client's id, or the result's JSON made once for
 * the record and the client alike); anything else (notifications, the proxy's own errors) is sent
 * as is. Nothing goes out once the session is closed; a failed send is logged at debug (the
 * client's transport reports its own end).
 */
import { SENT } from '../transport/ndjson.js';
import type { JSONRPCMessage } from '../transport/types.js';
import type { AuditOutcome, Decision } from '../types.js';
import { answerText, buildRecord, type Exchange } from './intercept.js';
import { errorResponse, RPC, type RequestId, type RpcMessage } from './jsonrpc.js';
import type { ClientSession } from './session.js';

export class ClientOutput {
  constructor(private readonly s: ClientSession) {}

  /** Records the exchange (awaiting back-pressure), then sends the answer. A recorder failure fails closed. */
  /** `line`: the answer already serialized (a backend's text with the client's id), sent instead of `answer`'s JSON. */
  /** `settled`: told, once, whether the answer goes out (true, just before) or was withheld (a refused record). */
  finish(ex: Exchange, answer: RpcMessage, outcome: AuditOutcome, backendMicros?: number, responseBytes?: number, redact?: Decision['redact'], to?: (m: RpcMessage) => void, line?: string, settled?: (reached: boolean) => void): void {
    const deliver = to ?? this.sendAnswer;
    const recorder = this.s.shared.recorder;
    if (recorder.discardsRecords === true) {
      settled?.(true);
      if (line === undefined) deliver(answer);
      else this.sendLine(line, answer);
      return;
    }
    let pending: void | Promise<void>;
    try {
      // A request forwarded unparsed (recorded raw, but its answer was not): its context from its bytes.
      if (ex.unparsedRequest !== undefined) this.s.completeContext(ex);
      const record = buildRecord(ex, outcome, answer, backendMicros, responseBytes, redact);
      // The client's copy reuses the result's JSON made for the record (one serialization of it).
      if (line === undefined && to === undefined && record.resultJson !== undefined) line = answerText(answer, record.resultJson);
      pending = recorder.record(record);
    } catch (err) {
      settled?.(false);
      return deliver(this.auditFailure(ex.originalId, err));
    }
    if (pending === undefined) {
      settled?.(true);
      if (line === undefined) deliver(answer);
      else this.sendLine(line, answer);
    } else {
      pending.then(
        () => {
          settled?.(true);
          if (line === undefined) deliver(answer);
          else this.sendLine(line, answer);
        },
        (err: unknown) => {
          settled?.(false);
          deliver(this.auditFailure(ex.originalId, err));
        },
      );
    }
  }

  /** The answer to request `id` when its audit record was refused. */
  auditFailure(id: RequestId, err: unknown): RpcMessage {
    this.s.shared.logger.error({ err: (err as Error)?.message }, 'audit record refused; failing closed');
    return errorResponse(id, RPC.AUDIT_UNAVAILABLE, 'audit log unavailable: request not completed');
  }

  private readonly sendAnswer = (message: RpcMessage): void => this.send(message);

  send(message: RpcMessage, relatedRequestId?: RequestId): void {
    if (this.s.state === 'closed') return;
    const sent = relatedRequestId === undefined ? this.s.transport.send(message as JSONRPCMessage) : this.s.transport.send(message as JSONRPCMessage, { relatedRequestId });
    if (sent !== SENT) sent.catch(this.onSendError);
  }

  /** Sends a message already serialized as `text` (stdio), or `message` serialized by the transport. */
  sendLine(text: string, message: RpcMessage): void {
    if (this.s.state === 'closed') return;
    const t = this.s.transport;
    const sent = t.sendLine === undefined ? t.send(message as JSONRPCMessage) : t.sendLine(text, message as JSONRPCMessage);
    if (sent !== SENT) sent.catch(this.onSendError);
  }

  private readonly onSendError = (err: Error): void => {
    this.s.shared.logger.debug({ session: this.s.info.sessionId, err: err.message }, 'could not send to client');
  };
}
