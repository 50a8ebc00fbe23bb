#!/usr/bin/env node
/**
 * Audit recorder throughput (issue 7, goal >= 20,000 rows/s sustained): records N realistic rows
 * through the real recorder (redaction, journal write, writer thread, SQLite transactions, hash
 * chain) into a fresh database, in turns of 16 rows (the answers of one chunk), yielding to the
 * event loop every 500 rows, and waits until every row is committed. Reports committed rows/s and
 * the cost of record() itself (the only part on a call's path). Exported as bench() for bench/run.mjs; runnable alone:
 *   npm run build && node bench/audit.mjs [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
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

export async function bench({ quick = false, scale = 1 } = {}) {
  const { openAuditStore } = await import(pathToFileURL(path.join(ROOT, 'dist/audit/index.js')).href);
  const { auditSchema } = await import(pathToFileURL(path.join(ROOT, 'dist/config/audit.js')).href);
  const rows = Math.max(5000, Math.round((quick ? 30_000 : 200_000) * scale));
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-audit-bench-'));
  try {
    const store = openAuditStore(auditSchema.parse({ path: path.join(dir, 'audit.db') }));
    // Warm up (JIT, writer thread start, schema) outside the measurement.
    for (let i = 0; i < 2000; i++) store.record(makeRecord(i));
    await store.flush();

    let recordNs = 0n;
    let deferred = 0;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    // Records come in turns of TURN rows, as the answers of one chunk a backend wrote (the bench's
    // concurrency 16); a record() that returns a promise (written with the rest of its turn, or
    // back-pressure) is answered once it settles, as the proxy does.
    let pendings = [];
    for (let i = 0; i < rows; i++) {
      const r0 = process.hrtime.bigint();
      const pending = store.record(makeRecord(i));
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
    const verify = store.verify();
    await store.close();

    const seconds = Number(t1 - t0) / 1e9;
    const rowsPerS = Math.round(rows / seconds);
    const recordMicros = Number(recordNs) / 1000 / rows;
    const result = {
      rows,
      seconds: Number(seconds.toFixed(3)),
      rowsPerSecond: rowsPerS,
      acceptSeconds: Number((Number(accepted - t0) / 1e9).toFixed(3)),
      recordMicrosMean: Number(recordMicros.toFixed(2)),
      deferredRecords: deferred,
      /** CPU of the whole process (both threads, including generating the records) per row. */
      cpuMicrosPerRow: Number(((cpu.user + cpu.system) / rows).toFixed(2)),
      loadAverage: os.loadavg()[0],
      cores: os.availableParallelism?.() ?? os.cpus().length,
      verified: verify.ok,
      goal: { rowsPerSecond: GOAL_ROWS_PER_S, met: rowsPerS >= GOAL_ROWS_PER_S && verify.ok },
    };
    result.text = [
      `audit recorder: ${rows} rows committed in ${result.seconds}s = ${rowsPerS.toLocaleString('en-US')} rows/s sustained`,
      `  record() on the call path: ${result.recordMicrosMean} us/row mean; answered after a promise (turn batch or back-pressure): ${deferred}; chain verifies: ${verify.ok}`,
      `  CPU (both threads): ${result.cpuMicrosPerRow} us/row; machine: ${result.cores} cores, load average ${result.loadAverage.toFixed(1)}`,
      `  goal >= ${GOAL_ROWS_PER_S.toLocaleString('en-US')} rows/s: ${result.goal.met ? 'MET' : 'NOT MET'}`,
    ].join('\n');
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await bench({ quick: process.argv.includes('--quick') });
  console.log(result.text);
  if (!result.goal.met) process.exitCode = 1;
}
