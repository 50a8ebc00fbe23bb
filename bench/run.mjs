#!/usr/bin/env node
/**
 * `npm run bench`: tools/call latency (p50, p99), throughput and CPU per call of the proxy process,
 * at concurrency 1 and 16, for every scenario in bench/scenarios.mjs (direct stdio, bare relay,
 * wrap, direct Streamable HTTP, serve, and the policy / audit variants), all in one run. Sessions
 * stay open for the whole run (unless --fresh) and measurement rounds are interleaved across scenarios, so that
 * noise from a shared machine hits them alike; ratios within one run are what count.
 * Then optional extra benchmarks (bench/rego-engine.mjs, policy-decision.mjs, audit.mjs, identity-auth.mjs) if present.
 * Options: --quick (smoke run), --only a,b (scenario names), --rounds N, --scale X (call counts),
 * --skip-peers (leave out mcp-proxy and supergateway, which are installed into .cache/peers),
 * --skip-extras (leave out the extra benchmarks below),
 * --rate N (the open-loop level's calls per second, default 4000; 0 leaves it out),
 * --fresh (start each scenario's processes anew for every round: start, warm-up, measure, stop, so
 * that a ratio does not carry one process's luck in placement, JIT and heap layout; rounds stay interleaved),
 * --profile (V8 CPU profiles of the relay, wrap and serve processes into bench/results/profiles-<time>/,
 * summarized at the end; profiling slows them, so figures of such a run are not comparable).
 * Writes bench/results/bench-<time>.json.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../scripts/lib/procs.mjs';
import { coreSpeeds } from './core-speeds.mjs';
import { cpuNs, machineBusyNs, mainThreadCpuNs, percentile, syscallCounts } from './proc-stats.mjs';
import { formatSummary } from './profile-summary.mjs';
import { levelName, levelTag, render, summarize, verdicts } from './report.mjs';
import { cleanup, scenarios, stopSharedBackends } from './scenarios.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    scale: { type: 'string' },
    'skip-peers': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'skip-extras': { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    rate: { type: 'string' },
  },
});
/**
 * Load levels: closed loops of 1 and 16 calls in flight (each call leaves when one is answered: at
 * 16 the two cores are full, so what it shows is how much CPU a call costs everything on the
 * machine), and for stdio scenarios an open loop at RATE calls per second (load-stdio.mjs: calls
 * leave on a clock, whatever is in flight), well below what any scenario sustains: the latency a
 * call sees on a machine with room to spare, which is where a proxy in front of real servers runs.
 * An open level is named `r<RATE>`, a closed one by its number.
 */
const RATE = Number(opts.rate ?? 4000);
// Whole calls per second: the level's tag (r<RATE>) is what bench/runs-summary.mjs reads goal lines by.
if (!Number.isInteger(RATE) || RATE < 0) throw new Error(`--rate: a whole number of calls per second (0: no open level), not ${opts.rate}`);
const OPEN = RATE > 0 ? `r${RATE}` : undefined;
const CONCURRENCIES = OPEN ? [1, 16, OPEN] : [1, 16];
/** In flight during the warm-up of the open level (a closed loop), and the open level's calls: two seconds' worth. */
const OPEN_WARM_CONCURRENCY = 16;
const OPEN_SECONDS = 2;
const scale = Number(opts.scale ?? (opts.quick ? 0.1 : 1));
const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 4));
/**
 * Calls per scenario per concurrency (split across rounds), and warm-up calls before the first round.
 * The warm-up is long on purpose: a proxy's CPU per call keeps falling for ~10,000 stdio calls while
 * V8 tiers up its code (and Node's own stream code); even the bare relay's falls from ~150 µs to ~35 µs
 * (measured 2026-11-23, 1,000-call steps). Goals are about the steady state, so every scenario,
 * baseline and proxy alike, gets the same warm-up before its first measured round (with --fresh,
 * before every round, since every round has new processes).
 */
