/**
 * What mcp-warden's two HTTP backend clients (Streamable HTTP and legacy SSE) share: one pair of
 * keep-alive connection pools for every backend, the request function for a URL's scheme, and the
 * error an HTTP error answer becomes.
 */
import http from 'node:http';
import https from 'node:https';

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });

export interface BackendConnector {
  request: typeof http.request;
  agent: http.Agent;
}

/** The request function and the shared keep-alive pool for this URL's scheme. */
export function connectorFor(url: URL): BackendConnector {
  return url.protocol === 'https:' ? { request: https.request, agent: httpsAgent } : { request: http.request, agent: httpAgent };
}

/** An HTTP error answer from the backend (status and the start of its body). */
export class BackendHttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`backend answered HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
  }
}
