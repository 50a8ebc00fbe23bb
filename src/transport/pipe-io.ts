/**
 * Reading and writing a pipe (our own stdin/stdout, a child's stdio) beneath Node's stream
 * machinery, for the newline-delimited JSON transport: every proxied message passes through here
 * twice, and the stream layer costs per chunk more than the proxy's own work on it (a push through
 * the Readable, a 'data' event, a nextTick to read more; on the way out a write request object,
 * the Writable's bookkeeping, a nextTick after the write). The streams stay in place, and are used
 * whenever this way does not apply: for the end of the input and read errors, and for the bytes a
 * full pipe did not take (written through the stream, which waits for room; later writes queue
 * behind them there until it is empty, so bytes never overtake each other).
 *
 * Reads: the pipe handle's read callback (the `onread` a net.Socket gives its handle, which Node
 * calls with an ArrayBuffer holding exactly the bytes read) hands chunks straight to the consumer.
 * This is not a documented interface, so it is taken only when the first read proves it behaves as
 * described (the handle's byte counter advanced by the chunk's length); otherwise the socket's own
 * callback is put back and the chunk, and all later ones, come as 'data' events as usual.
 *
 * Writes: fs.writeSync on the pipe's descriptor (non-blocking: libuv opened it so), one system call
 * and nothing left behind. A pipe that is full takes part or none (EAGAIN): the rest goes to the stream.
 */
import { writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

/** The parts of a libuv pipe handle (node's Pipe, a socket's `_handle`) used here. */
interface PipeHandle {
  onread: ((this: PipeHandle, buffer: ArrayBuffer | undefined) => unknown) | undefined;
  readonly bytesRead?: number;
  readonly fd?: number;
  constructor: { name: string };
}

function pipeHandleOf(stream: Readable | Writable): PipeHandle | undefined {
  const handle = (stream as { _handle?: PipeHandle | null })._handle;
  return handle !== null && handle !== undefined && handle.constructor.name === 'Pipe' ? handle : undefined;
}

/**
 * Delivers what `input` (a socket on a pipe) reads to `onChunk`, instead of through its 'data'
 * events (which the caller keeps listening to: chunks come there before the first read and
 * whenever this way is not taken). Returns a function that gives the reads back to the socket,
 * or undefined when `input` is not a socket on a pipe.
 */
export function readPipeDirectly(input: Readable, onChunk: (chunk: Buffer) => void): (() => void) | undefined {
  const handle = pipeHandleOf(input);
  const socketOnRead = handle?.onread;
  if (handle === undefined || typeof socketOnRead !== 'function' || typeof handle.bytesRead !== 'number') return undefined;
  let provenAt = -1; // the handle's byte count before the first read, until that read proves the callback's form
  let released = false;
  const release = (): void => {
    released = true;
    if (handle.onread === onread) handle.onread = socketOnRead;
  };
  function onread(this: PipeHandle, buffer: ArrayBuffer | undefined): unknown {
    // The end of the input, a read error: the socket handles them (its 'end', 'error' and 'close').
    if (buffer === undefined || released) return socketOnRead!.call(this, buffer);
    if (provenAt !== -2) {
      if (!(buffer instanceof ArrayBuffer) || handle!.bytesRead! - provenAt !== buffer.byteLength) {
        release();
        return socketOnRead!.call(this, buffer);
      }
      provenAt = -2;
    }
    onChunk(Buffer.from(buffer));
    return undefined;
  }
  provenAt = handle.bytesRead;
  handle.onread = onread;
  return release;
}

/** The descriptor of `output` when it is a socket on a pipe (written with writeToPipe), else -1. */
export function pipeFdOf(output: Writable): number {
  const fd = pipeHandleOf(output)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/**
 * Writes `bytes` to the pipe `fd` under `output`: straight to the descriptor while the stream holds
 * nothing and is open for writing (a stream that was ended or destroyed may have closed the
 * descriptor: such a write goes to the stream, which reports it as it would any write after the
 * end), else (and for whatever a full pipe did not take) through the stream. Returns true when
 * nothing of `bytes` is held after the call (the caller may write over them). A write error other
 * than a full pipe goes to `onError` on the next tick, as the stream would report it.
 */
export function writeToPipe(output: Writable, fd: number, bytes: Uint8Array, onError: (err: Error) => void): boolean {
  let written = 0;
  if (output.writableLength === 0 && output.writable) {
    try {
      written = writeSync(fd, bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
        process.nextTick(onError, err);
        return true;
      }
    }
    if (written === bytes.length) return true;
  }
  output.write(written === 0 ? bytes : bytes.subarray(written));
  return false;
}
