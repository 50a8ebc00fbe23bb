/**
 * Newline-delimited JSON-RPC over a pair of byte streams (our stdin/stdout, or a child's stdout/stdin).
 *
 * The hot path does one JSON.parse per incoming line and one JSON.stringify per outgoing message; a
 * message is checked by a few property reads (message-check.ts: object, jsonrpc "2.0", a method or an id with a
 * result/error), never by a schema library. Lines larger than `maxMessageBytes` are dropped without
 * being parsed. Invalid input is reported through `oninvalid`; when `answerInvalid` is set (the
 * side that faces a client) the transport itself answers it with the JSON-RPC error the spec asks
 * for (-32700 parse error, -32600 invalid request) so the peer learns what was wrong, and goes on
 * reading the next line. On pipes (stdio, a child's stdio) chunks are read and batches written
 * beneath the streams' machinery (pipe-io.ts); the streams still carry the end, errors and whatever
 * a full pipe cannot take at once.
 */
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { LineBatch } from './line-batch.js';
import { pipeFdOf, readPipeDirectly, setReading, writeToPipe } from './pipe-io.js';
import type { JSONRPCMessage, MessageExtraInfo, Transport, TransportSendOptions } from './types.js';
import { checkMessage, INVALID_REQUEST, nestingProblem, PARSE_ERROR, type InvalidMessage } from './message-check.js';

const NEWLINE = 0x0a;
/** What send() returns: writes are queued, not awaited (stream errors surface through onerror/onclose). */
export const SENT: Promise<void> = Promise.resolve();
/**
 * Bytes waiting to be written to a peer (it is not reading) beyond which the transport reports a
 * backlog (onbacklog), so that the proxy stops reading what would be written there.
 */
export const BACKLOG_HIGH_BYTES = 8 * 1024 * 1024;

/**
 * Transports with messages queued while some transport's onData was delivering a chunk: they are
 * written when that delivery ends (the proxy forwards a client's request to a backend, or a
 * backend's answer to the client, from inside onData), without a microtask per turn.
 */
let delivering = 0;
/**
 * The first `flushCount` entries are the transports to flush; the array keeps its length (writing
 * an array's length goes through the runtime, a cost on every chunk).
 */
const flushAfterDelivery: (NdjsonTransport | undefined)[] = [];
let flushCount = 0;

function flushDelivered(): void {
  try {
    // A flush that delivers to another transport (a stream piped in-process) flushes and resets the list itself.
    for (let i = 0; i < flushCount; i++) {
      const t = flushAfterDelivery[i];
      flushAfterDelivery[i] = undefined;
      t?.flushNow();
    }
  } finally {
    flushCount = 0;
  }
}

export interface NdjsonOptions {
  /** Largest accepted line, in bytes (default 4 MiB). */
  maxMessageBytes?: number;
  /** Answer invalid input with a JSON-RPC error on the output stream (for the client-facing side). */
  answerInvalid?: boolean;
  /** Called for every invalid line (after answering it, when answerInvalid is set). */
  oninvalid?: (problem: InvalidMessage) => void;
  /**
   * Refuse (as invalid) a parsed message nesting arrays and objects deeper than this (the side
   * that faces a client: message-check.ts MAX_NESTING). Lines a takeLine owner took are not parsed
   * here; its byte scanners decline anything deeper than they follow, and such lines come back here.
   */
  maxNesting?: number;
  sessionId?: string;
}

