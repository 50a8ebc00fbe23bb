#!/usr/bin/env node
/**
 * Where a proxy's CPU per call goes, thread by thread: for bench scenarios run one after the other
 * in interleaved rounds, the CPU µs per call of each thread of the proxy (schedstat: on-CPU time) and
 * its runqueue wait (w: runnable but not running), plus the backend's main thread and the call p50.
 * Threads are named by their tid's offset from the process's (main: the event loop; the audit
 * writer is the busiest non-main thread of an audited proxy; libuv's pool and V8's platform threads
 * are the rest). Threads under 0.1 µs/call are left out.
 *   node bench/thread-cpu.mjs --only wrap,wrap-audit [--rate 4000] [--calls N] [--rounds N]
 * Without --rate the load is closed-loop at concurrency 16.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cleanup, scenarios, stopSharedBackends } from './scenarios.mjs';

const { values: o } = parseArgs({ options: { only: { type: 'string' }, rate: { type: 'string' }, calls: { type: 'string', default: '32000' }, rounds: { type: 'string', default: '3' } } });
const rate = o.rate === undefined ? undefined : Number(o.rate);
const calls = Number(o.calls);

/** { thread: { ns on CPU, ns waiting } } of process `pid`. */
function threadTimes(pid) {
  const out = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out[tid === String(pid) ? 'main' : `t+${Number(tid) - pid}`] = { run, wait };
    } catch {
      /* thread exited between readdir and read */
    }
  }
  return out;
}

const perCall = (ns) => (ns / 1000 / calls).toFixed(2);
const list = scenarios().filter((s) => o.only.split(',').includes(s.name));
const running = [];
try {
  for (const s of list) running.push({ s, h: await s.start() });
  for (const { s, h } of running) await h.session.run(20_000, 16, s.call);
  for (let round = 0; round < Number(o.rounds); round++) {
    for (const { s, h } of running) {
      await new Promise((r) => setTimeout(r, 300));
      const before = threadTimes(h.proxyPid);
      const backendBefore = threadTimes(h.backendPid).main;
      const r = await h.session.run(calls, 16, s.call, rate);
      await new Promise((r) => setTimeout(r, 200)); // the writer's batch of the round's last rows
      const after = threadTimes(h.proxyPid);
      const backendAfter = threadTimes(h.backendPid).main;
      const sorted = Array.from(r.latenciesMs).sort((a, b) => a - b);
      const threads = Object.entries(after)
        .map(([name, t]) => ({ name, run: t.run - (before[name]?.run ?? 0), wait: t.wait - (before[name]?.wait ?? 0) }))
        .filter((t) => t.run / 1000 / calls >= 0.1)
        .map((t) => `${t.name} ${perCall(t.run)} (w ${perCall(t.wait)})`);
      console.log(`${s.name.padEnd(22)} p50 ${(sorted[calls >> 1] * 1000).toFixed(0)} µs, ${((calls / r.elapsedMs) * 1000).toFixed(0)} calls/s, backend ${perCall(backendAfter.run - backendBefore.run)} | ${threads.join(', ')}`);
    }
  }
} finally {
  for (const { h } of running) await h.stop();
  await stopSharedBackends();
  cleanup();
}
