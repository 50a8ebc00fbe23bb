/**
 * transport/: moving JSON-RPC messages between mcp-warden and its peers. Framing (newline-delimited
 * JSON on stdio, Streamable HTTP with SSE, legacy HTTP+SSE), sessions and HTTP-level checks live
 * here; what a message means (policy, routing) does not. Every transport, ours or the SDK's,
 * implements the SDK's Transport interface so the proxy can pair any frontend with any backend.
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { ClientIdentity, TransportKind } from '../types.js';

export type { Transport, TransportSendOptions, JSONRPCMessage, MessageExtraInfo };

/** What a frontend knows about a newly connected client session. */
export interface ClientSessionInfo {
  /** Session id (the Mcp-Session-Id / SSE sessionId, or a generated id for stdio). */
  sessionId: string;
  transport: TransportKind;
  /** Who opened the session; over HTTP each message is then decided with its own request's identity (ClientTransport.client). */
  client: ClientIdentity;
}

/**
 * Implemented by the proxy: a frontend calls openSession once per client session, before calling
 * transport.start(), and the proxy takes over the transport (sets onmessage/onclose and starts it).
 */
export interface SessionAcceptor {
  openSession(transport: Transport, info: ClientSessionInfo): void | Promise<void>;
}
