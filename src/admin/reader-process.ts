/**
 * Runs the admin API's audit reads (query, stats, verify) in a child process with its own
 * read-only connection (reader-child.ts). On the proxy's event loop, a verify of a large audit
 * (tens of µs per row: ~3 s for 100,000 rows) or a stats or text scan froze every MCP session for
 * that long. Started on first use, kept for the next request, ended with the admin routes.
 *
 * Each answer comes as JSON text made in that process, sent to the client as it is: decoding a
 * large answer's objects from the channel and serializing them again on the proxy's thread froze
 * every MCP session as long as the read itself had (0.8 s for a page of 1,000 rows of large
 * payloads). One read runs at a time in one process; the others wait in a queue here, up to `maxInProgress`
 * reads in all (more are refused at once with ReaderBusyError). The admin routes keep two: one for
 * query and stats, one for verify (admin/index.ts). Each read has a time limit, counted
 * from when it was asked (waiting included): past it, the read is answered with a ReadTimeoutError
 * whether it is waiting (taken out of the queue) or running (its process is killed, SIGKILL, and
 * the next read starts on a new one). A process, not a worker thread: SQLite's progress handler,
 * which could interrupt a statement, is compiled out of better-sqlite3, and a terminated thread
 * goes on until its statement returns (seconds to minutes of a core for a text search over
 * millions of rows, and the process's exit waits for it). A read is sent only once the process
 * says it is up: one still starting is not killed for a read's sake (the read that waited for it
 * is answered as never started). A process that dies fails the read it was running; the queue
 * goes on on a new one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AuditStats, ExpectedHead, QueryOptions, QueryPage, StatsOptions, VerifyResult } from '../audit/index.js';
import type { FromReader, ReaderData, ReaderInit, ToReader } from './reader-child.js';

/** A read that took longer than its limit. `queued`: it never started (reads ahead of it, or the process's start, took the time). */
export class ReadTimeoutError extends Error {
  override name = 'ReadTimeoutError';
  constructor(
    readonly op: ToReader['op'],
    readonly limitMs: number,
    readonly queued: boolean,
  ) {
    super(
      queued
        ? `audit ${op} not started within ${limitMs} ms: other admin reads kept the reader busy (or it was starting)`
        : `audit ${op} took longer than ${limitMs} ms and was stopped`,
    );
  }
}

/** A read refused at once: this reader already has its `maxInProgress` reads (running or waiting). */
export class ReaderBusyError extends Error {
  override name = 'ReaderBusyError';
  constructor(
    readonly op: ToReader['op'],
    readonly inProgress: number,
  ) {
    super(`an audit ${op} is already running (${inProgress === 1 ? 'one runs' : `${inProgress} run or wait`} at a time): retry once it is done`);
  }
}

/** The JSON text of a T (what the reader process answers; never parsed on the proxy's thread). */
export type JsonText<T> = string & { readonly json?: T };

export interface ReadLimits {
  /** query and stats. */
  queryMs: number;
  verifyMs: number;
}

