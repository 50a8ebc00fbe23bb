/**
 * DNS rebinding protection for the HTTP frontends: the Host header must name this server and an
 * Origin header, when a browser sends one, must be an allowed origin. Defaults are loopback only
 * (localhost, 127.0.0.1, [::1], with or without the bound port, plus the configured bind host), so
 * a web page that rebinds its own name to 127.0.0.1 cannot reach mcp-warden. Configured entries:
 * allowedHosts "name" matches that name on any port, "name:port" only that port, "*" disables the
 * check; allowedOrigins are compared as scheme://host[:port], "*" allows any origin.
 *
 * Browsers send no Origin on a cross-site request that is not CORS (an <img>, <script> or link to
 * the SSE path, a navigation), but they do send Sec-Fetch-Site: such a request with `cross-site` or
 * `same-site` and no Origin is refused like a foreign Origin (unless allowedOrigins has "*"). Clients
 * that are not browsers send neither header and are judged by Host (and their credential) alone.
 */

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export interface HostOriginOptions {
  allowedHosts?: string[];
  allowedOrigins?: string[];
  /** The configured bind host (server.host). */
  bindHost: string;
}

export type GuardFailure = { status: 403; message: string };

export class HostOriginGuard {
  private readonly anyHost: boolean;
  private readonly anyOrigin: boolean;
  /** Exact `host[:port]` values accepted. */
  private readonly exactHosts = new Set<string>();
  /** Host names accepted on any port. */
  private readonly anyPortHosts = new Set<string>();
  private readonly origins: Set<string> | undefined;
  /** Origins already judged (browsers send the same few over and over). Bounded. */
  private readonly originVerdicts = new Map<string, boolean>();

  constructor(options: HostOriginOptions) {
    const hosts = options.allowedHosts;
    this.anyHost = hosts?.includes('*') ?? false;
    if (hosts && hosts.length > 0) {
      for (const entry of hosts) this.addHostEntry(entry.toLowerCase());
    } else {
      for (const name of LOOPBACK_NAMES) this.anyPortHosts.add(name);
      const bind = options.bindHost.toLowerCase();
      if (bind !== '0.0.0.0' && bind !== '::' && bind !== '') this.anyPortHosts.add(bind.includes(':') ? `[${bind}]` : bind);
    }
    const origins = options.allowedOrigins;
    this.anyOrigin = origins?.includes('*') ?? false;
    this.origins = origins && origins.length > 0 ? new Set(origins.map((o) => o.toLowerCase().replace(/\/+$/, ''))) : undefined;
  }

  private addHostEntry(entry: string): void {
    // "[::1]:8080" / "name:8080" have a port; "[::1]" / "name" do not.
    const portSep = entry.lastIndexOf(':');
    const hasPort = portSep > entry.lastIndexOf(']') && portSep !== -1;
    if (hasPort) this.exactHosts.add(entry);
    else this.anyPortHosts.add(entry);
  }

  /** Returns undefined when the request may proceed, else why it is refused (HTTP 403). */
  check(host: string | undefined, origin: string | undefined, fetchSite?: string | string[]): GuardFailure | undefined {
    if (!this.anyHost && !this.hostAllowed(host)) {
      return { status: 403, message: `Forbidden: Host header ${JSON.stringify(host ?? '')} is not allowed (DNS rebinding protection; see server.allowedHosts)` };
    }
    if (origin === undefined && !this.anyOrigin && (fetchSite === 'cross-site' || fetchSite === 'same-site')) {
      return { status: 403, message: `Forbidden: a ${fetchSite} browser request without an Origin header is not allowed (see server.allowedOrigins)` };
    }
    if (origin !== undefined && !this.anyOrigin && !this.originAllowed(origin)) {
      return { status: 403, message: `Forbidden: Origin ${JSON.stringify(origin)} is not allowed (see server.allowedOrigins)` };
    }
    return undefined;
  }

  private hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    if (this.exactHosts.has(host) || this.anyPortHosts.has(host)) return true;
    const lower = host.toLowerCase();
    if (this.exactHosts.has(lower)) return true;
    const portSep = lower.lastIndexOf(':');
    const name = portSep > lower.lastIndexOf(']') && portSep !== -1 ? lower.slice(0, portSep) : lower;
    return this.anyPortHosts.has(name);
  }

  private originAllowed(origin: string): boolean {
    const known = this.originVerdicts.get(origin);
    if (known !== undefined) return known;
    const verdict = this.judgeOrigin(origin);
    if (this.originVerdicts.size >= 256) this.originVerdicts.clear();
    this.originVerdicts.set(origin, verdict);
    return verdict;
  }

  private judgeOrigin(origin: string): boolean {
    const lower = origin.toLowerCase();
    if (this.origins) return this.origins.has(lower);
    let url: URL;
    try {
      url = new URL(lower);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return LOOPBACK_HOSTNAMES.has(url.hostname);
  }
}
