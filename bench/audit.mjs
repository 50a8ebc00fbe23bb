#!/usr/bin/env node
/**
 * Audit recorder throughput (issue 7, goal >= 20,000 rows/s sustained): records N realistic rows
 * through the real recorder (redaction, journal write, writer thread, SQLite transactions, hash
 * chain) into a fresh database, in turns of 16 rows (the answers of one chunk), yielding to the
 * event loop every 500 rows, and waits until every row is committed. Reports committed rows/s and
 * the cost of record() itself (the only part on a call's path); then the same for raw entries
 * (recordRaw(), the raw path of a tools/call nothing judged). Exported as bench() for bench/run.mjs; runnable alone:
 *   npm run build && node bench/audit.mjs [--quick]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const GOAL_ROWS_PER_S = 20_000;
const TURN = 16;

function makeRecord(i) {
  const deny = i % 10 === 0;
  return {
    time: Date.now(),
    clientId: `client-${i % 8}`,
    clientName: `Client ${i % 8}`,
    authMethod: 'api_key',
    sessionId: `session-${i % 32}`,
    transport: 'streamable-http',
    backend: 'qubinode',
    method: 'tools/call',
    requestId: i,
    tool: deny ? 'qubinode__delete_vm' : 'qubinode__list_vms',
    arguments: { name: `vm-${i}`, filter: { state: 'running', tags: ['prod', 'eu-west'] }, token: 'tok-should-be-redacted' },
    decision: deny ? 'deny' : 'allow',
    reasons: deny ? ['delete_vm requires the admin role'] : [],
    policyVersion: 'sha256:0f3a9c',
    outcome: deny ? 'denied' : 'ok',
    result: deny ? undefined : { content: [{ type: 'text', text: `vm-${i} running on host-${i % 5}, 4 vCPU, 8 GiB` }], isError: false },
    isError: deny ? undefined : false,
    decisionMicros: 35,
    backendMicros: deny ? undefined : 850,
    requestBytes: 180,
    responseBytes: deny ? 120 : 260,
  };
}

const RAW_HEAD = { clientId: 'local:root', clientName: 'root', authMethod: 'local', sessionId: 'stdio-1', transport: 'stdio', backend: 'qubinode', decision: 'allow', reasons: [], policyVersion: 'sha256:0f3a9c', decisionMicros: 0 };

/** A raw entry's lines (the raw path: a tools/call nothing judged, journaled as its lines came). */
function rawLines(i) {
  const request = `{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"list_vms","arguments":{"name":"vm-${i}","filter":{"state":"running","tags":["prod","eu-west"]}}}}`;
  const answer = `{"jsonrpc":"2.0","id":${i},"result":{"content":[{"type":"text","text":"vm-${i} running on host-${i % 5}, 4 vCPU, 8 GiB"}],"isError":false}}`;
  return [request, answer];
}

/** One entry as the proxy records it: a parsed record, or a raw entry (lines checked with rawSafe, as the proxy does). */
function recordOne(store, kind, i, lines) {
  if (kind === 'parsed') return store.record(makeRecord(i));
  const [request, answer] = lines[i % lines.length];
  if (!store.rawSafe(request) || !store.rawSafe(answer)) throw new Error('bench lines must be raw-safe');
  return store.recordRaw(RAW_HEAD, Date.now(), 850, request, request.length, answer, answer.length);
}

/** CPU time (µs) of each thread of this process but the main one (Linux /proc; {} elsewhere). */
function threadCpu() {
  const out = {};
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      if (Number(tid) === process.pid) continue;
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[tid] = (Number(f[11]) + Number(f[12])) * 10_000; // utime + stime in clock ticks of 10 ms
    }
  } catch {
    // Not Linux: no per-thread figure.
  }
  return out;
}

/** The writer thread's CPU between two threadCpu() snapshots: the thread that used the most. */
function writerCpu(before, after) {
  let most;
  for (const [tid, t] of Object.entries(after)) {
    const d = t - (before[tid] ?? 0);
    if (most === undefined || d > most) most = d;
  }
  return most;
}

