/**
 * Pieces of the recorder (recorder.ts) that stand alone: how its writer thread is started, and the
 * batch of journal lines recorded in one turn of the event loop.
 */
import { Worker } from 'node:worker_threads';
import type { WriterWorkerData } from './writer-worker.js';

/** Journal lines recorded in one turn, written together; `written` settles after their write(). */
export class TurnBatch {
  text = '';
  readonly written: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;

  constructor(readonly firstSeq: number) {
    this.written = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** Starts the writer thread; from TypeScript sources (tests) it is loaded through tsx. */
export function spawnWriter(workerData: WriterWorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('./writer-worker.ts', here).href;
    const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData });
  }
  return new Worker(new URL('./writer-worker.js', here), { workerData });
}
