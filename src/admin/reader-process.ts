/**
 * Runs the admin API's audit reads (query, stats, verify) on a worker thread with its own
 * read-only connection (reader-worker.ts). On the proxy's event loop, a verify of a large audit
 * (tens of µs per row: ~3 s for 100,000 rows) or a stats or text scan froze every MCP session for
 * that long. Started on first use, kept for the next request, ended with the admin routes; a thread
 * that dies fails its pending requests and the next request starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { AuditFilter, AuditStats, ExpectedHead, QueryOptions, QueryPage, VerifyResult } from '../audit/index.js';
import type { FromReader, ReaderWorkerData, ToReader } from './reader-worker.js';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** Starts the reader thread; from TypeScript sources (tests) it is loaded through tsx. */
function spawnReader(workerData: ReaderWorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('./reader-worker.ts', here).href;
    const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData });
  }
  return new Worker(new URL('./reader-worker.js', here), { workerData });
}

export class AuditReaderThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(private readonly data: ReaderWorkerData) {}

  query(options: QueryOptions): Promise<QueryPage> {
    return this.run({ id: 0, op: 'query', options }) as Promise<QueryPage>;
  }

  stats(filter: AuditFilter): Promise<AuditStats> {
    return this.run({ id: 0, op: 'stats', filter }) as Promise<AuditStats>;
  }

  verify(expect?: ExpectedHead): Promise<VerifyResult> {
    return this.run(expect === undefined ? { id: 0, op: 'verify' } : { id: 0, op: 'verify', expect }) as Promise<VerifyResult>;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('admin API closed'));
    if (worker !== undefined) await worker.terminate();
  }

  private run(request: ToReader): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('admin API closed'));
    const id = this.nextId++;
    request.id = id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.start().postMessage(request);
    });
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = spawnReader(this.data);
    worker.unref();
    worker.on('message', (reply: FromReader) => {
      const p = this.pending.get(reply.id);
      if (p === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(Object.assign(new Error(reply.message), { name: reply.name }));
    });
    const gone = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(error);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`audit reader thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
