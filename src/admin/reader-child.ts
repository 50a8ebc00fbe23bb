/**
 * The admin API's reader process (started by reader-process.ts): its own read-only connection to
 * the audit database, answering query, stats and verify requests one at a time over the IPC
 * channel with their JSON text, so that walking or scanning the whole table never blocks the proxy's event loop, and a
 * read past its time limit can be ended at once by killing this process (a worker thread cannot be
 * stopped inside a SQLite statement). Told the database (and chain key) by its first message, never
 * by its arguments or environment. Exits when the channel closes (its parent ended). Writes nothing
 * on stdout (serve's stdio frontend is there).
 */
import { openAuditReader, type AuditFileReader, type ExpectedHead, type QueryOptions, type StatsOptions } from '../audit/index.js';

export interface ReaderData {
  path: string;
  chainKey?: string;
}

export type ToReader =
  | { id: number; op: 'query'; options: QueryOptions }
  | { id: number; op: 'stats'; filter: StatsOptions }
  | { id: number; op: 'verify'; expect?: ExpectedHead };

/** The first message: which database to read. */
export type ReaderInit = { id: 0; op: 'init'; data: ReaderData };

/**
 * A request's answer (its JSON text, made here: the proxy's thread sends it as it is), or (id 0,
 * once, before anything else) that the process is up and takes requests.
 */
export type FromReader = { id: number; ok: true; json: string } | { id: number; ok: false; name: string; message: string } | { id: 0; ready: true };

let data: ReaderData | undefined;
let reader: AuditFileReader | undefined;

function answer(request: ToReader): unknown {
  if (data === undefined) throw new Error('audit reader: no init message');
  reader ??= openAuditReader(data.path, { chainKey: data.chainKey });
  switch (request.op) {
    case 'query':
      return reader.query(request.options);
    case 'stats':
      return reader.stats(request.filter);
    case 'verify':
      return reader.verify(request.expect);
  }
}

process.on('message', (message: ToReader | ReaderInit) => {
  if (message.op === 'init') {
    data = message.data;
    return;
  }
  let reply: FromReader;
  try {
    // As JSON text: a page of 1,000 rows of large payloads is ~30 MB of objects, and decoding them
    // from the channel and serializing them again took the proxy's thread ~0.8 s (a stats of a
    // million tool names ~4 s), every MCP session waiting; a string crosses the channel as a copy.
    reply = { id: message.id, ok: true, json: JSON.stringify(answer(message)) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply = { id: message.id, ok: false, name: e.name, message: e.message };
  }
  process.send!(reply);
});
process.on('disconnect', () => process.exit(0));
process.send!({ id: 0, ready: true } satisfies FromReader);