async function pass(kind, rows, openAuditStore, auditSchema) {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-audit-bench-'));
  const lines = Array.from({ length: 1024 }, (_, i) => rawLines(i));
  try {
    const store = openAuditStore(auditSchema.parse({ path: path.join(dir, 'audit.db') }));
    // Warm up (JIT, writer thread start, schema) outside the measurement.
    for (let i = 0; i < 2000; i++) recordOne(store, kind, i, lines);
    await store.flush();

    let recordNs = 0n;
    let deferred = 0;
    const cpu0 = process.cpuUsage();
    const threads0 = threadCpu();
    const t0 = process.hrtime.bigint();
    // Records come in turns of TURN rows, as the answers of one chunk a backend wrote (the bench's
    // concurrency 16); a record() that returns a promise (written with the rest of its turn, or
    // back-pressure) is answered once it settles, as the proxy does.
    let pendings = [];
    for (let i = 0; i < rows; i++) {
      const r0 = process.hrtime.bigint();
      const pending = recordOne(store, kind, i, lines);
      recordNs += process.hrtime.bigint() - r0;
      if (pending) pendings.push(pending);
      if (i % TURN === TURN - 1 && pendings.length > 0) {
        deferred += pendings.length;
        await Promise.all(pendings);
        pendings = [];
      }
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    deferred += pendings.length;
    await Promise.all(pendings);
    const accepted = process.hrtime.bigint();
    await store.flush();
    const t1 = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpu0);
    const writer = writerCpu(threads0, threadCpu());
    const verify = store.verify();
    await store.close();
    const seconds = Number(t1 - t0) / 1e9;
    return {
      kind,
      rows,
      seconds: Number(seconds.toFixed(3)),
      rowsPerSecond: Math.round(rows / seconds),
      acceptSeconds: Number((Number(accepted - t0) / 1e9).toFixed(3)),
      recordMicrosMean: Number((Number(recordNs) / 1000 / rows).toFixed(2)),
      deferredRecords: deferred,
      /** CPU of the whole process (both threads, including generating the records) per row. */
      cpuMicrosPerRow: Number(((cpu.user + cpu.system) / rows).toFixed(2)),
      /** CPU of the writer thread alone per row (Linux; 10 ms ticks), or null. */
      writerCpuMicrosPerRow: writer === undefined ? null : Number((writer / rows).toFixed(2)),
      verified: verify.ok,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Two passes: parsed records (record(): redacted and serialized on the call path) and raw entries
 * (recordRaw(): the lines as they came; the writer thread parses them, redacts and builds the row).
 */
export async function bench({ quick = false, scale = 1 } = {}) {
  const { openAuditStore } = await import(pathToFileURL(path.join(ROOT, 'dist/audit/index.js')).href);
  const { auditSchema } = await import(pathToFileURL(path.join(ROOT, 'dist/config/audit.js')).href);
  const rows = Math.max(5000, Math.round((quick ? 30_000 : 200_000) * scale));
  const parsed = await pass('parsed', rows, openAuditStore, auditSchema);
  const raw = await pass('raw', rows, openAuditStore, auditSchema);
  const met = [parsed, raw].every((p) => p.rowsPerSecond >= GOAL_ROWS_PER_S && p.verified);
  const result = {
    ...parsed,
    raw,
    loadAverage: os.loadavg()[0],
    cores: os.availableParallelism?.() ?? os.cpus().length,
    goal: { rowsPerSecond: GOAL_ROWS_PER_S, met },
  };
  const line = (p, what) => [
    `audit recorder, ${what}: ${p.rows} rows committed in ${p.seconds}s = ${p.rowsPerSecond.toLocaleString('en-US')} rows/s sustained`,
    `  on the call path: ${p.recordMicrosMean} us/row mean; answered after a promise (turn batch or back-pressure): ${p.deferredRecords}; chain verifies: ${p.verified}`,
    `  CPU (both threads): ${p.cpuMicrosPerRow} us/row; writer thread: ${p.writerCpuMicrosPerRow ?? 'n/a'} us/row`,
  ];
  result.text = [
    ...line(parsed, 'parsed records (record())'),
    ...line(raw, 'raw entries (recordRaw())'),
    `  machine: ${result.cores} cores, load average ${result.loadAverage.toFixed(1)}`,
    `  goal >= ${GOAL_ROWS_PER_S.toLocaleString('en-US')} rows/s: ${met ? 'MET' : 'NOT MET'}`,
  ].join('\n');
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await bench({ quick: process.argv.includes('--quick') });
  console.log(result.text);
  if (!result.goal.met) process.exitCode = 1;
}
