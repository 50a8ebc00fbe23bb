/**
 * A backend MCP server run as a child process, spoken to over newline-delimited JSON on its
 * stdin/stdout. Its stderr goes straight to ours. Every child is registered so that none outlives
 * us: close() ends it (stdin closed, then SIGTERM, then SIGKILL after a grace period), and a
 * process 'exit' hook SIGKILLs whatever is still running when mcp-warden exits for any reason
 * short of SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { NdjsonTransport } from './ndjson.js';
import type { JSONRPCMessage, MessageExtraInfo, Transport, TransportSendOptions } from './types.js';

export interface ChildProcessSpec {
  command: string;
  args?: string[];
  /** Full environment of the child (callers merge process.env with the backend's own variables). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  maxMessageBytes?: number;
  /** Milliseconds between SIGTERM and SIGKILL on close (default 2000). */
  killGraceMs?: number;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  error?: Error;
  /** The exit came after close() asked for it: expected, not a failure of the backend. */
  requested?: boolean;
  /** close() had to SIGKILL it: it did not exit within the grace period after SIGTERM. */
  forced?: boolean;
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/** Pids of the child processes still running (for diagnostics and tests). */
export function liveChildPids(): number[] {
  return [...liveChildren].map((c) => c.pid).filter((p): p is number => p !== undefined);
}

export class ChildProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  /** Called once when the child has exited (or failed to start). */
  onexit?: (exit: ChildExit) => void;
  /** Offered each line the child writes before it is parsed, as bytes (NdjsonTransport.takeLine); set it before start(). */
  takeLine?: (buf: Buffer, start: number, end: number) => boolean;
  /** More than the high-water mark waits to be written to the child (NdjsonTransport.onbacklog); set it before start(). */
  onbacklog?: (backedUp: boolean) => void;
  sessionId?: string;

  private child?: ChildProcess;
  private framing?: NdjsonTransport;
  private exited = false;
  private closing = false;
  private forced = false;
  private closeNotified = false;
  /** Resolves once the exit has been handled (onexit called): close() waits for it. */
  private exitHandled!: Promise<void>;
  private exitHandledResolve!: () => void;
  private readPauses = 0;

  constructor(private readonly spec: ChildProcessSpec) {
    this.exitHandled = new Promise((resolve) => (this.exitHandledResolve = resolve));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Byte length of the message being delivered by onmessage. */
  get lastMessageBytes(): number {
    return this.framing?.lastMessageBytes ?? 0;
  }

  /** Text of the message being delivered by onmessage. */
  get lastMessageText(): string {
    return this.framing?.lastMessageText ?? '';
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('ChildProcessTransport already started');
    installExitHook();
    const child = spawn(this.spec.command, this.spec.args ?? [], {
      env: this.spec.env ?? process.env,
      cwd: this.spec.cwd,
      stdio: ['pipe', 'pipe', 'inherit'],
      windowsHide: true,
    });
    this.child = child;
    liveChildren.add(child);
    const framing = new NdjsonTransport(child.stdout!, child.stdin!, {
      maxMessageBytes: this.spec.maxMessageBytes,
      oninvalid: (p) => this.onerror?.(new Error(`invalid message from backend: ${p.message}`)),
    });
    this.framing = framing;
    framing.takeLine = this.takeLine;
    framing.onbacklog = this.onbacklog;
    if (this.readPauses > 0) framing.pauseReading();
    framing.onmessage = (m) => this.onmessage?.(m);
    framing.onerror = (e) => this.onerror?.(e);
    // stdin errors (EPIPE after the child died) are expected; the exit handler reports the death.
    child.stdin!.on('error', () => undefined);

    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) => {
        if (child.pid === undefined) reject(err);
        else this.onerror?.(err);
        this.handleExit({ code: null, signal: null, error: err });
      });
    });
    // 'close' comes after the child's stdout is drained, so its last messages are delivered first; a
    // grandchild holding stdout open must not keep us waiting, hence the fallback after 'exit'.
    child.once('exit', (code, signal) => {
      const fallback = setTimeout(() => this.handleExit({ code, signal }), 500);
      fallback.unref();
      child.once('close', () => {
        clearTimeout(fallback);
        this.handleExit({ code, signal });
      });
    });
    await framing.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (!this.framing || this.exited) return Promise.reject(new Error('backend process is not running'));
    return this.framing.send(message, options);
  }

  /** Sends a message already serialized as `text` (one line of JSON; see NdjsonTransport.sendLine). */
  sendLine(text: string, message: JSONRPCMessage): Promise<void> {
    if (!this.framing || this.exited) return Promise.reject(new Error('backend process is not running'));
    return this.framing.sendLine(text, message);
  }

  /** Sends a line passed on unparsed, with its id replaced (see NdjsonTransport.sendSpliced). */
  sendSpliced(src: Buffer, start: number, idStart: number, idEnd: number, end: number, id: string | number, message: JSONRPCMessage): Promise<void> {
    if (!this.framing || this.exited) return Promise.reject(new Error('backend process is not running'));
    return this.framing.sendSpliced(src, start, idStart, idEnd, end, id, message);
  }

  /** Stops reading the child's stdout (it blocks once its pipe is full) until resumeReading(). */
  pauseReading(): void {
    if (this.readPauses++ === 0) this.framing?.pauseReading();
  }

  resumeReading(): void {
    if (this.readPauses > 0 && --this.readPauses === 0) this.framing?.resumeReading();
  }

  /**
   * Ends the child: close its stdin, SIGTERM, then SIGKILL after the grace period. Resolves when it
   * is gone and its exit has been reported to onexit (marked `requested`: we asked for it).
   */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) {
      this.notifyClose();
      return;
    }
    if (this.closing) return this.exitHandled;
    this.closing = true;
    child.stdin?.end();
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.exited) return;
      this.forced = true;
      child.kill('SIGKILL');
    }, this.spec.killGraceMs ?? 2000);
    timer.unref();
    await this.exitHandled;
    clearTimeout(timer);
  }

  private handleExit(exit: ChildExit): void {
    if (this.exited) return;
    this.exited = true;
    if (this.child) liveChildren.delete(this.child);
    void this.framing?.close();
    if (this.closing) {
      exit.requested = true;
      if (this.forced) exit.forced = true;
    }
    try {
      this.onexit?.(exit);
      this.notifyClose();
    } finally {
      this.exitHandledResolve();
    }
  }

  private notifyClose(): void {
    if (this.closeNotified) return;
    this.closeNotified = true;
    this.onclose?.();
  }
}
