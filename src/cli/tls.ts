/**
 * serve's TLS files, read and checked before anything else starts (audit, policy watch, backends):
 * server.tls for the listener and each backend's `tls` for its https pool. A bad file is a config
 * error (exit 3) naming the setting and the file.
 */
import type https from 'node:https';
import type { WardenConfig } from '../config/schema.js';
import { backendTlsAgent, loadServerTls, TlsFileError, type ServerTlsMaterial } from '../transport/http/tls-material.js';
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
export function serverTlsMaterial(config: WardenConfig, baseDir: string): ServerTlsMaterial | undefined {
  const tls = config.server.tls;
  return tls === undefined ? undefined : asConfigError(() => loadServerTls(tls, baseDir));
}

/** The https pool of each backend that has `tls` settings, by backend name. */
export function backendAgents(config: WardenConfig, baseDir: string): Map<string, https.Agent> {
  const agents = new Map<string, https.Agent>();
  config.backends.forEach((b, i) => {
    if (b.transport !== 'stdio' && b.tls !== undefined) agents.set(b.name, asConfigError(() => backendTlsAgent(b.tls!, baseDir, `backends[${i}].tls`)));
  });
  return agents;
}

/** `config check`: every TLS file read and checked as serve does at start (a CliError, exit 3, naming the first bad one). */
export function checkTlsFiles(config: WardenConfig, baseDir: string): void {
  serverTlsMaterial(config, baseDir);
  for (const agent of backendAgents(config, baseDir).values()) agent.destroy();
}
