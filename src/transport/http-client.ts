/**
 * Client transports to HTTP backends (Streamable HTTP and legacy HTTP+SSE), one per client session.
 * Both are our lean client transports (src/transport/http/streamable-client.ts, sse-client.ts):
 * they handle sessions, SSE streams, reconnection and the MCP-Protocol-Version header. The only
 * headers sent are the backend's own from warden.yaml (`headers`, `bearerToken`): the client's
 * credential is never forwarded, because nothing from the client's HTTP request reaches this
 * module.
 */
import type { HttpBackendConfig } from '../config/backends.js';
import { backendRequestHeaders } from '../identity/backend-credentials.js';
import { SseClientTransport } from './http/sse-client.js';
import { StreamableHttpClientTransport } from './http/streamable-client.js';
import type { Transport } from './types.js';

/** Headers for one backend: its configured headers plus `Authorization: Bearer` when a token is set. */
export function backendHeaders(config: Pick<HttpBackendConfig, 'headers' | 'bearerToken'>): Record<string, string> {
  return backendRequestHeaders(config);
}

export interface HttpBackendTransport extends Transport {
  /** Ends the upstream session (Streamable HTTP: DELETE with Mcp-Session-Id) before closing. */
  terminateSession?: () => Promise<void>;
}

export function createHttpBackendTransport(config: HttpBackendConfig): HttpBackendTransport {
  const url = new URL(config.url);
  const headers = backendHeaders(config);
  // Our lean clients (src/transport/http/): the SDK's cost about 1 ms of CPU per call.
  if (config.transport === 'sse') return new SseClientTransport(url, { headers });
  return new StreamableHttpClientTransport(url, { headers });
}
