/**
 * serve's TLS files, read and checked before anything else starts (audit, policy watch, backends):
 * server.tls for the listener and each backend's `tls` for its https pool. A bad file is a config
 * error (exit 3) naming the setting and the file, and so is one other users may write (the fix
 * named: chmod go-w); a private key readable by everyone is a warning, given to `warn`. Once
 * serving, each backend's files are watched and a new client certificate or CA is used for new
 * connections (watchBackendTls).
 */
import type https from 'node:https';
import type { Logger } from '../log/logger.js';
import type { WardenConfig } from '../config/schema.js';
import type { BackendTlsConfig } from '../config/tls.js';
import { BackendTlsAgent } from '../transport/http/backend-tls-agent.js';
import { BackendTlsRotation } from '../transport/http/backend-tls-rotation.js';
import { loadBackendTls, loadServerTls, TlsFileError, type BackendTlsMaterial, type ServerTlsMaterial, type TlsWarn } from '../transport/http/tls-material.js';
import { CliError, EXIT } from './errors.js';

function asConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof TlsFileError) throw new CliError(err.message, EXIT.CONFIG);
    throw err;
  }
}

/** server.tls read, or undefined when the listener is plain HTTP. */
export function serverTlsMaterial(config: WardenConfig, baseDir: string, warn?: TlsWarn): ServerTlsMaterial | undefined {
  const tls = config.server.tls;
  return tls === undefined ? undefined : asConfigError(() => loadServerTls(tls, baseDir, warn));
}

/** One backend's `tls`: its settings, the files as read at start, and its https pool. */
export interface BackendTls {
  config: BackendTlsConfig;
  /** backends[<index>].tls */
  setting: string;
  material: BackendTlsMaterial;
  agent: BackendTlsAgent;
}

/** Each backend that has `tls` settings, by backend name, its files read and checked (weak permissions to `warn`). */
export function backendTls(config: WardenConfig, baseDir: string, warn?: TlsWarn): Map<string, BackendTls> {
  const out = new Map<string, BackendTls>();
  config.backends.forEach((b, i) => {
    if (b.transport === 'stdio' || b.tls === undefined) return;
    const tls = b.tls;
    const setting = `backends[${i}].tls`;
    const material = asConfigError(() => loadBackendTls(tls, baseDir, setting, warn));
    out.set(b.name, { config: tls, setting, material, agent: new BackendTlsAgent(material, tls.serverName) });
  });
  return out;
}

/** The https pools of backendTls's result, for the proxy. */
export function backendAgents(tls: ReadonlyMap<string, BackendTls>): Map<string, https.Agent> {
  return new Map([...tls].map(([name, b]) => [name, b.agent]));
}

/** Watches every backend's TLS files (new files: new connections use them); close() stops. */
export function watchBackendTls(tls: ReadonlyMap<string, BackendTls>, baseDir: string, logger: Logger): { close(): void } {
  const rotations = [...tls].map(([name, b]) => new BackendTlsRotation(name, b.config, baseDir, b.setting, b.material, b.agent, logger));
  return { close: () => rotations.forEach((r) => r.close()) };
}

/** `config check`: every TLS file read and checked as serve does at start (a CliError, exit 3, naming the first bad one). */
export function checkTlsFiles(config: WardenConfig, baseDir: string, warn?: TlsWarn): void {
  serverTlsMaterial(config, baseDir, warn);
  for (const b of backendTls(config, baseDir, warn).values()) b.agent.destroy();
}

/**
 * NODE_TLS_REJECT_UNAUTHORIZED=0 makes Node.js skip certificate verification on every TLS
 * connection that does not ask for it: the backend pools ask (rejectUnauthorized: true), and so does the
 * JWKS fetch with auth.jwt.jwksCaFile; without it the JWKS fetch (global fetch) cannot, so a man in the
 * middle could serve it signing keys. Said at start.
 */
export function warnTlsEnvironment(logger: Logger, env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_TLS_REJECT_UNAUTHORIZED !== '0') return;
  logger.warn(
    { env: 'NODE_TLS_REJECT_UNAUTHORIZED' },
    'NODE_TLS_REJECT_UNAUTHORIZED=0 is set: Node.js skips certificate verification where it is not asked for explicitly; HTTPS backends are still verified, the JWKS fetch (auth.jwt.jwksUrl) is not unless auth.jwt.jwksCaFile is set: unset it (a private CA goes in backends[].tls.caFile or auth.jwt.jwksCaFile)',
  );
}
