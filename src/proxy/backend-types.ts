/**
 * The contract between a BackendConnection and the rest of the proxy: what a backend (or client)
 * transport may offer beyond the SDK's Transport (a child's exit, the text of the message being delivered, sending
 * and taking lines as text), how a backend is specified, the events its session receives, and the
 * requests the proxy itself sends a backend (InternalCall).
 */
import type { AuditOutcome, ClientIdentity, TransportKind } from '../types.js';
import type { ChildExit } from '../transport/child-process.js';
import type { JSONRPCMessage, Transport } from '../transport/types.js';
import type { BackendConnection } from './backend.js';
import type { FlowControlled } from './flow.js';
import type { Exchange } from './intercept.js';
import type { RpcMessage } from './jsonrpc.js';

/** A transport that may also report a child's exit and the size of the message being delivered. */
export type BackendTransport = Transport & FlowControlled & {
  onexit?: (exit: ChildExit) => void;
  readonly lastMessageBytes?: number;
  /** The text of the message being delivered (stdio). */
  readonly lastMessageText?: string;
  /** Sends a message already serialized (stdio). */
  sendLine?(text: string, message: JSONRPCMessage): Promise<void>;
  /** Sends a line passed on unparsed, src[start, end), with the id at src[idStart, idEnd) replaced by `id` (stdio). */
  sendSpliced?(src: Buffer, start: number, idStart: number, idEnd: number, end: number, id: string | number, message: JSONRPCMessage): Promise<void>;
  /** Offered each incoming line's bytes before it is parsed (stdio); set before start(). */
  takeLine?: (buf: Buffer, start: number, end: number) => boolean;
  terminateSession?: () => Promise<void>;
};

/** A client session's transport: the SDK's Transport, and what our stdio transport adds. */
export type ClientTransport = Transport & FlowControlled & {
  /** The client closed its input (stdio EOF); the owner closes the transport when it is done (NdjsonTransport.oninputend). */
  oninputend?: () => void;
  /**
   * The client gave up its request `id` without cancelling it (HTTP: the connection its answer was
   * due on closed, or the write-stall watchdog closed it): no answer can reach it any more.
   */
  onabandon?: (id: string | number, reason: string) => void;
  readonly lastMessageBytes?: number;
  /** Offered each line's bytes before it is parsed (stdio; NdjsonTransport.takeLine). */
  takeLine?: (buf: Buffer, start: number, end: number) => boolean;
  /** The text of the message being delivered by onmessage (stdio). */
  readonly lastMessageText?: string;
  /**
   * The identity the message being delivered by onmessage was authenticated with (HTTP: every
   * request on its own; transport/http/request-identity.ts). Absent: the session's, fixed (stdio).
   */
  readonly client?: ClientIdentity;
  sendLine?(text: string, message: JSONRPCMessage): Promise<void>;
  sendSpliced?(src: Buffer, start: number, idStart: number, idEnd: number, end: number, id: string | number, message: JSONRPCMessage): Promise<void>;
};

export interface BackendSpec {
  index: number;
  name: string;
  transport: TransportKind;
  timeoutMs: number;
  /** false: a dead backend is not restarted (wrap: its exit ends mcp-warden). */
  restart: { initialDelayMs: number; maxDelayMs: number } | false;
  createTransport(): BackendTransport;
}

export interface BackendEvents {
  /**
   * An answer to `ex` (which allows it: ex.answerAsText) as the backend's line, src[start, end),
   * unparsed, its id written at src[idStart, idEnd) (to be replaced by the client's; read the bytes
   * synchronously), not yet checked to be valid UTF-8. Returns false when it must be parsed after
   * all (e.g. the audit now records, or the line is not valid UTF-8).
   */
  onAnswerBytes(backend: BackendConnection, ex: Exchange, src: Buffer, start: number, idStart: number, idEnd: number, end: number): boolean;
  /** `line`: the message's text as received, when the transport keeps it. */
  onResponse(backend: BackendConnection, ex: Exchange, message: RpcMessage, bytes: number | undefined, line: string | undefined): void;
  /** A forwarded request will get no answer from the backend (death, timeout, send failure). */
  onFailed(backend: BackendConnection, ex: Exchange, code: number, message: string, outcome: AuditOutcome): void;
  onServerRequest(backend: BackendConnection, message: RpcMessage): void;
  onNotification(backend: BackendConnection, message: RpcMessage): void;
  /** More than the high-water mark waits to be written to the backend (true), or it has drained (false). */
  onBacklog(backend: BackendConnection, backedUp: boolean): void;
  /** The backend came back after a restart. */
  onRecovered(backend: BackendConnection): void;
  /**
   * The backend's transport went away (the process died, the upstream session was lost), `why`
   * saying so: whatever it asked the client can no longer be answered to it (a restarted backend
   * numbers its own requests anew, and would take a late answer for one of its new requests).
   */
  onGone(backend: BackendConnection, why: string): void;
  /**
   * The proxy is shutting down (or this session closing): a backend's exit now is expected (logged
   * at debug, not warn) and not restarted. A signal sent to the whole process group (Ctrl-C, systemd
   * stop) reaches the backends as well as us.
   */
  shuttingDown(): boolean;
  /** The backend is gone for good (restarts off). */
  onExit(backend: BackendConnection, exit: ChildExit | undefined): void;
}

/** A request the proxy itself sends a backend (initialize at start and restart, tool lists): answered to `resolve`. */
export class InternalCall {
  constructor(
    readonly method: string,
    readonly resolve: (message: RpcMessage) => void,
    readonly sentAt: number,
    /** Starting a backend (spawn, npx download) may take longer than answering a request. */
    readonly timeoutMs: number,
  ) {}
}
