/**
 * The proxy writes what one read brought in one write, on each side, with the audit on as with it
 * off: the requests of one client chunk go to the backend in one write, and the answers of one
 * backend chunk go to the client in one write, whether they are journaled raw (their bytes), parsed
 * and recorded (record()), or not recorded at all. (More writes per chunk cost the proxy a write()
 * each, and wake the peer once more each.) In process, with the real proxy, a real SQLite file and
 * mapped journal, and a real backend child that answers a group of requests in one write
 * (test/servers/batch-backend.mjs); the client side is a stream whose chunks are the proxy's writes.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { disabledRecorder, openAuditStore, type AuditStore } from '../src/audit/index.js';
import { backendCredentialResolver } from '../src/identity/index.js';
import { createLogger } from '../src/log/logger.js';
import { WardenProxy } from '../src/proxy/proxy.js';
import { NdjsonTransport } from '../src/transport/ndjson.js';
import type { Decision, PolicyDecider, Recorder } from '../src/types.js';
import { auditConfig, tempDir } from './helpers/audit.js';
import { ROOT, stdioBackend } from './helpers/proxy.js';

const BACKEND = join(ROOT, 'test/servers/batch-backend.mjs');
const GROUP = 12;
const ALLOW: Decision = { allowed: true, reasons: [], mode: 'enforce', policyVersion: 'allow-all-v1', micros: 3 };
const decider: PolicyDecider = { unconditionalAllow: ALLOW, decide: () => ALLOW };
const CLIENT = { id: 'alice', name: 'Alice', auth: 'local' as const, roles: [], claims: {} };

interface Outcome {
  /** The proxy's writes to the client that held answers to the group's calls, as the lines each held. */
  writes: string[][];
  /** How many reads of the backend brought it the group's requests (from the answers' text). */
  backendReads: number[];
}

/** Sends GROUP tools/call requests in one chunk, `groups` times, and sees how the proxy wrote them. */
async function runGroups(recorder: Recorder, style: 'compact' | 'spaced', groups: number): Promise<Outcome[]> {
  const backend = stdioBackend({ name: 'b', prefix: '', command: process.execPath, args: [BACKEND], env: { BATCH_GROUP: String(GROUP), BATCH_STYLE: style }, timeoutMs: 10_000 });
  const proxy = new WardenProxy({ backends: [backend], restartBackends: false, decider, recorder, backendCredentials: backendCredentialResolver(), logger: createLogger({ level: 'silent' }), version: '0.0.0-test' });
  const toProxy = new PassThrough();
  const toClient = new PassThrough();
  let onWrite: ((lines: string[]) => void) | undefined;
  let initAnswered: (() => void) | undefined;
  toClient.on('data', (chunk: Buffer) => {
    const lines = chunk.toString('utf8').split('\n').filter((l) => l !== '');
    if (lines.some((l) => l.includes('"serverInfo"'))) initAnswered?.();
    else onWrite?.(lines);
  });
  const out: Outcome[] = [];
  try {
    await proxy.openSession(new NdjsonTransport(toProxy, toClient, { answerInvalid: true }), { sessionId: 'session-batch', transport: 'stdio', client: CLIENT });
    const init = new Promise<void>((resolve) => (initAnswered = resolve));
    toProxy.write('{"jsonrpc":"2.0","id":1000,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n');
    await init;
    toProxy.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    for (let g = 0; g < groups; g++) {
      const writes: string[][] = [];
      let answered = 0;
      const all = new Promise<void>((resolve) => {
        onWrite = (lines) => {
          writes.push(lines);
          answered += lines.length;
          if (answered >= GROUP) resolve();
        };
      });
      let chunk = '';
      for (let i = 1; i <= GROUP; i++) chunk += `{"jsonrpc":"2.0","id":${g * 100 + i},"method":"tools/call","params":{"name":"echo","arguments":{"text":"call ${i}"}}}\n`;
      toProxy.write(chunk);
      await all;
      // Let a straggler write (if any) show up before the next group.
      await new Promise((r) => setTimeout(r, 20));
      const backendReads = writes.flat().map((l) => Number(/reads:(\d+)/.exec(l)?.[1]));
      out.push({ writes, backendReads });
    }
  } finally {
    await proxy.close();
  }
  return out;
}

function expectOneWriteEach(outcomes: Outcome[]): void {
  for (const o of outcomes) {
    expect(o.writes.map((w) => w.length), 'answers per write to the client').toEqual([GROUP]);
    expect(o.backendReads, 'reads that brought the backend its requests').toEqual(new Array(GROUP).fill(1));
  }
}

describe('proxy write batching: one write per chunk on each side, audit on or off', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let store: AuditStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    vi.restoreAllMocks();
    tmp?.cleanup();
    tmp = undefined;
  });

  it('audit off: the answers of a chunk leave together', async () => {
    expectOneWriteEach(await runGroups(disabledRecorder, 'compact', 3));
  });

  it('audit on, answers journaled raw (compact answers): they leave together, after the journal holds them', async () => {
    tmp = tempDir();
    store = openAuditStore(auditConfig(join(tmp.dir, 'raw.db')));
    const recordRawBytes = vi.fn(store.recordRawBytes!);
    const recorder: Recorder = { record: (e) => store!.record(e), rawSafeBytes: (b, s, e) => store!.rawSafeBytes!(b, s, e), recordRawBytes, close: async () => undefined };
    expectOneWriteEach(await runGroups(recorder, 'compact', 3));
    expect(recordRawBytes).toHaveBeenCalledTimes(3 * GROUP);
    await store.flush();
    expect(store.query({ method: 'tools/call' }).rows.length).toBe(3 * GROUP);
  });

  it('audit on, answers parsed and recorded (not compact): they leave together too', async () => {
    tmp = tempDir();
    store = openAuditStore(auditConfig(join(tmp.dir, 'parsed.db')));
    const record = vi.fn((e: Parameters<Recorder['record']>[0]) => store!.record(e));
    const recorder: Recorder = { record, close: async () => undefined };
    expectOneWriteEach(await runGroups(recorder, 'spaced', 3));
    // initialize and the calls
    expect(record).toHaveBeenCalledTimes(1 + 3 * GROUP);
    await store.flush();
    expect(store.query({ method: 'tools/call' }).rows.length).toBe(3 * GROUP);
  });
});
