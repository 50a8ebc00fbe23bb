/**
 * What mcp-warden's two HTTP backend clients (Streamable HTTP and legacy SSE) share: one pair of
 * keep-alive connection pools for every backend (an https backend with its own TLS settings has its own), the request function for a URL's scheme, and the
 * error an HTTP error answer becomes.
 */
import http, { type ClientRequest } from 'node:http';
import https from 'node:https';
import { BACKLOG_HIGH_BYTES } from '../ndjson.js';
import { BackendTlsAgent } from './backend-tls-agent.js';

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });
// rejectUnauthorized explicit: NODE_TLS_REJECT_UNAUTHORIZED=0 in our environment changes only the default.
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo', rejectUnauthorized: true });

/**
 * Connections for the streams a backend session holds open for as long as it lives (the Streamable
 * HTTP standalone GET, the legacy SSE stream): not from the pools above, whose 256 sockets per
 * backend they would take for good (with 256 client sessions open every request to that backend,
 * from every client, queued forever). One connection per stream, closed with it; their number is
 * bounded by the client sessions (server.maxSessions).
 */
const httpStreamAgent = new http.Agent({ keepAlive: false });
const httpsStreamAgent = new https.Agent({ keepAlive: false, rejectUnauthorized: true });
/** The stream agent of each backend's own https pool (backends[].tls): the same TLS options. */
const streamAgents = new WeakMap<https.Agent, https.Agent>();

function streamAgentOf(agent: https.Agent): https.Agent {
  // A rotated pool (backend-tls-rotation.ts): its stream agent follows the files in force.
  if (agent instanceof BackendTlsAgent) return agent.streamAgent();
  let stream = streamAgents.get(agent);
  if (stream === undefined) {
    stream = new https.Agent({ ...agent.options, keepAlive: false, maxSockets: Infinity, rejectUnauthorized: true });
    streamAgents.set(agent, stream);
  }
  return stream;
}

export interface BackendConnector {
  request: typeof http.request;
  /** The keep-alive pool, for requests (POST, DELETE, a resumed answer). */
  agent: http.Agent;
  /** For the session's long-lived streams (standalone GET, legacy SSE stream): outside the pool. */
  streamAgent: http.Agent;
}

/**
 * The request function and the keep-alive pool for this URL's scheme: the shared one, or for an
 * https URL the backend's own `agent` (backends[].tls: its CA, client certificate, server name),
 * and the agent its long-lived streams use.
 */
export function connectorFor(url: URL, agent?: https.Agent): BackendConnector {
  if (url.protocol !== 'https:') return { request: http.request, agent: httpAgent, streamAgent: httpStreamAgent };
  return { request: https.request, agent: agent ?? httpsAgent, streamAgent: agent === undefined ? httpsStreamAgent : streamAgentOf(agent) };
}

/**
 * The bytes of a backend transport's message bodies not yet handed to the operating system: POSTs
 * waiting for a socket of the pool (all 256 busy with requests the backend has not answered), or
 * that the backend is not reading. Past BACKLOG_HIGH_BYTES (as for a stdio backend's pipe) the
 * transport reports a backlog (onbacklog: the proxy stops taking the client's messages), and again
 * once half of that is left. Each message's POST is sent at once whatever the backend does, so
 * without this a client's messages to a backend that answered slowly queued in memory without bound.
 */
export class UnsentBodies {
  private bytes = 0;
  private backedUp = false;

  constructor(private readonly report: (backedUp: boolean) => void) {}

  /** Counts `req`'s body of `size` bytes until it is written out ('finish') or the request ends ('close'). */
  track(req: ClientRequest, size: number): void {
    this.bytes += size;
    let counted = true;
    const settle = (): void => {
      if (!counted) return;
      counted = false;
      this.bytes -= size;
      if (this.backedUp && this.bytes <= BACKLOG_HIGH_BYTES / 2) {
        this.backedUp = false;
        this.report(false);
      }
    };
    req.once('finish', settle);
    req.once('close', settle);
    if (!this.backedUp && this.bytes > BACKLOG_HIGH_BYTES) {
      this.backedUp = true;
      this.report(true);
    }
  }

  /** The transport closed: no backlog any more (its requests are destroyed). */
  release(): void {
    if (!this.backedUp) return;
    this.backedUp = false;
    this.report(false);
  }
}

/**
 * A backend URL as errors and logs may show it: origin and path, without the userinfo or query
 * string, which can hold the backend's credential (an error reaches the MCP client).
 */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * The backend's own credential as its error pages may echo it back: each configured header value,
 * the token of an "<scheme> <token>" value, and the URL's password. Values under 8 characters are
 * left out (masking them would garble the text and protect nothing).
 */
export function credentialValues(headers: Readonly<Record<string, string>> | undefined, url?: URL): string[] {
  const values = new Set<string>();
  const add = (v: string) => {
    if (v.length >= 8) values.add(v);
  };
  for (const value of Object.values(headers ?? {})) {
    add(value);
    const scheme = /^\S+\s+(\S+)$/.exec(value);
    if (scheme) add(scheme[1]!);
  }
  if (url !== undefined && url.password !== '') add(decodeURIComponent(url.password));
  // Longest first, so a value containing another is masked whole.
  return [...values].sort((a, b) => b.length - a.length);
}

/** An HTTP error answer from the backend (status and the start of its body, its credential masked). */
export class BackendHttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
    credentials: readonly string[] = [],
  ) {
    // The whole body (callers read at most a few KiB) before cutting: a long token may start in the kept part.
    let text = body;
    for (const value of credentials) if (text.includes(value)) text = text.split(value).join('[redacted]');
    super(`backend answered HTTP ${status}${text ? `: ${text.slice(0, 300)}` : ''}`);
  }
}

const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);

/**
 * A failed connection to a backend as its error says it: a TLS failure in words that say which
 * backends[].tls setting it is about (OpenSSL's own text is a line of routine names); any other
 * error as it is.
 */
export function connectionError(error: NodeJS.ErrnoException): Error {
  const code = error.code ?? '';
  let text: string | undefined;
  if (UNTRUSTED.has(code)) text = `the backend's certificate is not trusted (${error.message}): set backends[].tls.caFile to the CA that signed it`;
  else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') text = `${error.message.replace(/\.$/, '')} (backends[].tls.serverName sets the name expected)`;
  else if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') text = `the backend's certificate is not valid now (${error.message})`;
  else if (/^ERR_SSL_TLSV13?_ALERT_CERTIFICATE_REQUIRED$/.test(code)) text = 'the backend requires a client certificate: set backends[].tls.certFile and keyFile';
  else if (/^ERR_SSL_(TLSV1|SSLV3)_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR|ACCESS_DENIED)$/.test(code)) text = `the backend refused our client certificate (${code.replace(/^ERR_SSL_\w+_ALERT_/, '').toLowerCase().replace(/_/g, ' ')})`;
  if (text === undefined) return error;
  const wrapped = new Error(`TLS: ${text}`) as NodeJS.ErrnoException;
  wrapped.code = code;
  return wrapped;
}
