/**
 * Server-sent events on a raw Node response: the headers, one `message` event per JSON-RPC
 * message (JSON.stringify never emits a raw newline, so each message is one `data:` line), comment
 * keep-alives, a flag for when the client went away, and a bound on what a client that stops
 * reading can make us buffer.
 */
import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '../types.js';

/** Told after each write (the write-stall watchdog, write-stall.ts). */
export type WriteWatch = (res: ServerResponse) => void;

/** Bytes written but not yet taken by the client beyond which a stream is dropped. */
export const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

export class SseStream {
  /** Milliseconds timestamp of the last write, for keep-alives. */
  lastWrite = Date.now();
  private ended = false;

  constructor(
    readonly res: ServerResponse,
    headers: Record<string, string>,
    onClose: ((stream: SseStream) => void) | undefined,
    private readonly onWrite: WriteWatch | undefined = undefined,
    status = 200,
  ) {
    res.writeHead(status, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    // Nagle would hold small events back.
    res.socket?.setNoDelay(true);
    if (onClose) {
      res.on('close', () => {
        this.ended = true;
        onClose(this);
      });
    }
  }

  get open(): boolean {
    return !this.ended && !this.res.destroyed && !this.res.writableEnded;
  }

  /** Writes one `message` event (with an event id when given); false when the stream is gone. */
  send(message: JSONRPCMessage, eventId?: string): boolean {
    return this.writeEvent('message', JSON.stringify(message), eventId);
  }

  writeEvent(event: string, data: string, eventId?: string): boolean {
    if (!this.open) return false;
    this.lastWrite = Date.now();
    const head = eventId === undefined ? `event: ${event}\n` : `id: ${eventId}\nevent: ${event}\n`;
    this.res.write(`${head}data: ${data}\n\n`);
    if (this.res.writableLength > MAX_UNREAD_BYTES) {
      // The client stopped reading: drop the stream rather than buffer without bound. A
      // Streamable HTTP client can reconnect its GET stream with Last-Event-ID.
      this.ended = true;
      this.res.destroy();
      return true;
    }
    this.onWrite?.(this.res);
    return true;
  }

  keepAlive(now: number): void {
    if (!this.open) return;
    this.lastWrite = now;
    this.res.write(': keepalive\n\n');
    this.onWrite?.(this.res);
  }

  /**
   * Ends a stream its client has given up (it opened another): closed at once when some of it is
   * still unread, since that client will never read it and node would hold it until the socket dies.
   */
  abandon(): void {
    if (this.res.writableLength > 0 && !this.res.destroyed) {
      this.ended = true;
      this.res.destroy();
      return;
    }
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.res.writableEnded) this.res.end();
  }
}