const PLAN = {
  stdio: { 1: 4000, 16: 12000, ...(OPEN ? { [OPEN]: RATE * OPEN_SECONDS } : {}), warmup: 8000 },
  http: { 1: 2000, 16: 6000, warmup: 2500 },
};
const log = (m) => process.stderr.write(`${m}\n`);

/**
 * Levels where the machine has room (c1 and the open loop): there a proxy's steady state has no
 * work left over from earlier calls, so a measurement starts once the proxy is quiet (the audit
 * writer has committed the warm-up's rows: thousands sent at 16 in flight, which it would otherwise
 * write during the measured calls), and its CPU is read once the measured calls' own leftover work
 * (their last batch of audit rows) is done. At c16 the cores are full and a writer that lags behind
 * is the steady state, so a scenario's own round does not wait for it; other scenarios' rounds do
 * (settleOthers), so that its leftover work is counted against no one.
 */
const settles = (level) => level !== 16;
/**
 * Least calls in one c16 round. A round must span many audit flush intervals (50 ms): the rows of
 * a round shorter than one are written after it ends, so its p50 would leave out the writer's work
 * that a sustained load pays for (a stdio round of 1,500 calls at ~45,000 calls/s lasts ~35 ms).
 * 16,000 stdio calls are ~0.35 s, seven intervals; HTTP serves ~10,000 calls/s.
 */
const MIN_C16_ROUND_CALLS = { stdio: 16000, http: 4000 };
/** Quiet: under SETTLE_NS of the proxy's CPU (all threads) in SETTLE_STEP_MS; waiting gives up after SETTLE_MAX_MS. */
const SETTLE_STEP_MS = 50;
const SETTLE_NS = 1_500_000;
const SETTLE_MAX_MS = 5000;

async function settle(handle, name) {
  const pid = handle.proxyPid;
  if (!pid) return;
  let prev = cpuNs(pid);
  for (let waited = 0; waited < SETTLE_MAX_MS; waited += SETTLE_STEP_MS) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_STEP_MS));
    const now = cpuNs(pid);
    if (now - prev < SETTLE_NS) return;
    prev = now;
  }
  log(`${name}: still busy ${SETTLE_MAX_MS} ms after its calls (measured as it is)`);
}

/**
 * Waits until every other scenario's proxy is quiet before one scenario's round starts, at every
 * level: a c16 round leaves its proxy busy (its audit writer commits the round's last rows after
 * it), and that work must not land in the next scenario's round, where it would slow a neighbour
 * (say the audit-off baseline) with the audited proxy's own cost.
 */
async function settleOthers(handles, except) {
  const others = [...handles].filter(([name, h]) => name !== except && h.proxyPid).map(([name, h]) => ({ name, pid: h.proxyPid }));
  if (others.length === 0) return;
  const cpu = (pid) => {
    try {
      return cpuNs(pid);
    } catch {
      return 0; // gone: nothing left to wait for
    }
  };
  let prev = others.map((o) => cpu(o.pid));
  for (let waited = 0; waited < SETTLE_MAX_MS; waited += SETTLE_STEP_MS) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_STEP_MS));
    const now = others.map((o) => cpu(o.pid));
    if (now.every((v, i) => v - prev[i] < SETTLE_NS)) return;
    prev = now;
  }
  log(`before ${except}'s round: ${others.map((o) => o.name).join(', ')} still busy after ${SETTLE_MAX_MS} ms (measured as it is)`);
}

