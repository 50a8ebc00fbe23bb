/**
 * `mcp-warden serve [--config warden.yaml]`: the configured backends behind the HTTP frontends
 * (Streamable HTTP and legacy SSE) and, with server.stdio, one stdio client on our stdin/stdout.
 * With no config file: the embedded default (the bundled demo backend, the default policy, audit in
 * ./data/audit.db, http://127.0.0.1:8080/mcp, anonymous local clients allowed). SIGINT/SIGTERM
 * close every session and end every child backend.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfigFile, validateConfig } from '../../config/load.js';
import type { WardenConfig } from '../../config/schema.js';
import { oauthMetadataPlugin } from '../../identity/index.js';
import { registerAdminRoutes } from '../../admin/index.js';
import { registerMetricsRoute } from '../../admin/metrics.js';
import { registerSessionRoutes } from '../../admin/sessions.js';
import { DecisionCounter } from '../../policy/decision-counter.js';
import type { AuditStore } from '../../audit/index.js';
import { createLogger } from '../../log/logger.js';
import { WardenProxy } from '../../proxy/proxy.js';
import { ConfigReload, sectionTexts } from '../config-reload.js';
import { checkConfigFile } from '../config-trust.js';
import { CliError, EXIT } from '../errors.js';
import { metricsSnapshot } from '../metrics-snapshot.js';
import { sessionControl } from '../session-control.js';
import { openStdioSession, outputWritten } from '../run-stdio.js';
import { backendAgents, backendTls, serverTlsMaterial, warnTlsEnvironment, watchBackendTls } from '../tls.js';
import { ServerTlsRotation } from '../../transport/http/tls-rotation.js';
import { validityProblem, type TlsFileWarning } from '../../transport/http/tls-material.js';
import { logLevel, proxyOptions, wire, type WiringContext } from '../wiring.js';

interface ServeOptions {
  config?: string;
  host?: string;
  port?: string;
  stdio?: boolean;
  http?: boolean;
}

/** Whether a bind address only accepts connections from this machine. */
function loopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

/**
 * Whether a header (or a URL query parameter), by its name, carries a credential: the usual ones,
 * and any name with token, key, secret, auth, passw(or)d, credential, session, signature or jwt in it.
 */
export function credentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_HEADERS.has(lower) || /token|key|secret|auth|passw|pwd|credential|session|signature|jwt/.test(lower);
}

/** A header value that is a credential whatever the header's name: an HTTP authentication scheme and its parameter. */
const SCHEME_VALUE = /^\s*(bearer|basic|digest|token|apikey)\s+\S/i;

/**
 * HTTP backends given a credential (bearerToken, a credential header, userinfo or a credential query parameter in the URL) over
 * plain http to another host: whoever is on the network path reads the credential (and every call)
 * as it goes. Other headers (a tenant name, a trace flag) are no credential: no warning for them.
 */
export function plainHttpCredentialBackends(config: WardenConfig): string[] {
  return config.backends.flatMap((b) => {
    if (b.transport === 'stdio') return [];
    const url = new URL(b.url);
    const hasCredential =
      b.bearerToken !== undefined ||
      Object.entries(b.headers).some(([name, value]) => credentialHeader(name) || SCHEME_VALUE.test(value)) ||
      [...url.searchParams.keys()].some(credentialHeader) ||
      url.username !== '' ||
      url.password !== '';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return url.protocol === 'http:' && hasCredential && !loopbackHost(host) ? [b.name] : [];
  });
}

/** The configuration `serve` runs without a file. */
export function embeddedDefaultConfig(): Record<string, unknown> {
  const demo = fileURLToPath(new URL('../../demo/server.js', import.meta.url));
  return {
    backends: [{ name: 'demo', transport: 'stdio', command: process.execPath, args: [demo] }],
    auth: { anonymous: true },
  };
}

