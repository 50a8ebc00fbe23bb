/**
 * Client transports to HTTP backends (Streamable HTTP and legacy HTTP+SSE), one per client session.
 * Both are our lean client transports (src/transport/http/streamable-client.ts, sse-client.ts):
 * they handle sessions, SSE streams, reconnection and the MCP-Protocol-Version header. The headers
 * sent are exactly the ones handed in (computed by identity/ from the backend's `headers` and
 * `bearerToken` in warden.yaml, wired by cli/): the client's credential is never forwarded, because
 * nothing from the client's HTTP request reaches this module.
 */
import type https from 'node:https';
import type { HttpBackendConfig } from '../config/backends.js';
import { SseClientTransport } from './http/sse-client.js';
import { StreamableHttpClientTransport } from './http/streamable-client.js';
import type { Transport } from './types.js';

export interface HttpBackendTransport extends Transport {
  /** Ends the upstream session (Streamable HTTP: DELETE with Mcp-Session-Id) before closing. */
  terminateSession?: () => Promise<void>;
}

/** `headers`: every header the backend gets (its own credential), as resolved by identity/. */
/** `agent`: the backend's own https pool (backends[].tls, made once per backend); default the shared one. */
export function createHttpBackendTransport(
  config: Pick<HttpBackendConfig, 'url' | 'transport'>,
  headers: Readonly<Record<string, string>>,
  agent?: https.Agent,
): HttpBackendTransport {
  const url = new URL(config.url);
  // Our lean clients (src/transport/http/): the SDK's cost about 1 ms of CPU per call.
  if (config.transport === 'sse') return new SseClientTransport(url, { headers, agent });
  return new StreamableHttpClientTransport(url, { headers, agent });
}
