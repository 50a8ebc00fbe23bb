/**
 * The write-stall watchdog of the HTTP frontends (server.writeStallTimeoutMs). An answer or SSE
 * stream whose client stops reading keeps what was written to it in node's buffers once the
 * kernel's socket buffers are full, and kept its connection for as long as the client cared to
 * hold it. Every response the frontends write to is shown here after each write; one that still
 * has bytes waiting is watched, and when its socket has taken none of them for the timeout it is
 * destroyed (its connection closed, its buffers freed); the session that owned it forgets it as for
 * a client that went away (an SSE session ends, a Streamable HTTP exchange is let go).
 *
 * Progress is what the kernel took from the socket. Node says so only through its stream handle:
 * a write of 16 MiB is one write request whose writableLength stays 16 MiB until the last byte is
 * sent, while the handle's writeQueueSize (what libuv has not sent yet) falls as the client reads;
 * the bytes taken are the bytes dispatched to the handle minus that. Where a node lacks these
 * (internal) fields, a whole write completing is the only progress seen (bytesWritten minus
 * writableLength), which still cuts off a client that reads nothing. A client reading slowly but
 * steadily is never cut off; one that takes nothing for the timeout is, between one timeout and one
 * timeout plus a check interval (a quarter of it, at most 1 s) after its last read. Only bytes
 * waiting in node count: what the kernel's buffers absorb costs no process memory.
 */
import type { ServerResponse } from 'node:http';

interface Watched {
  /** Bytes the socket had handed to the kernel when last seen. */
  taken: number;
  /** When it was last seen taking bytes (or first watched). */
  since: number;
  /** The session it belongs to, for the log. */
  sessionId: string | undefined;
}

export interface StalledAnswer {
  res: ServerResponse;
  sessionId: string | undefined;
  /** Bytes still waiting in node when it was destroyed. */
  unreadBytes: number;
  /** How long its socket had taken nothing. */
  stalledMs: number;
}

/** Node's internals a socket's progress is read from (see the top of this file). */
interface SocketInternals {
  _bytesDispatched?: unknown;
  _handle?: { writeQueueSize?: unknown } | null;
}

/** Bytes the response's socket has handed to the kernel so far (undefined when it has no socket). */
export function bytesTaken(res: ServerResponse): number | undefined {
  const socket = res.socket;
  if (socket === null || socket.destroyed) return undefined;
  const internals = socket as unknown as SocketInternals;
  const dispatched = internals._bytesDispatched;
  const queued = internals._handle?.writeQueueSize;
  if (typeof dispatched === 'number' && typeof queued === 'number') return dispatched - queued;
  return socket.bytesWritten - socket.writableLength;
}

export class WriteStallWatch {
  private readonly watched = new Map<ServerResponse, Watched>();
  /** Responses whose 'close' already unwatches them (one listener each, however often watched). */
  private readonly listening = new WeakSet<ServerResponse>();
  /** Responses this watchdog destroyed (their 'close' comes after onStall: see stalled()). */
  private readonly destroyed = new WeakSet<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private readonly everyMs: number;

  constructor(
    readonly timeoutMs: number,
    private readonly onStall: (stalled: StalledAnswer) => void = () => undefined,
  ) {
    this.everyMs = Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4)));
  }

  /** Number of responses with bytes waiting, being watched. */
  get size(): number {
    return this.watched.size;
  }

  /** Called after a write to `res`: watched while some of what was written waits in node. */
  wrote(res: ServerResponse, sessionId?: string): void {
    if (this.watched.has(res) || res.destroyed || res.writableLength === 0) return;
    const now = bytesTaken(res);
    if (now === undefined) return;
    this.watched.set(res, { taken: now, since: Date.now(), sessionId });
    if (!this.listening.has(res)) {
      this.listening.add(res);
      res.once('close', () => this.watched.delete(res));
    }
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.check(), this.everyMs);
      this.timer.unref();
    }
  }

  /** Whether `res` was closed by this watchdog (its client took none of it for the timeout), not by its client. */
  stalled(res: ServerResponse): boolean {
    return this.destroyed.has(res);
  }

  /** One pass over the watched responses (the interval's; tests may call it). */
  check(now = Date.now()): void {
    for (const [res, state] of this.watched) {
      const sent = bytesTaken(res);
      if (sent === undefined || res.destroyed || res.writableLength === 0) {
        this.watched.delete(res);
        continue;
      }
      if (sent > state.taken) {
        state.taken = sent;
        state.since = now;
        continue;
      }
      if (now - state.since < this.timeoutMs) continue;
      this.watched.delete(res);
      const stalled: StalledAnswer = { res, sessionId: state.sessionId, unreadBytes: res.writableLength, stalledMs: now - state.since };
      this.destroyed.add(res);
      res.destroy();
      this.onStall(stalled);
    }
    if (this.watched.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
