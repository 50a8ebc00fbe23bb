/**
 * Client transports to HTTP backends (Streamable HTTP and legacy HTTP+SSE), one per client session.
 * Streamable HTTP uses our lean client transport (src/transport/http/streamable-client.ts), legacy
 * SSE the SDK's: they handle sessions, SSE streams, reconnection and the MCP-Protocol-Version
 * header. The only headers sent are the backend's own from warden.yaml (`headers`, `bearerToken`):
 * the client's credential is never forwarded, because nothing from the client's HTTP request
 * reaches this module.
 */
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { HttpBackendConfig } from '../config/backends.js';
import { StreamableHttpClientTransport } from './http/streamable-client.js';
import type { Transport } from './types.js';

/** Headers for one backend: its configured headers plus `Authorization: Bearer` when a token is set. */
export function backendHeaders(config: Pick<HttpBackendConfig, 'headers' | 'bearerToken'>): Record<string, string> {
  const headers: Record<string, string> = { ...config.headers };
  if (config.bearerToken) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === 'authorization') delete headers[key];
    headers.Authorization = `Bearer ${config.bearerToken}`;
  }
  return headers;
}

export interface HttpBackendTransport extends Transport {
  /** Ends the upstream session (Streamable HTTP: DELETE with Mcp-Session-Id) before closing. */
  terminateSession?: () => Promise<void>;
}

export function createHttpBackendTransport(config: HttpBackendConfig): HttpBackendTransport {
  const url = new URL(config.url);
  const requestInit: RequestInit = { headers: backendHeaders(config) };
  if (config.transport === 'sse') return new SSEClientTransport(url, { requestInit });
  // Our lean client (src/transport/http/streamable-client.ts): the SDK's costs ~1 ms CPU per call.
  return new StreamableHttpClientTransport(url, { headers: backendHeaders(config) });
}
