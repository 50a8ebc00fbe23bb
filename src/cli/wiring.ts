/**
 * The seams where `wrap` and `serve` get their decision point, recorder and authenticator. Each is
 * one factory so the policy, audit and identity modules plug in with a one-line change here. Audit is
 * wired (audit/: SQLite at audit.path, or nothing with audit.enabled: false). Policy is wired (policy/). Identity is wired (identity/): HTTP clients need
 * a credential unless auth.anonymous; a stdio client is the local user when no auth is configured.
 * identity/ also computes what each backend is given (backendCredentials: its own headers or child
 * environment, never the client's credential), which wrap/serve hand to the proxy.
 */
import type https from 'node:https';
import type { WardenConfig } from '../config/schema.js';
import { secretEnvNames } from '../config/secret-env.js';
import { resolveLogLevel, type Logger } from '../log/logger.js';
import { RefusalLog } from '../log/refusal-log.js';
import { createRecorder as createAuditRecorder, disabledRecorder } from '../audit/index.js';
import { NoopRecorder } from '../proxy/noop-recorder.js';
import { ApiKeyConfigError, backendCredentialResolver, createAuthenticator as createIdentityAuthenticator, JwtConfigError, KeysFileError, type WardenAuthenticator } from '../identity/index.js';
import { CliError, EXIT } from './errors.js';
import { packageVersion } from './version.js';
import type { ProxyOptions } from '../proxy/proxy.js';
import type { BackendCredentialResolver, PolicyDecider, Recorder } from '../types.js';
import { createPolicyDecider as createRegoPolicyDecider, PolicyCompileError } from '../policy/index.js';
import { RateLimitedDecider } from '../policy/rate-limit.js';

/** The log level serve and wrap run at: log.level, else $MCP_WARDEN_LOG_LEVEL, else info; a bad variable exits 3. */
export function logLevel(config: WardenConfig): NonNullable<WardenConfig['log']['level']> {
  try {
    return resolveLogLevel(config.log.level);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.CONFIG);
  }
}

export interface WiringContext {
  config: WardenConfig;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  logger: Logger;
  /** Whether clients come over HTTP (serve) or only over stdio (wrap, serve --stdio): what auth warns about. */
  servesHttp?: boolean;
  /**
   * Rate limiting of refusal lines (config log.refusals), shared by the authenticator and the HTTP
   * frontend. Made by wire() from the config when not given, for serve and wrap alike; whoever
   * wired closes it at shutdown (the summaries of lines left out).
   */
  refusals?: RefusalLog;
  /** Told when the audit log can no longer record (audit/recorder.ts onFailure): serve and wrap stop, exit non-zero. */
  onAuditFailure?: (err: Error) => void;
  /** The https pool of each backend with `tls` settings (cli/tls.ts), made before wire(). */
  backendAgents?: ReadonlyMap<string, https.Agent>;
}

export interface Wired {
  decider: PolicyDecider & { close?: () => void };
  recorder: Recorder;
  /** Authenticator, with setClientCertificates for serve's config reload. */
  authenticator: WardenAuthenticator;
  /** For the proxy: each backend's own headers / child environment (client credentials stripped). */
  backendCredentials: BackendCredentialResolver;
}

/** policy/: the configured Rego policy (default pack: read-only rules), watched and reloaded on SIGHUP; rate limits around it. */
export function createPolicyDecider(ctx: WiringContext): Wired['decider'] {
  const backendModes = Object.fromEntries(ctx.config.backends.map((b) => [b.name, b.mode]));
  try {
    const decider = createRegoPolicyDecider(ctx.config.policy, { logger: ctx.logger, baseDir: ctx.baseDir, backendModes, sighup: true });
    // rateLimit: tools/call per client identity, denied past the limit (and no decision reused).
    return ctx.config.rateLimit === undefined ? decider : new RateLimitedDecider(decider, ctx.config.rateLimit);
  } catch (err) {
    if (err instanceof PolicyCompileError) throw new CliError(`policy: ${err.message}`, EXIT.CONFIG);
    throw err;
  }
}

/** audit/: the SQLite audit log (imports rows a killed process left in its journal before serving). */
export function createRecorder(ctx: WiringContext): Recorder {
  try {
    const recorder = createAuditRecorder(ctx.config, { logger: ctx.logger, baseDir: ctx.baseDir, onFailure: (err) => ctx.onAuditFailure?.(err) });
    // Auditing off: a recorder that says it drops everything, so the proxy builds no records.
    return recorder === disabledRecorder ? new NoopRecorder() : recorder;
  } catch (err) {
    throw new CliError(`audit: ${(err as Error).message}`, EXIT.RUNTIME);
  }
}

/** identity/: API keys, JWT, anonymous and local stdio clients from the config's `auth` section. */
export function createAuthenticator(ctx: WiringContext): WardenAuthenticator {
  try {
    // Admin tokens may not be API keys (separate credentials), whether or not this command serves the admin API.
    const adminTokenHashes = ctx.config.admin.tokenHashes;
    return createIdentityAuthenticator(ctx.config.auth, { logger: ctx.logger, baseDir: ctx.baseDir, servesHttp: ctx.servesHttp, adminTokenHashes, ...(ctx.refusals === undefined ? {} : { refusals: ctx.refusals }) });
  } catch (err) {
    if (err instanceof KeysFileError || err instanceof JwtConfigError || err instanceof ApiKeyConfigError) throw new CliError(err.message, EXIT.CONFIG);
    throw err;
  }
}

export function wire(ctx: WiringContext): Wired {
  ctx.refusals ??= new RefusalLog(ctx.config.log.refusals);
  const decider = createPolicyDecider(ctx);
  let recorder: Recorder | undefined;
  try {
    recorder = createRecorder(ctx);
    return {
      decider,
      recorder,
      authenticator: createAuthenticator(ctx),
      // Stdio backends inherit our environment minus the client's credential and the config's own secrets.
      backendCredentials: backendCredentialResolver(undefined, secretEnvNames(ctx.config)),
    };
  } catch (err) {
    // A stage that cannot start (a broken keys file, an unwritable audit path): what was opened
    // before it (the policy's file watch, the audit writer thread) would keep the process alive,
    // the error printed, never exiting with its code nor serving.
    decider.close?.();
    void recorder?.close().catch(() => undefined);
    throw err;
  }
}

/** The proxy options every command shares: the configured backends and the wired stages. */
export function proxyOptions(ctx: WiringContext, wired: Wired): ProxyOptions {
  const { config } = ctx;
  return {
    backends: config.backends,
    namespaceSeparator: config.namespaceSeparator,
    decider: wired.decider,
    recorder: wired.recorder,
    backendCredentials: wired.backendCredentials,
    deniedToolCall: config.policy.deniedToolCall,
    logger: ctx.logger,
    version: packageVersion(),
    maxMessageBytes: config.server.maxMessageBytes,
    baseDir: ctx.baseDir,
    resourceRoutes: config.resourceRoutes,
    backendAgents: ctx.backendAgents,
  };
}
