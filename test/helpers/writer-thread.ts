/**
 * A real audit writer thread (src/audit/writer-worker.ts) on a database file, fed batches as the
 * recorder posts them: for the tests of what the writer does with damaged journal lines, with the
 * native writer or the JS one (MCP_WARDEN_NATIVE_WRITER=off while it starts).
 */
import type { FromWriter } from '../../src/audit/writer-worker.js';
import { spawnWriter } from '../../src/audit/writer-spawn.js';

export interface WriterThreadRun {
  dbPath: string;
  native: boolean;
  redactFields: string[];
  maxPayloadBytes: number;
  /** Posted in order once the thread says which writer it runs. */
  batches: Array<{ text: string; lastSeq: number }>;
  /** Resolves once the writer reports this journal number committed (rejects after 5 s). */
  until: number;
}

/** Every message the writer thread sent until `until` was committed; the thread is ended. */
export async function runWriterThread(run: WriterThreadRun): Promise<FromWriter[]> {
  const before = process.env.MCP_WARDEN_NATIVE_WRITER;
  if (!run.native) process.env.MCP_WARDEN_NATIVE_WRITER = 'off';
  const worker = spawnWriter({ dbPath: run.dbPath, journalId: 'j', retentionIntervalMs: 3_600_000, maxQueue: 1000, redactFields: run.redactFields, maxPayloadBytes: run.maxPayloadBytes });
  if (before === undefined) delete process.env.MCP_WARDEN_NATIVE_WRITER;
  else process.env.MCP_WARDEN_NATIVE_WRITER = before;
  const seen: FromWriter[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no commit of line ${run.until}: ${JSON.stringify(seen)}`)), 5_000);
      worker.on('error', reject);
      worker.on('message', (msg: FromWriter) => {
        seen.push(msg);
        if (msg.type === 'writer') for (const b of run.batches) worker.postMessage({ type: 'batch', text: b.text, lastSeq: b.lastSeq, earlierRows: 0 });
        if (msg.type === 'committed' && msg.committed >= run.until) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    await worker.terminate();
  }
  return seen;
}
