/**
 * Open TCP connections per client address (server.maxConnectionsPerAddress). The session caps count
 * sessions; a host can still hold sockets without opening any (idle keep-alive connections,
 * requests trickled within server.requestTimeoutMs) and take the process's file descriptors. Each
 * accepted socket is counted under its address (addressKey: IPv4, an IPv6 /64); one beyond the
 * limit is closed at once, before any of its bytes are read, as Node closes a socket past
 * server.maxConnections: no request on it is parsed, authenticated or answered. Logged, rate-limited.
 */
import type { Server, Socket } from 'node:net';
import { addressKey } from './sessions.js';

export interface ConnectionLimit {
  /** Open connections counted under this address key now. */
  openFrom(key: string): number;
}

/** Counts `server`'s connections per address and closes those past `max`; `refused` is told of each. */
export function limitConnectionsPerAddress(server: Server, max: number, refused: (key: string) => void): ConnectionLimit {
  const open = new Map<string, number>();
  // Before the HTTP server's own listener: a refused socket is never given a parser.
  server.prependListener('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress);
    const count = (open.get(key) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      refused(key);
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
  return { openFrom: (key) => open.get(key) ?? 0 };
}
