/**
 * The admin API's reader thread: its own read-only connection to the audit database, answering
 * query, stats and verify requests from reader-thread.ts one at a time, so that walking or scanning
 * the whole table never blocks the proxy's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openAuditReader, type AuditFileReader, type AuditFilter, type ExpectedHead, type QueryOptions } from '../audit/index.js';

export interface ReaderWorkerData {
  path: string;
  chainKey?: string;
}

export type ToReader =
  | { id: number; op: 'query'; options: QueryOptions }
  | { id: number; op: 'stats'; filter: AuditFilter }
  | { id: number; op: 'verify'; expect?: ExpectedHead };

export type FromReader = { id: number; ok: true; result: unknown } | { id: number; ok: false; name: string; message: string };

const { path, chainKey } = workerData as ReaderWorkerData;
let reader: AuditFileReader | undefined;

function answer(request: ToReader): unknown {
  reader ??= openAuditReader(path, { chainKey });
  switch (request.op) {
    case 'query':
      return reader.query(request.options);
    case 'stats':
      return reader.stats(request.filter);
    case 'verify':
      return reader.verify(request.expect);
  }
}

parentPort!.on('message', (request: ToReader) => {
  let reply: FromReader;
  try {
    reply = { id: request.id, ok: true, result: answer(request) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply = { id: request.id, ok: false, name: e.name, message: e.message };
  }
  parentPort!.postMessage(reply);
});