interface Job {
  request: ToReader;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Starts the reader process; from TypeScript sources (tests) it is loaded through tsx. Its stdout is
 * not ours (serve's stdio frontend writes MCP there); its stderr is (a crash is seen). No inherited
 * Node.js options (an --inspect port, a heap size meant for the proxy).
 */
function spawnReader(): ChildProcess {
  const here = import.meta.url;
  const ts = here.endsWith('.ts');
  const entry = fileURLToPath(new URL(ts ? './reader-child.ts' : './reader-child.js', here));
  return fork(entry, [], { execArgv: ts ? ['--import', 'tsx'] : [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

export class AuditReaderProcess {
  private child: ChildProcess | undefined;
  /** The current process said it is up (reader-child.ts's ready message) and was told the database. */
  private ready = false;
  private nextId = 1;
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private closed = false;
  private readonly timedOut = { running: 0, queued: 0 };

  constructor(
    private readonly data: ReaderData,
    private readonly limits: ReadLimits = { queryMs: 10_000, verifyMs: 600_000 },
    /** Most reads running or waiting at once; one more is refused (ReaderBusyError). */
    private readonly maxInProgress = Number.POSITIVE_INFINITY,
  ) {}

  /** A QueryPage's JSON text (made in the reader process: the caller sends it as it is). */
  query(options: QueryOptions): Promise<JsonText<QueryPage>> {
    return this.run({ id: 0, op: 'query', options }) as Promise<JsonText<QueryPage>>;
  }

  /** An AuditStats' JSON text. */
  stats(filter: StatsOptions): Promise<JsonText<AuditStats>> {
    return this.run({ id: 0, op: 'stats', filter }) as Promise<JsonText<AuditStats>>;
  }

  /** A VerifyResult's JSON text. */
  verify(expect?: ExpectedHead): Promise<JsonText<VerifyResult>> {
    return this.run(expect === undefined ? { id: 0, op: 'verify' } : { id: 0, op: 'verify', expect }) as Promise<JsonText<VerifyResult>>;
  }

  /** Reads answered with a ReadTimeoutError so far: stopped while running, or never started. */
  timeouts(): { running: number; queued: number } {
    return { ...this.timedOut };
  }

  async close(): Promise<void> {
    this.closed = true;
    const error = new Error('admin API closed');
    if (this.running !== undefined) this.settle(this.running, error);
    for (const job of this.queue.splice(0)) this.settle(job, error);
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  private run(request: ToReader): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('admin API closed'));
    const inProgress = this.queue.length + (this.running === undefined ? 0 : 1);
    if (inProgress >= this.maxInProgress) return Promise.reject(new ReaderBusyError(request.op, this.maxInProgress));
    request.id = this.nextId++;
    const limitMs = request.op === 'verify' ? this.limits.verifyMs : this.limits.queryMs;
    return new Promise((resolve, reject) => {
      const job: Job = { request, resolve, reject, timer: setTimeout(() => this.expire(job, limitMs), limitMs) };
      this.queue.push(job);
      this.pump();
    });
  }

  private settle(job: Job, error: Error | undefined, value?: unknown): void {
    clearTimeout(job.timer);
    if (this.running === job) this.running = undefined;
    if (error === undefined) job.resolve(value);
    else job.reject(error);
  }

  /** Sends the next read when none runs and the process is up (starting one if need be). */
  private pump(): void {
    if (this.closed || this.running !== undefined || this.queue.length === 0) return;
    const child = this.start();
    if (!this.ready) return;
    const job = this.queue.shift()!;
    this.running = job;
    child.send(job.request);
  }

  private expire(job: Job, limitMs: number): void {
    if (this.running === job) {
      this.timedOut.running++;
      this.settle(job, new ReadTimeoutError(job.request.op, limitMs, false));
      // Its statement cannot be interrupted: the process goes, the next read gets a new one.
      const child = this.child;
      this.child = undefined;
      child?.kill('SIGKILL');
    } else {
      const at = this.queue.indexOf(job);
      if (at < 0) return;
      this.queue.splice(at, 1);
      this.timedOut.queued++;
      this.settle(job, new ReadTimeoutError(job.request.op, limitMs, true));
    }
    this.pump();
  }

  private start(): ChildProcess {
    if (this.child !== undefined) return this.child;
    const child = spawnReader();
    // Neither the process nor its channel keeps the proxy's event loop alive (the routes' close ends it).
    child.unref();
    child.channel?.unref();
    child.on('message', (reply: FromReader) => {
      if (this.child !== child) return;
      if ('ready' in reply) {
        child.send({ id: 0, op: 'init', data: this.data } satisfies ReaderInit);
        this.ready = true;
        this.pump();
        return;
      }
      const job = this.running;
      if (job === undefined || job.request.id !== reply.id) return;
      if (reply.ok) this.settle(job, undefined, reply.json);
      else this.settle(job, Object.assign(new Error(reply.message), { name: reply.name }));
      this.pump();
    });
    const gone = (error: Error) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.running !== undefined) this.settle(this.running, error);
      // Died before it was up (cannot start at all?): the reads waiting for it fail too, instead of a new process each.
      if (!this.ready) for (const job of this.queue.splice(0)) this.settle(job, error);
      this.ready = false;
      this.pump();
    };
    child.on('error', gone);
    child.on('exit', (code, signal) => gone(new Error(`audit reader process exited (${signal ?? `code ${code}`})`)));
    this.child = child;
    this.ready = false;
    return child;
  }
}