export class NdjsonTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  sessionId?: string;
  /** Byte length of the message being delivered by onmessage (read it synchronously inside onmessage). */
  lastMessageBytes = 0;
  /** The text of the message being delivered by onmessage (read it synchronously inside onmessage). */
  lastMessageText = '';
  /**
   * Offered every line's bytes, buf[start, end), before it is decoded and parsed (read them
   * synchronously); returning true means the owner took the line as it is (it is then neither
   * parsed nor delivered to onmessage).
   */
  takeLine?: (buf: Buffer, start: number, end: number) => boolean;
  /**
   * Called with true once more than BACKLOG_HIGH_BYTES wait to be written to the peer, and with
   * false once all of them are written (or the transport closed).
   */
  onbacklog?: (backedUp: boolean) => void;
  /**
   * When set, the end of the input does not close the transport: this is called instead, and
   * messages can still be sent until the owner calls close() (a client that closed its stdin still
   * gets the answers to what it sent).
   */
  oninputend?: () => void;

  private readonly maxBytes: number;
  private backedUp = false;
  private readPauses = 0;
  private readonly answerInvalid: boolean;
  private readonly oninvalid?: (problem: InvalidMessage) => void;
  private readonly maxNesting: number | undefined;
  /** Bytes of an incomplete line carried over from earlier chunks. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Set while skipping the rest of an oversize line. */
  private discarding = false;
  private started = false;
  private closed = false;
  /** Messages sent in this turn, written together by flush(). */
  private readonly outgoing = new LineBatch();
  /**
   * A socket (a pipe) holds no bytes of a write it took whole (nothing left queued), so the batch
   * buffer may be written over after such a write; other streams (e.g. a PassThrough) may keep them.
   */
  private readonly outputReleasesWrites: boolean;
  /** The output's pipe descriptor, written directly (pipe-io.ts); -1 when the output is another kind of stream. */
  private readonly outputFd: number;
  /** Gives the input's reads back to its stream (set while they come directly: pipe-io.ts). */
  private releaseReads: (() => void) | undefined;
  private flushQueued = false;
  /** A notification is queued: an answer after it must wait for the next turn. */
  private notificationQueued = false;
  /**
   * A notification left in a write of this turn: an answer sent later in the same turn (e.g. one
   * released by the audit journal's write, a few microtasks on) must still wait for the next turn.
   */
  private notificationWritten = false;
  /** Queued messages wait for flushDeferred (setImmediate) instead of the microtask. */
  private deferred = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    options: NdjsonOptions = {},
  ) {
    this.maxBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
    this.answerInvalid = options.answerInvalid ?? false;
    this.oninvalid = options.oninvalid;
    this.maxNesting = options.maxNesting;
    this.sessionId = options.sessionId;
    this.outputReleasesWrites = output instanceof Socket;
    this.outputFd = pipeFdOf(output);
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('NdjsonTransport already started');
    this.started = true;
    this.input.on('data', this.onData);
    this.releaseReads = readPipeDirectly(this.input, this.onData);
    this.input.once('end', this.onEnd);
    this.input.on('error', this.onStreamError);
    this.output.on('error', this.onStreamError);
  }

  /**
   * Queues one message; everything sent during the same turn of the event loop (e.g. the answers
   * to all the lines of one incoming chunk) leaves in a single write, flushed when the delivery of
   * that chunk ends (or from a microtask when sent outside any delivery), so batching costs no
   * latency. One exception keeps the proxy as faithful as a direct connection:
   * the SDK handles a notification a microtask later than a response, so a notification (say the
   * last progress) and the answer after it, read together, would lose the notification. An answer
   * that follows a notification queued or written in this turn therefore leaves in the next turn.
   */
  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    return this.sendLine(JSON.stringify(message), message);
  }

  /**
   * Queues one message already serialized as `text` (one line of JSON, without the newline), e.g.
   * the bytes a peer sent when the proxy changed nothing in them; `message` is its parsed form
   * (only its id and method are read, to keep the ordering rule of send()).
   */
  sendLine(text: string, message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    this.order(message);
    this.outgoing.text(text);
    return this.queued();
  }

  /**
   * Queues one message as a peer's bytes, src[start, end), with the id written at src[idStart,
   * idEnd) replaced by `id` (a line passed on unparsed; read synchronously; when `id` is the one
   * written there, the bytes are passed on as they are, not even copied: see LineBatch.line);
   * `message` as for sendLine.
   */
  sendSpliced(src: Buffer, start: number, idStart: number, idEnd: number, end: number, id: string | number, message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    this.order(message);
    this.outgoing.spliced(src, start, idStart, idEnd, end, id);
    return this.queued();
  }

  /** The ordering rule of send(): an answer after a queued notification leaves in the next turn. */
  private order(message: JSONRPCMessage): void {
    const m = message as { id?: unknown; method?: unknown };
    if (m.id === undefined) {
      this.notificationQueued = true;
    } else if (m.method === undefined && (this.notificationQueued || this.notificationWritten) && !this.deferred) {
      this.writeQueued();
      this.deferred = true;
      setImmediate(this.flushDeferred);
    }
  }

  private queued(): Promise<void> {
    if (!this.flushQueued && !this.deferred) {
      this.flushQueued = true;
      if (delivering > 0) flushAfterDelivery[flushCount++] = this;
      else queueMicrotask(this.flush);
    }
    return SENT;
  }

  /** Writes what was queued in this turn (unless it waits for flushDeferred). */
  flushNow(): void {
    this.flushQueued = false;
    if (!this.deferred) this.writeQueued();
  }

  private readonly flush = (): void => this.flushNow();

  private readonly flushDeferred = (): void => {
    this.deferred = false;
    this.writeQueued();
  };

  private readonly forgetNotification = (): void => {
    this.notificationWritten = false;
  };

  private writeQueued(): void {
    if (this.notificationQueued) {
      this.notificationQueued = false;
      if (!this.notificationWritten) {
        this.notificationWritten = true;
        setImmediate(this.forgetNotification);
      }
    }
    if (this.outgoing.empty) return;
    const batch = this.outgoing.take();
    if (this.closed) return;
    if (this.outputFd >= 0) {
      if (writeToPipe(this.output, this.outputFd, batch, this.onStreamError)) this.outgoing.rewind();
      else if (!this.backedUp && this.output.writableLength > BACKLOG_HIGH_BYTES) this.backlogged();
      return;
    }
    this.output.write(batch);
    if (this.outputReleasesWrites && this.output.writableLength === 0) this.outgoing.rewind();
    else if (!this.backedUp && this.output.writableLength > BACKLOG_HIGH_BYTES) this.backlogged();
  }

  /** Stops reading from the peer until as many resumeReading() calls as pauses (flow control). */
  pauseReading(): void {
    if (this.readPauses++ === 0 && !this.closed) setReading(this.input, false);
  }

  resumeReading(): void {
    if (this.readPauses > 0 && --this.readPauses === 0 && !this.closed) setReading(this.input, true);
  }

  private backlogged(): void {
    this.backedUp = true;
    this.output.once('drain', this.drained);
    this.onbacklog?.(true);
  }

  private readonly drained = (): void => {
    if (!this.backedUp) return;
    this.backedUp = false;
    this.onbacklog?.(false);
  };

  async close(): Promise<void> {
    if (this.closed) return;
    this.writeQueued();
    this.closed = true;
    this.input.off('data', this.onData);
    this.releaseReads?.();
    this.releaseReads = undefined;
    this.input.off('end', this.onEnd);
    this.partial = [];
    if (this.backedUp) {
      this.output.off('drain', this.drained);
      this.drained();
    }
    this.onclose?.();
  }

  private readonly onEnd = (): void => {
    if (this.oninputend === undefined || this.closed) {
      void this.close();
      return;
    }
    // Nothing more will come in; what goes out still does, until the owner closes.
    this.partial = [];
    this.oninputend();
  };

  private readonly onStreamError = (err: Error): void => {
    // EPIPE on a peer that went away ends the conversation; anything else is reported.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') {
      void this.close();
      return;
    }
    this.onerror?.(err);
  };

  private readonly onData = (chunk: Buffer): void => {
    delivering++;
    try {
      this.deliver(chunk);
    } finally {
      if (--delivering === 0 && flushCount > 0) flushDelivered();
    }
  };

  private deliver(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      if (this.discarding) {
        this.discarding = false;
      } else if (this.partialBytes > 0) {
        const total = this.partialBytes + (nl - start);
        if (total > this.maxBytes) {
          this.oversize(total);
        } else {
          this.partial.push(chunk.subarray(start, nl));
          const line = Buffer.concat(this.partial, total);
          this.line(line, 0, total);
        }
        this.partial = [];
        this.partialBytes = 0;
      } else if (nl - start > this.maxBytes) {
        this.oversize(nl - start);
      } else {
        this.line(chunk, start, nl);
      }
      if (this.closed) return;
      start = nl + 1;
      // A chunk that ends with its last line (the usual case) needs no search past it.
      nl = start < chunk.length ? chunk.indexOf(NEWLINE, start) : -1;
    }
    if (start < chunk.length && !this.discarding) {
      const rest = chunk.length - start;
      if (this.partialBytes + rest > this.maxBytes) {
        this.oversize(this.partialBytes + rest);
        this.partial = [];
        this.partialBytes = 0;
        this.discarding = true;
      } else {
        this.partial.push(chunk.subarray(start));
        this.partialBytes += rest;
      }
    }
  }

  private line(buf: Buffer, start: number, end: number): void {
    // Tolerate CRLF and blank lines.
    if (end > start && buf[end - 1] === 0x0d) end--;
    if (end === start) return;
    if (this.takeLine !== undefined && this.takeLine(buf, start, end)) return;
    let value: unknown;
    const text = buf.toString('utf8', start, end);
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.invalid({ code: PARSE_ERROR, message: `Parse error: ${(err as Error).message}`, id: null });
      return;
    }
    const problem = checkMessage(value) ?? (this.maxNesting === undefined ? undefined : nestingProblem(value, text.length, this.maxNesting));
    if (problem) {
      this.invalid(problem);
      return;
    }
    this.lastMessageBytes = end - start;
    this.lastMessageText = text;
    this.onmessage?.(value as JSONRPCMessage);
  }

  private oversize(bytes: number): void {
    this.invalid({
      code: INVALID_REQUEST,
      message: `Invalid Request: message of ${bytes}+ bytes exceeds the ${this.maxBytes}-byte limit`,
      id: null,
    });
  }

  private invalid(problem: InvalidMessage): void {
    if (this.answerInvalid && !this.closed) {
      void this.send({ jsonrpc: '2.0', id: problem.id, error: { code: problem.code, message: problem.message } } as JSONRPCMessage);
    }
    if (this.oninvalid) this.oninvalid(problem);
    else this.onerror?.(new Error(problem.message));
  }
}
