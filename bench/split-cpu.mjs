#!/usr/bin/env node
/**
 * Where a proxy's CPU per call goes, user vs kernel, for a few bench scenarios run side by side
 * (interleaved rounds, as bench/run.mjs does): CPU µs/call (schedstat, all threads), user and
 * system µs/call (/proc/PID/stat, clock ticks), context switches per call (voluntary: the proxy
 * went to sleep waiting for input; involuntary: it was preempted), read/write syscalls per call.
 *   node bench/split-cpu.mjs --only a,b [--calls N] [--rounds N] [--concurrency 16]
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpuNs, syscallCounts } from './proc-stats.mjs';
import { cleanup, scenarios, stopSharedBackends } from './scenarios.mjs';

const { values: o } = parseArgs({ options: { only: { type: 'string' }, calls: { type: 'string', default: '12000' }, rounds: { type: 'string', default: '6' }, concurrency: { type: 'string', default: '16' }, warmup: { type: 'string', default: '20000' }, perf: { type: 'string' }, 'trace-gc': { type: 'boolean', default: false } } });
// --trace-gc: the proxies' garbage collections during the measured rounds, counted by kind (V8's --trace-gc lines on their stderr)
if (o['trace-gc']) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${new URL('./trace-gc.cjs', import.meta.url).pathname}`.trim();

// --perf FILE: the proxies' CPU sampled by perf (cpu-clock: on-CPU time only) during the measured rounds, JIT symbols by --perf-basic-prof.
if (o.perf) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --perf-basic-prof`.trim();
const started = Date.now();
const names = o.only.split(',');
const list = scenarios().filter((s) => names.includes(s.name));
const c = Number(o.concurrency);
const calls = Number(o.calls);

/** the gc-stats line a proxy preloaded with trace-gc.cjs writes on SIGUSR2 */
async function gcStats(h) {
  if (!o['trace-gc']) return undefined;
  const err = h.session.proc.stderr;
  return new Promise((resolve) => {
    let text = '';
    const onData = (c) => {
      text += c;
      const m = /gc-stats (\{.*\})/.exec(text);
      if (!m) return;
      err.off('data', onData);
      resolve(JSON.parse(m[1]));
    };
    err.on('data', onData);
    process.kill(h.proxyPid, 'SIGUSR2');
  });
}

function stat(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const v = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)[1]);
  const iv = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(st)[1]);
  return { u: Number(f[11]) * 1e7, s: Number(f[12]) * 1e7, cpu: cpuNs(pid), v, iv, ...syscallCounts(pid) };
}
const handles = new Map();
try {
  for (const s of list) handles.set(s.name, await s.start());
  for (const s of list) await handles.get(s.name).session.run(Number(o.warmup), c, s.call);
  const agg = {};
  let perf;
  if (o.perf) {
    const pids = [...handles.values()].map((h) => h.proxyPid).join(',');
    perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '4999', '-g', '-p', pids, '-o', o.perf], { stdio: ['ignore', 'ignore', 'inherit'] });
    await new Promise((r) => setTimeout(r, 1000));
    console.log(`perf on ${list.map((s) => `${s.name}=${handles.get(s.name).proxyPid}`).join(' ')}`);
  }
  for (let r = 0; r < Number(o.rounds); r++) {
    for (const s of r % 2 ? [...list].reverse() : list) {
      const h = handles.get(s.name);
      const ga = await gcStats(h);
      const a = stat(h.proxyPid);
      const b0 = cpuNs(h.backendPid);
      await h.session.run(calls, c, s.call);
      const b = stat(h.proxyPid);
      const gb = await gcStats(h);
      const g = (agg[s.name] ??= { n: 0, u: 0, s: 0, cpu: 0, v: 0, iv: 0, r: 0, w: 0, be: 0, rounds: [] });
      g.n += calls;
      for (const k of ['u', 's', 'cpu', 'v', 'iv', 'r', 'w']) g[k] += b[k] - a[k];
      g.be += cpuNs(h.backendPid) - b0;
      g.rounds.push((b.cpu - a.cpu) / calls / 1000);
      if (ga && gb) {
        for (const k of ['minor', 'major', 'incremental', 'ms']) (g.gc ??= {})[k] = (g.gc[k] ?? 0) + gb[k] - ga[k];
        g.heap = `heap ${gb.heapUsedMB} MB, external ${gb.externalMB} MB`;
      }
    }
  }
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('exit', r));
  }
  for (const [name, g] of Object.entries(agg)) {
    const per = (x) => (x / g.n / 1000).toFixed(2);
    const pc = (x) => (x / g.n).toFixed(3);
    console.log(`${name.padEnd(22)} cpu ${per(g.cpu)} µs (user ${per(g.u)} sys ${per(g.s)}) backend ${per(g.be)}; ctxsw/call vol ${pc(g.v)} invol ${pc(g.iv)}; syscalls/call r ${pc(g.r)} w ${pc(g.w)}; rounds ${g.rounds.map((x) => x.toFixed(1)).join(' ')}${g.gc ? `; gc per 10k calls: ${JSON.stringify(Object.fromEntries(Object.entries(g.gc).map(([k, v]) => [k, +((v * 10000) / g.n).toFixed(2)])))} (${g.heap})` : ''}`);
  }
} finally {
  for (const h of handles.values()) await h.stop().catch(() => {});
  // --perf-basic-prof also makes each process (the proxies and their backends) write a V8 log here: removed
  if (o.perf) {
    for (const f of readdirSync('.')) {
      if (/^isolate-0x[0-9a-f]+-\d+-v8\.log$/.test(f) && statSync(f).mtimeMs >= started) unlinkSync(f);
    }
  }
  await stopSharedBackends();
  cleanup();
}
