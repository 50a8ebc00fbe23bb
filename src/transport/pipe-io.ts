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
 * Reads: the pipe handle reads into buffers of ours (its `useUserBuffer`, what a socket's documented
 * `onread: { buffer, callback }` option uses: each read lands in the buffer the read callback
 * returned last), consecutive regions of a slab, so that no read allocates (Node's own reads each
 * allocate 64 KiB, shrink it to the bytes read and wrap it in a new ArrayBuffer), and a chunk stays
 * valid as long as it is referenced (regions are never reused; a slab is dropped by the garbage
 * collector once no chunk refers to it). How many bytes a read brought is the advance of the
 * handle's byte counter. A read that brought none (the end of the input, an error) goes to the
 * socket's own callback, which ends or destroys the stream as usual.
 *
 * Writes: fs.writeSync on the pipe's descriptor (non-blocking: libuv opened it so), one system call
 * and nothing left behind. A pipe that is full takes part or none (EAGAIN): the rest goes to the stream.
 */
import { writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

/** The parts of a libuv pipe handle (node's Pipe, a socket's `_handle`) used here. */
interface PipeHandle {
  onread: ((this: PipeHandle, arg: unknown) => unknown) | undefined;
  useUserBuffer?: (buffer: Uint8Array) => void;
  readStop?: () => number;
  readStart?: () => number;
  reading?: boolean;
  readonly bytesRead?: number;
  readonly fd?: number;
  constructor: { name: string };
}

/** Bytes of one slab, and the least room left in it for a read (else the next read starts a new slab). */
const SLAB_BYTES = 256 * 1024;
const MIN_READ_BYTES = 64 * 1024;

function pipeHandleOf(stream: Readable | Writable): PipeHandle | undefined {
  const handle = (stream as { _handle?: PipeHandle | null })._handle;
  return handle !== null && handle !== undefined && handle.constructor.name === 'Pipe' ? handle : undefined;
}

/**
 * Delivers what `input` (a socket on a pipe) reads to `onChunk` (synchronously, chunk by chunk, in
 * order), instead of through its 'data' events (which the caller may keep listening to: chunks the
 * stream read before come there). Returns a function that gives the chunks back to the stream
 * (they come as 'data' events again), or undefined when `input` is not a socket on a pipe (the
 * stream's events are then all there is).
 */
export function readPipeDirectly(input: Readable, onChunk: (chunk: Buffer) => void): (() => void) | undefined {
  const handle = pipeHandleOf(input);
  const socketOnRead = handle?.onread;
  if (handle === undefined || typeof socketOnRead !== 'function' || typeof handle.useUserBuffer !== 'function' || typeof handle.bytesRead !== 'number') {
    return undefined;
  }
  let slab = new ArrayBuffer(SLAB_BYTES);
  let at = 0;
  let counted = handle.bytesRead;
  let released = false;
  function onread(this: PipeHandle, arg: unknown): unknown {
    const total = this.bytesRead!;
    const n = total - counted;
    counted = total;
    if (n <= 0) return socketOnRead!.call(this, arg);
    const chunk = Buffer.from(slab, at, n);
    at += n;
    if (SLAB_BYTES - at < MIN_READ_BYTES) {
      slab = new ArrayBuffer(SLAB_BYTES);
      at = 0;
    }
    if (!released) onChunk(chunk);
    else if (!input.push(chunk)) {
      // As the socket does when its buffer is full.
      this.reading = false;
      this.readStop!();
    }
    return new Uint8Array(slab, at, SLAB_BYTES - at);
  }
  handle.onread = onread;
  handle.useUserBuffer(new Uint8Array(slab));
  return () => {
    released = true;
  };
}

/**
 * Stops (on = false) or resumes reading `input`: on a pipe, the handle's reads themselves (whether
 * they come directly or through the stream: the kernel's pipe buffer then fills and the peer's
 * writes block); on another stream, its 'data' events.
 */
export function setReading(input: Readable, on: boolean): void {
  const handle = pipeHandleOf(input);
  if (handle !== undefined && typeof handle.readStop === 'function' && typeof handle.readStart === 'function') {
    if (on && !handle.reading) {
      handle.reading = true;
      handle.readStart();
    } else if (!on && handle.reading) {
      handle.reading = false;
      handle.readStop();
    }
    return;
  }
  if (on) input.resume();
  else input.pause();
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
