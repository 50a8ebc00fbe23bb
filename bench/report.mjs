/** Turns aggregated measurements into tables, ratios and goal verdicts (plain text). */
import { percentile } from './proc-stats.mjs';

/** Summary numbers for one scenario at one concurrency. */
export function summarize(agg) {
  const sorted = Float64Array.from(agg.latencies).sort();
  const perCall = (ns) => (agg.calls ? ns / agg.calls / 1000 : NaN); // µs
  return {
    calls: agg.calls,
    p50us: percentile(sorted, 50) * 1000,
    p99us: percentile(sorted, 99) * 1000,
    throughput: agg.calls / (agg.elapsedMs / 1000),
    proxyCpuUs: agg.proxyMeasured ? perCall(agg.proxyCpuNs) : undefined,
    /** The proxy's main thread alone (run.mjs: mainThreadCpuNs). */
    proxyMainCpuUs: agg.proxyMeasured && agg.proxyMainCpuNs > 0 ? perCall(agg.proxyMainCpuNs) : undefined,
    backendCpuUs: agg.backendMeasured ? perCall(agg.backendCpuNs) : undefined,
    /** Read/write system calls of the proxy per call (run.mjs: syscallCounts): all threads, and its main thread. */
    proxySyscalls: agg.proxySys && agg.calls ? { r: agg.proxySys.r / agg.calls, w: agg.proxySys.w / agg.calls, mainR: agg.proxySys.mainR / agg.calls, mainW: agg.proxySys.mainW / agg.calls } : undefined,
    clientCpuUs: perCall(agg.clientCpuNs),
    /** Every core's busy time (run.mjs: machineBusyNs), the kernel's writeback and other processes included. */
    machineCpuUs: agg.machineCpuNs > 0 ? perCall(agg.machineCpuNs) : undefined,
    errors: agg.errors,
    firstError: agg.firstError,
    roundP50us: agg.roundP50s,
    roundProxyCpuUs: agg.roundCpuUs,
  };
}

/** A load level's tag in goal lines (`c16`: 16 in flight; `r4000`: open loop at 4,000 calls/s) and its table heading. */
export const levelTag = (c) => (typeof c === 'string' ? c : `c${c}`);
export const levelName = (c) => (typeof c === 'string' ? `open loop at ${c.slice(1)} calls/s` : `concurrency ${c}`);

const fmt = (v, digits = 0) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
const ratio = (a, b) => (a === undefined || b === undefined || !b ? undefined : a / b);

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * @param {Record<string, Record<number, ReturnType<typeof summarize>>>} results  scenario -> concurrency -> summary
 * @param {import('./scenarios.mjs').Scenario[]} list
 */
export function render(results, list, concurrencies) {
  const out = [];
  for (const c of concurrencies) {
    for (const transport of ['stdio', 'http']) {
      const direct = results[`${transport}-direct`]?.[c];
      const relay = transport === 'stdio' ? results['stdio-relay']?.[c] : undefined;
      const rows = [];
      for (const s of list.filter((x) => x.transport === transport && results[x.name]?.[c])) {
        const r = results[s.name][c];
        rows.push([
          s.name,
          r.calls,
          fmt(r.p50us),
          fmt(r.p99us),
          fmt(r.throughput),
          fmt(r.proxyCpuUs, 1),
          fmt(r.backendCpuUs, 1),
          fmt(r.clientCpuUs, 1),
          fmt(ratio(r.p50us, direct?.p50us), 2),
          relay ? fmt(ratio(r.p50us, relay.p50us), 2) : '-',
          relay ? fmt(ratio(r.proxyCpuUs, relay.proxyCpuUs), 2) : '-',
          r.errors,
        ]);
      }
      if (rows.length === 0) continue;
      out.push(`\n${transport} tools/call, ${levelName(c)}`);
      out.push(
        table(
          ['scenario', 'calls', 'p50 µs', 'p99 µs', 'calls/s', 'proxy CPU µs/call', 'backend CPU', 'client CPU', 'p50 ×direct', 'p50 ×relay', 'CPU ×relay', 'errors'],
          rows,
        ),
      );
    }
  }
  return out.join('\n');
}

/** " [rounds 0.98-1.21]": the spread of the same ratio computed round by round (a noise gauge). */
function roundRange(a = [], b = []) {
  const ratios = a.map((v, i) => v / b[i]).filter((r) => Number.isFinite(r));
  if (ratios.length < 2) return '';
  return ` [rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}]`;
}

/** Goal verdicts: each scenario's `compare` entries, plus the HTTP proxy-CPU ceiling. */
export function verdicts(results, list, concurrencies) {
  const lines = [];
  let failed = 0;
  const verdict = (ok) => {
    if (!ok) failed++;
    return ok ? 'OK' : 'MISSED';
  };
  for (const s of list) {
    for (const cmp of s.compare ?? []) {
      for (const c of concurrencies) {
        const a = results[s.name]?.[c];
        const b = results[cmp.against]?.[c];
        if (!a || !b) continue;
        const parts = [];
        if (cmp.info) {
          // informational: the ratios shown, no goal
          const rp = a.p50us / b.p50us;
          const rc = a.proxyCpuUs / b.proxyCpuUs;
          parts.push(`p50 ${rp.toFixed(3)}x${roundRange(a.roundP50us, b.roundP50us)}`, `CPU/call ${rc.toFixed(3)}x (${a.proxyCpuUs.toFixed(1)} vs ${b.proxyCpuUs.toFixed(1)} µs)${roundRange(a.roundProxyCpuUs, b.roundProxyCpuUs)}; informational, no goal`);
        }
        if (cmp.p50) {
          const r = a.p50us / b.p50us;
          parts.push(`p50 ${r.toFixed(3)}x (goal <= ${cmp.p50}) ${verdict(r <= cmp.p50)}${roundRange(a.roundP50us, b.roundP50us)}`);
        }
        if (cmp.cpu) {
          const r = a.proxyCpuUs / b.proxyCpuUs;
          parts.push(`CPU/call ${r.toFixed(3)}x (goal <= ${cmp.cpu}) ${verdict(r <= cmp.cpu)}${roundRange(a.roundProxyCpuUs, b.roundProxyCpuUs)}`);
        }
        lines.push(`${cmp.label} @${levelTag(c)}: ${parts.join('; ')}`);
      }
    }
  }
  for (const c of concurrencies) {
    const serve = results.serve?.[c];
    if (serve?.proxyCpuUs !== undefined) {
      lines.push(`issue 3: serve proxy CPU per call @${levelTag(c)}: ${serve.proxyCpuUs.toFixed(0)} µs (goal < 1000) ${verdict(serve.proxyCpuUs < 1000)}`);
    }
  }
  for (const c of concurrencies) {
    const names = ['serve-stdio', 'peer-mcp-proxy', 'peer-supergateway'].filter((n) => results[n]?.[c]);
    if (names.length > 1) {
      const cells = names.map((n) => `${n} ${results[n][c].proxyCpuUs.toFixed(0)} µs CPU, p50 ${results[n][c].p50us.toFixed(0)} µs`);
      lines.push(`peers (HTTP -> stdio backend) @${levelTag(c)}: ${cells.join('; ')}`);
    }
  }
  for (const [name, byC] of Object.entries(results)) {
    for (const [c, r] of Object.entries(byC)) {
      if (r.errors) lines.push(`WARNING ${name} @${levelTag(Number.isNaN(Number(c)) ? c : Number(c))}: ${r.errors} calls answered with an error, e.g. ${JSON.stringify(r.firstError).slice(0, 200)}`);
    }
  }
  return { text: lines.join('\n'), failed };
}