/** `file` and `sections` (its settings as read, before the command-line overrides) when there is a config file, for its reload. */
function loadServeConfig(opts: ServeOptions): { config: WardenConfig; baseDir: string; warnings: string[]; file?: string; sections?: Map<string, string> } {
  let config: WardenConfig;
  let baseDir = process.cwd();
  let warnings: string[] = [];
  let file: string | undefined;
  let sections: Map<string, string> | undefined;
  if (opts.config) {
    const loaded = loadConfigFile(opts.config);
    config = loaded.config;
    baseDir = loaded.baseDir;
    file = loaded.file;
    sections = sectionTexts(config);
    // Refused (exit 3) when other users may write it; warnings logged once the logger is up.
    warnings = checkConfigFile(loaded.file, config);
  } else {
    config = validateConfig(embeddedDefaultConfig(), '(embedded default)');
  }
  if (opts.host !== undefined) config.server.host = opts.host;
  if (opts.port !== undefined) {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port: expected 0-65535, got ${opts.port}`, EXIT.USAGE);
    config.server.port = port;
  }
  if (opts.stdio) config.server.stdio = true;
  return { config, baseDir, warnings, ...(file === undefined ? {} : { file, sections }) };
}

async function runServe(opts: ServeOptions): Promise<void> {
  const { config, baseDir, warnings: configWarnings, file: configFile, sections } = loadServeConfig(opts);
  // Before anything is opened (audit database, policy watch): nothing would end them.
  if (opts.http === false && !config.server.stdio) throw new CliError('nothing to serve: enable the HTTP frontend or server.stdio (--stdio)', EXIT.USAGE);
  // TLS files too: a bad one is a config error (exit 3) before anything is opened.
  // A TLS file others may write is refused there too; weaker permissions (a key readable by everyone) are logged below.
  const tlsWarnings: TlsFileWarning[] = [];
  const tlsMaterial = opts.http === false ? undefined : serverTlsMaterial(config, baseDir, (w) => tlsWarnings.push(w));
  const backendsTls = backendTls(config, baseDir, (w) => tlsWarnings.push(w));
  const agents = backendAgents(backendsTls);
  const logger = createLogger({ level: logLevel(config) });
  for (const w of configWarnings) logger.warn(w);
  for (const w of tlsWarnings) logger.warn({ setting: w.setting, file: w.file }, `tls: ${w.setting} ${w.file}: ${w.reason}`);
  const ctx: WiringContext = { config, baseDir, logger, servesHttp: opts.http !== false, backendAgents: agents };
  const wired = wire(ctx);
  // Refusal lines (401/403, flow limits, stalled answers) repeated for one reason and client: first N per interval, then a count (log.refusals; made by wire, as for wrap).
  const refusals = ctx.refusals!;
  // Decisions counted (around the policy and its rate limit) for GET <admin prefix>/metrics.
  const policyHandle = wired.decider as { readonly version?: string };
  const counter = new DecisionCounter(wired.decider);
  wired.decider = counter;
  const proxy = new WardenProxy(proxyOptions(ctx, wired));
  // warden.yaml watched (and read again on SIGHUP): a new auth.clientCertificates is used without restart.
  const configReload =
    configFile !== undefined && sections !== undefined
      ? new ConfigReload({ file: configFile, sections, clientCertificates: config.auth.clientCertificates, applyClientCertificates: (entries) => wired.authenticator.setClientCertificates(entries), logger: logger.child({ component: 'config' }) })
      : undefined;

  // Loaded here, not at the top: fastify is not needed by the other commands (wrap starts faster).
  const { createHttpFrontend } = await import('../../transport/http/index.js');
  const http = opts.http === false ? undefined : createHttpFrontend({ config: config.server, acceptor: proxy, authenticator: wired.authenticator, logger, refusals, tls: tlsMaterial });
  // server.tls's files watched: a new certificate is used for new connections without restart.
  let rotation: ServerTlsRotation | undefined;
  // backends[].tls's files watched: a new client certificate or CA is used for new connections without restart.
  const backendRotation = watchBackendTls(backendsTls, baseDir, logger.child({ component: 'tls' }));
  // Admin API (audit queries) on the same listener, behind admin tokens separate from MCP clients' keys.
  const store = 'query' in wired.recorder ? (wired.recorder as AuditStore) : undefined;
  const adminRoutes = http && store ? registerAdminRoutes(http.app, { store, config, logger }) : undefined;
  if (http) {
    registerMetricsRoute(http.app, config.admin, () => ({ ...metricsSnapshot(proxy, counter, policyHandle.version, store && (() => store.counters())), ...(adminRoutes && { adminReadTimeouts: adminRoutes.readTimeouts(), adminVerifiesRefused: adminRoutes.verifiesRefused() }) }), logger);
    // Live sessions listed and ended by an admin (a runaway agent), behind the same admin tokens.
    registerSessionRoutes(http.app, config.admin, sessionControl(proxy), logger);
  }
  // Liveness for container and orchestrator probes: no credential, no session, says nothing about backends.
  http?.app.get('/healthz', { exposeHeadRoute: false }, async () => ({ status: 'ok' }));
  // OAuth protected-resource metadata (RFC 9728), unauthenticated, when auth.oauth is configured.
  if (http && config.auth.oauth) void http.app.register(oauthMetadataPlugin, { oauth: config.auth.oauth, extraPaths: [config.server.mcpPath, config.server.ssePath] });
  let exiting = false;
  // A signal ends the wait for the client to read what is left of our output (shutdown).
  let signalled: () => void = () => undefined;
  const signal = new Promise<void>((resolve) => (signalled = resolve));
  /** Ends everything that keeps the process alive: sessions and backends, the listener, the audit writer, the policy watch. */
  const stop = async (): Promise<void> => {
    // Before the HTTP frontend closes its sessions: their backends' exits are expected from here on.
    proxy.beginShutdown();
    rotation?.close();
    backendRotation.close();
    configReload?.close();
    await http?.close().catch(() => undefined);
    await proxy.close();
    await wired.recorder.close().catch(() => undefined);
    wired.decider.close?.();
    // The counts of refusal lines left out in the current interval, before the log is flushed.
    refusals.close();
    logger.flush?.();
  };
  const shutdown = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    logger.info('shutting down');
    await stop();
    // What the stdio client has not read yet still goes out (it may read slowly after closing its input).
    await outputWritten(process.stdout, signal);
    process.exit(code);
  };
  // The audit log can no longer record (logged at fatal level): every call is refused; stop, non-zero.
  ctx.onAuditFailure = () => void shutdown(EXIT.RUNTIME);
  process.once('SIGINT', () => {
    signalled();
    void shutdown(EXIT.OK);
  });
  process.once('SIGTERM', () => {
    signalled();
    void shutdown(EXIT.OK);
  });

  warnTlsEnvironment(logger);
  for (const name of plainHttpCredentialBackends(config)) {
    logger.warn({ backend: name }, 'backend is reached over plain http on another host with a credential (bearerToken, a credential header, URL userinfo or query parameter): anyone on the network path can read it; use https');
  }
  if (http && config.auth.anonymous && !loopbackHost(config.server.host)) {
    // The Host/Origin check stops browsers (DNS rebinding), not a client that writes its own Host header.
    logger.warn(
      { host: config.server.host },
      'auth.anonymous is true and server.host is not a loopback address: anyone who can reach this port is served as client "anonymous"; configure API keys or JWT, or bind to 127.0.0.1',
    );
  }
  if (http && tlsMaterial && config.server.tls) {
    const { certificate } = tlsMaterial;
    logger.info({ ...certificate, clientCertificates: tlsMaterial.requestCert, minVersion: config.server.tls.minVersion }, 'tls: certificate in force');
    const problem = validityProblem({ notBefore: tlsMaterial.notBefore, notAfter: certificate.notAfter }, Date.now());
    if (problem !== undefined) logger.warn({ serial: certificate.serial, notBefore: tlsMaterial.notBefore, notAfter: certificate.notAfter }, `tls: ${problem}`);
  }
  if (http) {
    let urls: { url: string; sseUrl: string };
    try {
      urls = await http.listen();
    } catch (err) {
      // Everything opened so far is closed, so that the process exits (4) instead of living on, not listening.
      exiting = true;
      await stop();
      throw new CliError(`cannot listen on ${config.server.host}:${config.server.port}: ${(err as Error).message}`, EXIT.RUNTIME);
    }
    logger.info({ url: urls.url, sse: urls.sseUrl, backends: config.backends.map((b) => b.name) }, 'mcp-warden serving');
    if (tlsMaterial && config.server.tls) rotation = new ServerTlsRotation(config.server.tls, baseDir, tlsMaterial, (context) => http.setSecureContext(context), logger.child({ component: 'tls' }));
    // One plain line for people and scripts (tests read the port from it).
    process.stderr.write(`mcp-warden: listening on ${urls.url} (legacy SSE: ${urls.sseUrl})\n`);
  }
  if (config.server.stdio) {
    // The stdio client leaving ends a stdio-only server; with HTTP up, only its session closes.
    try {
      await openStdioSession(proxy, wired.authenticator, config.server.maxMessageBytes, () => {
        if (!http) void shutdown(EXIT.OK);
      });
    } catch (err) {
      // The stdio client refused (auth configured, no valid stdio key): everything is closed, the
      // listener too, so that the process exits with the error's code (3) instead of living on.
      exiting = true;
      await stop();
      throw err;
    }
  }
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the configured backends over Streamable HTTP, legacy SSE and optionally stdio')
    .option('--config <file>', 'warden.yaml (default: embedded demo configuration)')
    .option('--host <host>', 'override server.host')
    .option('--port <port>', 'override server.port (0: any free port)')
    .option('--stdio', 'also serve one client on stdin/stdout (server.stdio)')
    .option('--no-http', 'do not start the HTTP frontends (stdio only)')
    .action((opts: ServeOptions) => runServe(opts));
}
