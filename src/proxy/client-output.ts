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
import type { AuditOutcome, AuditRecord, Decision } from '../types.js';
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
    // An answer JSON.stringify cannot write (a backend's result or error nested deeper than its stack
    // goes: nothing bounds that side) can be neither recorded nor sent: the call is answered and
    // recorded, once, as the -32603 it gets without the audit; not refused as an audit failure
    // (-32004) with the call the backend ran in no row, nor recorded and then, when its send threw,
    // recorded again as the failure. An error answer is serialized here for that (a rare path); a
    // result, by buildRecord for the record and the client alike.
    let record: AuditRecord;
    try {
      if (line === undefined && answer.error !== undefined) {
        const text = JSON.stringify(answer);
        if (to === undefined) line = text;
      }
      // A request forwarded unparsed (recorded raw, but its answer was not): its context from its bytes.
      if (ex.unparsedRequest !== undefined) this.s.completeContext(ex);
      record = buildRecord(ex, outcome, answer, backendMicros, responseBytes, redact);
    } catch (err) {
      if (err instanceof RangeError) {
        const relay = errorResponse(ex.originalId, RPC.INTERNAL_ERROR, `Internal error in mcp-warden: the answer cannot be relayed: ${err.message}`);
        return this.finish(ex, relay, 'rpc_error', backendMicros, responseBytes, undefined, to, undefined, settled);
      }
      settled?.(false);
      return deliver(this.auditFailure(ex.originalId, err));
    }
    let pending: void | Promise<void>;
    try {
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