async function measure(handle, scenario, calls, level) {
  const { session, proxyPid, backendPid } = handle;
  const p0 = proxyPid ? cpuNs(proxyPid) : 0;
  const m0 = proxyPid ? mainThreadCpuNs(proxyPid) : 0;
  const b0 = backendPid ? cpuNs(backendPid) : 0;
  const s0 = proxyPid ? syscallCounts(proxyPid) : undefined;
  const c0 = process.cpuUsage();
  const w0 = machineBusyNs();
  const r = level === OPEN ? await session.run(calls, OPEN_WARM_CONCURRENCY, scenario.call, RATE) : await session.run(calls, level, scenario.call);
  const c1 = process.cpuUsage(c0);
  if (settles(level)) await settle(handle, scenario.name);
  const s1 = proxyPid ? syscallCounts(proxyPid) : undefined;
  return {
    proxySys: s0 && s1 ? { r: s1.r - s0.r, w: s1.w - s0.w, mainR: s1.mainR - s0.mainR, mainW: s1.mainW - s0.mainW } : undefined,
    ...r,
    proxyCpuNs: proxyPid ? cpuNs(proxyPid) - p0 : 0,
    proxyMainCpuNs: proxyPid ? mainThreadCpuNs(proxyPid) - m0 : 0,
    backendCpuNs: backendPid ? cpuNs(backendPid) - b0 : 0,
    clientCpuNs: (c1.user + c1.system) * 1000,
    // After the settle, as the proxy's: the writeback and other leftovers of the calls included.
    machineCpuNs: machineBusyNs() - w0,
  };
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
// Measured before the scenarios start, on an otherwise quiet machine.
const speeds = coreSpeeds();
const profileDir = opts.profile ? path.join(ROOT, 'bench', 'results', `profiles-${stamp}`) : undefined;
if (profileDir) {
  mkdirSync(profileDir, { recursive: true });
  process.env.MCP_WARDEN_BENCH_PROFILE = profileDir; // read by profileArgs() when processes start
}

async function main() {
  const only = opts.only?.split(',');
  const unknown = only?.filter((n) => !scenarios().some((s) => s.name === n)) ?? [];
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${scenarios().map((s) => s.name).join(', ')}`);
  const list = scenarios().filter((s) => (!only || only.includes(s.name)) && !(s.peer && opts['skip-peers']));
  const skipped = {};
  const handles = new Map();
  const failed = {};
  const stopOne = async (name) => {
    const h = handles.get(name);
    handles.delete(name);
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(log(`stopping ${name} timed out`)), 10_000)));
    await Promise.race([h.stop().catch((err) => log(`stopping ${name}: ${err.message}`)), timeout]);
    clearTimeout(timer);
  };
  const stopAll = async () => {
    for (const name of [...handles.keys()]) await stopOne(name);
    await stopSharedBackends();
    cleanup();
  };
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => stopAll().finally(() => process.exit(130)));
  const active = [];
  /** The warm-up calls at concurrency c before measuring (once per concurrency, or every round with --fresh). */
  const warmUp = (s, c) => {
    const warm = Math.max(50, Math.round(PLAN[s.transport].warmup * scale * (s.callScale ?? 1)));
    const handle = handles.get(s.name);
    return handle.session
      .run(warm, c === OPEN ? OPEN_WARM_CONCURRENCY : c, s.call)
      .catch((err) => {
        throw new Error(`warm-up: ${err.message}`);
      })
      .then(() => (settles(c) ? settle(handle, s.name) : undefined));
  };
  try {
    for (const s of list) {
      const reason = s.unavailable?.();
      if (reason) {
        skipped[s.name] = reason;
        log(`skip ${s.name}: ${reason}`);
        continue;
      }
      if (opts.fresh) {
        active.push(s); // started anew for every round below
        continue;
      }
      try {
        handles.set(s.name, await s.start());
        active.push(s);
        log(`started ${s.name}`);
      } catch (err) {
        skipped[s.name] = `failed to start: ${err.message.split('\n')[0]}`;
        log(`skip ${s.name}: ${err.message}`);
      }
    }
    const agg = {};
    for (const c of CONCURRENCIES) {
      for (const s of opts.fresh ? [] : active) {
        if (failed[s.name] || PLAN[s.transport][c] === undefined) continue;
        await warmUp(s, c).catch((err) => {
          failed[s.name] = err.message.split('\n')[0];
          log(`${s.name} failed: ${err.message}`);
        });
      }
      for (let round = 0; round < rounds; round++) {
        // Alternate the order each round so no scenario always runs right after the same neighbour.
        const order = round % 2 ? [...active].reverse() : active;
        for (const s of order) {
          if (failed[s.name] || PLAN[s.transport][c] === undefined) continue; // the open level is for stdio scenarios
          const perRound = Math.round((PLAN[s.transport][c] * scale * (s.callScale ?? 1)) / rounds);
          const calls = Math.max(20, c === 16 && !opts.quick ? Math.max(perRound, Math.round(MIN_C16_ROUND_CALLS[s.transport] * scale * (s.callScale ?? 1))) : perRound);
          let handle;
          let m;
          try {
            if (opts.fresh) {
              handles.set(s.name, await s.start().catch((err) => Promise.reject(new Error(`failed to start: ${err.message}`))));
              await warmUp(s, c);
            }
            handle = handles.get(s.name);
            await settleOthers(handles, s.name);
            m = await measure(handle, s, calls, c);
          } catch (err) {
            failed[s.name] = err.message.split('\n')[0];
            log(`${s.name} failed: ${err.message}`);
            continue;
          } finally {
            if (opts.fresh && handles.has(s.name)) await stopOne(s.name);
          }
          const a = ((agg[s.name] ??= {})[c] ??= {
            calls: 0, latencies: [], roundP50s: [], roundCpuUs: [], elapsedMs: 0, proxyCpuNs: 0, proxyMainCpuNs: 0, backendCpuNs: 0, clientCpuNs: 0, machineCpuNs: 0, errors: 0,
            proxyMeasured: !!handle.proxyPid, backendMeasured: !!handle.backendPid,
          });
          a.calls += calls;
          for (const v of m.latenciesMs) a.latencies.push(v);
          a.roundP50s[round] = percentile(Float64Array.from(m.latenciesMs).sort(), 50) * 1000;
          a.roundCpuUs[round] = m.proxyCpuNs / calls / 1000;
          a.elapsedMs += m.elapsedMs;
          a.proxyCpuNs += m.proxyCpuNs;
          a.proxyMainCpuNs += m.proxyMainCpuNs;
          a.backendCpuNs += m.backendCpuNs;
          a.clientCpuNs += m.clientCpuNs;
          a.machineCpuNs += m.machineCpuNs;
          if (m.proxySys) for (const k of ['r', 'w', 'mainR', 'mainW']) (a.proxySys ??= { r: 0, w: 0, mainR: 0, mainW: 0 })[k] += m.proxySys[k];
          a.errors += m.errors;
          a.firstError ??= m.firstError;
        }
      }
      log(`${levelName(c)} done`);
    }
    const results = {};
    for (const [name, byC] of Object.entries(agg)) {
      results[name] = {};
      for (const [c, a] of Object.entries(byC)) results[name][c] = summarize(a);
    }

    console.log(`mcp-warden bench (${rounds} interleaved rounds${opts.fresh ? ', fresh processes each round' : ''}, scale ${scale}; CPU = on-CPU time of that process, all threads)`);
    for (const s of list) console.log(`  ${s.name.padEnd(16)} ${s.note}`);
    if (speeds) console.log(`core speeds (the same loop pinned to each core, relative to the fastest): ${speeds.map((x) => `cpu${x.cpu} ${x.relative.toFixed(2)}`).join(', ')}`);
    console.log(render(results, list, CONCURRENCIES));
    // The proxy's main (JavaScript) thread alone, without its workers, GC helpers and pool threads.
    for (const c of CONCURRENCIES) {
      const cells = Object.entries(agg)
        .filter(([, byC]) => byC[c]?.proxyMeasured && byC[c].proxyMainCpuNs > 0)
        .map(([name, byC]) => `${name} ${(byC[c].proxyMainCpuNs / byC[c].calls / 1000).toFixed(1)}`);
      if (cells.length > 0) console.log(`proxy main thread CPU µs/call @${levelTag(c)}: ${cells.join(', ')}`);
    }
    // What a call costs every process measured (proxy, backend, load generator) and how many of the
    // machine's cores that kept busy: at c16 throughput times total CPU per call stays near a constant
    // (the cores the pipeline can fill), so p50 there follows the total CPU per call. Then every
    // core's busy time per call: what the call costs outside those processes (on a quiet machine,
    // the kernel's writeback of the files written and its interrupts).
    for (const c of CONCURRENCIES) {
      const cells = Object.entries(results)
        .filter(([, byC]) => byC[c]?.proxyCpuUs !== undefined && byC[c]?.backendCpuUs !== undefined)
        .map(([name, byC]) => {
          const r = byC[c];
          const total = r.proxyCpuUs + r.backendCpuUs + r.clientCpuUs;
          const outside = r.machineCpuUs !== undefined ? `, machine ${r.machineCpuUs.toFixed(1)} µs (${(r.machineCpuUs - total).toFixed(1)} outside them)` : '';
          return `${name} ${total.toFixed(1)} µs${outside}, ${((total * r.throughput) / 1e6).toFixed(2)} cores`;
        });
      if (cells.length > 0) console.log(`all processes' CPU per call, and cores busy @${levelTag(c)}: ${cells.join('; ')}`);
    }
    // Read/write system calls per call (/proc/PID/io): the main thread's (pipes, inotify, eventfds), then all threads'.
    for (const c of CONCURRENCIES) {
      const cells = Object.entries(results)
        .filter(([, byC]) => byC[c]?.proxySyscalls !== undefined)
        .map(([name, byC]) => { const y = byC[c].proxySyscalls; return `${name} main r ${y.mainR.toFixed(3)} w ${y.mainW.toFixed(3)} (all threads r ${y.r.toFixed(3)} w ${y.w.toFixed(3)})`; });
      if (cells.length > 0) console.log(`proxy syscalls/call @${levelTag(c)}: ${cells.join('; ')}`);
    }
    for (const [name, reason] of Object.entries(skipped)) console.log(`SKIPPED ${name}: ${reason}`);
    for (const [name, reason] of Object.entries(failed)) console.log(`FAILED ${name} (its figures cover only the rounds before): ${reason}`);
    const v = verdicts(results, list, CONCURRENCIES);
    console.log(`\nGoals\n${v.text || '(no goal comparisons ran)'}`);

    const extras = {};
    for (const file of opts['skip-extras'] ? [] : ['rego-engine.mjs', 'policy-decision.mjs', 'audit.mjs', 'identity-auth.mjs']) {
      const full = path.join(ROOT, 'bench', file);
      if (!existsSync(full)) continue;
      const mod = await import(pathToFileURL(full).href);
      const fn = mod.bench ?? mod.run ?? mod.default;
      if (typeof fn !== 'function') continue;
      try {
        extras[file] = await fn({ quick: opts.quick, scale });
        console.log(`\n${file}\n${extras[file]?.text ?? JSON.stringify(extras[file], null, 2)}`);
      } catch (err) {
        extras[file] = { error: err.message };
        console.log(`\n${file} failed: ${err.message}`);
      }
    }

    const dir = path.join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `bench-${stamp}.json`);
    writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), rounds, scale, fresh: opts.fresh, rate: RATE, coreSpeeds: speeds, results, skipped, failed, goals: v, extras }, null, 2));
    console.log(`\nresults written to ${path.relative(ROOT, file)}`);
  } finally {
    await stopAll();
  }
  if (profileDir) {
    for (const f of readdirSync(profileDir).filter((x) => x.endsWith('.cpuprofile'))) {
      console.log(`\n${formatSummary(path.join(profileDir, f), { top: 20 })}`);
    }
    console.log(`\nprofiles in ${path.relative(ROOT, profileDir)} (open in Chrome DevTools or summarize with bench/profile-summary.mjs)`);
  }
}

main().catch((err) => {
  log(`bench: ${err.stack ?? err}`);
  process.exit(1);
});
