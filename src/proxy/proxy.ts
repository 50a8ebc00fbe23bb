/**
 * The proxy: a SessionAcceptor that every frontend (stdio, Streamable HTTP, SSE) hands its client
 * sessions to. It turns the configured backends into backend specs (how to open a transport, the
 * effective name prefix, timeout, restart policy), and opens one ClientSession per client session,
 * each with its own backend sessions. close() ends them all and with them every child process.
 *
 * Protocol eras: a session is negotiated per side. The client side's era is whatever the frontend's
 * transport speaks; each BackendConnection negotiates its own with its backend at open(). A
 * stateless (2026-07-28) client would reach a ClientSession whose first request carries its
 * client info in _meta, from which the session opens its backends as it does at initialize.
 *
 * What each backend is given (a stdio child's environment, an HTTP backend's request headers) comes
 * from options.backendCredentials, which cli/ wires to identity/: the proxy never sees or strips a
 * client credential itself, and imports no identity/ module.
 */
import type https from 'node:https';
import { isAbsolute, resolve } from 'node:path';
import type { BackendConfig } from '../config/backends.js';
import type { Logger } from '../log/logger.js';
import { ChildProcessTransport, type ChildExit } from '../transport/child-process.js';
import { createHttpBackendTransport } from '../transport/http-client.js';
import { backendTlsAgent } from '../transport/http/backend-tls-agent.js';
import type { ClientSessionInfo, SessionAcceptor, Transport } from '../transport/types.js';
import type { BackendCredentialResolver, PolicyDecider, Recorder } from '../types.js';
import type { BackendConnection, BackendSpec, BackendTransport } from './backend.js';
import type { RouteLimits } from './catalog.js';
import { Namespace } from './namespace.js';
import { ClientSession, type ProxyShared } from './session.js';

const BACKEND_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface ProxyOptions {
  backends: ReadonlyArray<BackendConfig>;
  namespaceSeparator?: string;
  decider: PolicyDecider;
  recorder: Recorder;
  deniedToolCall?: 'result' | 'error';
  logger: Logger;
  /** mcp-warden's version, for the merged serverInfo. */
  version: string;
  /** The client-side message limit (server.maxMessageBytes); backends may answer up to 64 MiB or this, whichever is larger. */
  maxMessageBytes?: number;
  /** Directory relative backend cwd values are resolved against. */
  baseDir?: string;
  /** false: dead backends are not restarted (wrap); their exit is reported to onBackendExit. */
  restartBackends?: boolean;
  onBackendExit?: (backend: BackendConnection, exit: ChildExit | undefined) => void;
  /**
   * Each backend's own credentials: the complete child environment of a stdio backend (client
   * credential variables removed) and the request headers of an HTTP backend. Required: there is
   * no default that could leak the client's credential. Called once per backend at construction.
   */
  backendCredentials: BackendCredentialResolver;
  /** How many resource routes a session remembers per backend (config resourceRoutes; several backends only). */
  resourceRoutes?: Readonly<RouteLimits>;
  /**
   * The https pool of each backend with `tls` settings, by backend name, made (and its files
   * checked) before anything else starts; one missing here is made at construction.
   */
  backendAgents?: ReadonlyMap<string, https.Agent>;
}

export function backendSpecs(options: ProxyOptions): BackendSpec[] {
  return options.backends.map((cfg, index): BackendSpec => {
    let createTransport: () => BackendTransport;
    let restart: BackendSpec['restart'];
    const credentials = options.backendCredentials(cfg);
    if (cfg.transport === 'stdio') {
      const cwd = cfg.cwd === undefined ? undefined : isAbsolute(cfg.cwd) ? cfg.cwd : resolve(options.baseDir ?? process.cwd(), cfg.cwd);
      const env = credentials.env;
      // A backend's answer (a file, a long listing) may legitimately exceed what clients may send.
      const maxMessageBytes = Math.max(options.maxMessageBytes ?? 0, BACKEND_MAX_MESSAGE_BYTES);
      createTransport = () =>
        new ChildProcessTransport({ command: cfg.command, args: cfg.args, env, cwd, maxMessageBytes });
      restart = cfg.restart;
    } else {
      const headers = credentials.headers;
      const agent = options.backendAgents?.get(cfg.name) ?? (cfg.tls === undefined ? undefined : backendTlsAgent(cfg.tls, options.baseDir ?? process.cwd(), `backends[${index}].tls`));
      createTransport = () => createHttpBackendTransport(cfg, headers, agent);
      restart = { initialDelayMs: 200, maxDelayMs: 30_000 };
    }
    return {
      index,
      name: cfg.name,
      transport: cfg.transport,
      timeoutMs: cfg.timeoutMs,
      restart: options.restartBackends === false ? false : restart,
      createTransport,
    };
  });
}

export class WardenProxy implements SessionAcceptor {
  readonly sessions = new Set<ClientSession>();
  private readonly shared: ProxyShared;
  private closing = false;

  constructor(options: ProxyOptions) {
    const specs = backendSpecs(options);
    const namespace = new Namespace(
      options.backends.map((b) => ({ name: b.name, prefix: Namespace.prefixFor(b.prefix, b.name, options.backends.length) })),
      options.namespaceSeparator ?? '__',
    );
    this.shared = {
      namespace,
      specs,
      decider: options.decider,
      recorder: options.recorder,
      deniedToolCall: options.deniedToolCall ?? 'result',
      logger: options.logger,
      version: options.version,
      onBackendExit: options.onBackendExit ? (_s, b, exit) => options.onBackendExit!(b, exit) : undefined,
      onSessionClosed: (s) => this.sessions.delete(s),
      shuttingDown: () => this.closing,
      routeLimits: options.resourceRoutes,
    };
  }

  get namespace(): Namespace {
    return this.shared.namespace;
  }

  async openSession(transport: Transport, info: ClientSessionInfo): Promise<void> {
    if (this.closing) {
      await transport.close();
      return;
    }
    const session = new ClientSession(transport, info, this.shared);
    this.sessions.add(session);
    this.shared.logger.debug({ session: info.sessionId, transport: info.transport, client: info.client.id }, 'client session opened');
    await session.start();
  }

  /**
   * Shutdown has begun: no new sessions, and backends that exit from now on (a signal to the whole
   * process group reaches them too) are expected to: not restarted, not warned about. close() says
   * it too; call this first when something else is closed before the proxy (serve's HTTP frontend).
   */
  beginShutdown(): void {
    this.closing = true;
  }

  /** Closes every client session and backend (child processes end). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.sessions].map((s) => s.close()));
  }
}
