/**
 * The keep-alive https.Agent of one backend with `tls` (backends[].tls): its CA instead of the
 * system's, its client certificate, the name its certificate must carry; verification always on.
 * setMaterial() swaps the CA and client certificate for connections made from then on (rotation,
 * backend-tls-rotation.ts): idle pooled connections made with the previous files are closed at
 * once, busy ones (a request in flight, an SSE stream) finish on what they were opened with and are
 * closed instead of pooled. A connection is never resumed from a TLS session of the previous
 * material: node keys pools and TLS sessions by the options, ca, cert and key included.
 */
import type { Duplex } from 'node:stream';
import https from 'node:https';
import type { BackendTlsConfig } from '../../config/tls.js';
import { loadBackendTls, type BackendTlsMaterial } from './tls-material.js';

export class BackendTlsAgent extends https.Agent {
  /** Bumped by each setMaterial: a connection made under an earlier one is not pooled again. */
  private generation = 0;
  private readonly born = new WeakMap<object, number>();

  constructor(material: BackendTlsMaterial, servername?: string) {
    super({ keepAlive: true, maxSockets: 256, scheduling: 'lifo', rejectUnauthorized: true, ...material.options, ...(servername === undefined ? {} : { servername }) });
    const create = this.createConnection.bind(this) as (...args: unknown[]) => Duplex | undefined;
    this.createConnection = ((...args: unknown[]) => {
      const socket = create(...args);
      if (socket) this.born.set(socket, this.generation);
      return socket;
    }) as typeof this.createConnection;
  }

  /** The agent of the long-lived streams (backend-http.ts: outside the pool), for the material in force. */
  private streams: https.Agent | undefined;

  /**
   * An agent for a backend session's long-lived streams (the Streamable HTTP standalone GET, a legacy
   * SSE stream): outside the keep-alive pool, one connection each, with the material in force now
   * (a stream opened after setMaterial presents the new certificate; open ones keep theirs).
   */
  streamAgent(): https.Agent {
    return (this.streams ??= new https.Agent({ ...this.options, keepAlive: false, maxSockets: Infinity, rejectUnauthorized: true }));
  }

  /** Connections made from now on present and trust this material. */
  setMaterial(material: BackendTlsMaterial): void {
    this.streams = undefined;
    const options = this.options as Record<string, unknown>;
    for (const k of ['ca', 'cert', 'key'] as const) {
      if (material.options[k] === undefined) delete options[k];
      else options[k] = material.options[k];
    }
    this.generation++;
    for (const sockets of Object.values(this.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }

  /** node asks this when a request is done with a socket: true pools it (keep-alive). */
  override keepSocketAlive(socket: Duplex): boolean {
    if (this.born.get(socket) !== this.generation) return false;
    return (https.Agent.prototype.keepSocketAlive as unknown as (s: Duplex) => boolean).call(this, socket);
  }
}

/** The agent of one backend (backends[<index>].tls, `setting` in errors), its files read and checked: a TlsFileError when one is not good. */
export function backendTlsAgent(config: BackendTlsConfig, baseDir: string, setting: string): BackendTlsAgent {
  return new BackendTlsAgent(loadBackendTls(config, baseDir, setting), config.serverName);
}
