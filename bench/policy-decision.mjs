/**
 * The policy decision's own cost, in process (issue 5): `decide()` of the built PolicyDecider
 * (dist/policy) for a `kubectl_get` tools/call, with the kubernetes pack (allowed_namespaces set,
 * so namespace rules run) and with an allow-all policy. Reports Decision.micros (the engine's
 * own measure) and wall time per call, both with one context object reused and proxy-like (fresh
 * arguments per call, other work between calls). Also what a reused decision costs instead (the
 * proxy's lookup on a compact tools/call line's bytes: proof of distinct keys, hash, table;
 * src/proxy/judged-calls.ts). Called by bench/run.mjs, or alone:
 * `node bench/policy-decision.mjs [--quick]`; skips with a reason when the policy module is not built.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ALLOW_ALL_REGO, ROOT } from '../scripts/lib/procs.mjs';
import { median, percentile } from './proc-stats.mjs';

const context = {
  phase: 'request',
  method: 'tools/call',
  client: { id: 'bench', name: 'bench', auth: 'local', roles: [], claims: {} },
  session: { id: 'bench-session', transport: 'stdio', protocolVersion: '2025-11-25' },
  backend: { name: 'backend', transport: 'stdio' },
  params: { name: 'kubectl_get', arguments: { resourceType: 'pods', namespace: 'default' } },
  tool: {
    name: 'kubectl_get',
    backendName: 'kubectl_get',
    description: 'Get or list Kubernetes resources',
    annotations: { readOnlyHint: true },
  },
  arguments: { resourceType: 'pods', namespace: 'default' },
};

const CALL_TEXT = JSON.stringify(context.params);

/**
 * As the proxy calls decide(): the same client, session, backend and tool objects, but params and
 * arguments freshly parsed for each call, and other work between calls (about 1 MB of memory
 * read, as the transport and the proxy do), so the policy's data is no longer all in the caches.
 */
function proxyLikeContext() {
  return callContext(JSON.parse(CALL_TEXT));
}

/**
 * A context built as the proxy builds one (src/proxy/session.ts context(): one literal, every
 * optional member present). A spread copy of `context` (as this bench made them before) is an
 * object of another shape whose reads cost buildInput ~1.5 µs, which no proxy call pays.
 */
function callContext(params) {
  return {
    phase: 'request',
    method: 'tools/call',
    client: context.client,
    session: context.session,
    backend: context.backend,
    params,
    tool: context.tool,
    arguments: params.arguments,
    resource: undefined,
    prompt: undefined,
  };
}

/**
 * The true miss, as the proxy sees it in the bench pair wrap-kubernetes-miss / wrap-allow-k8s-miss
 * (bench/scenarios.mjs, KUBECTL_GET_MISS): the line's params parsed afresh, with a resourceType
 * distinct in every call (a member the pack reads, so no kept value of the engine that reads it
 * can be reused), the other members as in that scenario.
 */
let missSeq = 0;
const MISS_BEFORE = '{"name":"kubectl_get","arguments":{"namespace":"default","name":"web","resourceType":"resourceType-';
function trueMissContext() {
  return callContext(JSON.parse(`${MISS_BEFORE}${missSeq++}"}}`));
}
const otherMemory = new Float64Array(1 << 17);
let sink = 0;
function otherWork() {
  for (let i = 0; i < otherMemory.length; i += 8) sink += otherMemory[i];
}

function time(decider, n, proxyLike = false, miss = false) {
  const micros = new Float64Array(n);
  const wall = new Float64Array(n);
  let allowed = 0;
  let last;
  for (let i = 0; i < n; i++) {
    let ctx = context;
    if (proxyLike) {
      otherWork();
      ctx = miss ? trueMissContext() : proxyLikeContext();
    }
    const t0 = performance.now();
    last = decider.decide(ctx);
    wall[i] = (performance.now() - t0) * 1000;
    micros[i] = last.micros;
    if (last.allowed) allowed++;
  }
  micros.sort();
  wall.sort();
  return {
    n,
    allowed,
    reasons: last.reasons,
    microsP50: percentile(micros, 50),
    microsP99: percentile(micros, 99),
    wallP50: percentile(wall, 50),
    wallP99: percentile(wall, 99),
    wallMean: wall.reduce((a, b) => a + b, 0) / n,
  };
}

/**
 * µs per lookup of a kept decision by a compact tools/call line's bytes (median of 5 batches), or
 * undefined when not built. With a footprint: keyed on the members it names (projected-key.js).
 */
async function reusedLookupMicros(n, footprint) {
  let m;
  try {
    const load = (f) => import(pathToFileURL(path.join(ROOT, 'dist', 'proxy', f)).href);
    m = { ...(await load('compact-bytes.js')), ...(await load('distinct-keys.js')), ...(await load('decision-table.js')), ...(await load('projected-key.js')) };
  } catch {
    return undefined;
  }
  const line = Buffer.from(`{"jsonrpc":"2.0","id":12345,"method":"tools/call","params":${CALL_TEXT}}`);
  const table = new m.DecisionTable(256);
  const lookup = () => {
    if (m.compactToolCallIdAt(line, 0, line.length) < 0) throw new Error('not a compact tools/call');
    if (!m.distinctKeysToolCall(line, 0, line.length, m.idSpan.params, m.idSpan.before, footprint !== undefined)) throw new Error('not proven');
    let key = line;
    let from = m.idSpan.params - 1;
    let to = m.distinctSpan.paramsEnd;
    if (footprint !== undefined) {
      if (!m.projectedKey(line, footprint, 2048)) throw new Error('not projected');
      key = m.projected.bytes;
      from = 0;
      to = m.projected.length;
    }
    const hash = m.bytesHash(key, from, to);
    const kept = table.get(key, from, to, hash);
    if (kept === undefined) table.set(key, from, to, hash, { allowed: true }, 'kubectl_get', context.tool, 0);
    return kept;
  };
  for (let i = 0; i < n; i++) lookup();
  const batches = [];
  for (let b = 0; b < 5; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) lookup();
    batches.push(((performance.now() - t0) * 1000) / n);
  }
  return median(batches);
}

export async function bench({ quick = false } = {}) {
  let createPolicyDecider;
  try {
    ({ createPolicyDecider } = await import(pathToFileURL(path.join(ROOT, 'dist', 'policy', 'index.js')).href));
  } catch (err) {
    return { skipped: `dist/policy/index.js not built or not loadable: ${err.message.split('\n')[0]}`, text: 'skipped: policy module not built' };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-policy-'));
  try {
    const allowAll = path.join(dir, 'allow-all.rego');
    writeFileSync(allowAll, ALLOW_ALL_REGO);
    const dataFile = path.join(dir, 'k8s-data.json');
    writeFileSync(dataFile, JSON.stringify({ warden: { kubernetes: { allowed_namespaces: ['default'] } } }));
    let deciders;
    try {
      deciders = {
        'allow-all': createPolicyDecider({ paths: [allowAll], watch: false }, { watch: false }),
        kubernetes: createPolicyDecider({ paths: ['kubernetes'], dataFiles: [dataFile], watch: false }, { watch: false }),
      };
    } catch (err) {
      return { skipped: err.message, text: `skipped: cannot load the policies: ${err.message.split('\n')[0]}` };
    }
    const n = quick ? 2000 : 20000;
    const results = {};
    for (const [name, d] of Object.entries(deciders)) {
      time(d, Math.min(2000, n)); // warm-up
      for (const proxyLike of [false, true]) {
        const rounds = [1, 2, 3].map(() => time(d, proxyLike ? n >> 2 : n, proxyLike));
        const label = proxyLike ? `${name}, proxy-like` : name;
        results[label] = { ...rounds[0], microsP50: median(rounds.map((r) => r.microsP50)), wallP50: median(rounds.map((r) => r.wallP50)) };
      }
      const missRounds = [1, 2, 3].map(() => time(d, n >> 2, true, true));
      results[`${name}, true miss`] = { ...missRounds[0], microsP50: median(missRounds.map((r) => r.microsP50)), microsP99: median(missRounds.map((r) => r.microsP99)), wallP50: median(missRounds.map((r) => r.wallP50)) };
      d.close?.();
    }
    const line = (name, r) =>
      `  ${name.padEnd(24)} decision micros p50 ${r.microsP50.toFixed(1)} µs, p99 ${r.microsP99.toFixed(1)} µs; wall p50 ${r.wallP50.toFixed(1)} µs, mean ${r.wallMean.toFixed(1)} µs; allowed ${r.allowed}/${r.n}${r.allowed < r.n ? ` (denied: ${r.reasons.join('; ')})` : ''}`;
    const reused = await reusedLookupMicros(n);
    if (reused !== undefined) results['kubernetes, reused'] = { lookupMicros: reused };
    const footprint = deciders.kubernetes.pureDecisionFootprint;
    const projectedReuse = footprint === undefined ? undefined : await reusedLookupMicros(n, footprint);
    if (projectedReuse !== undefined) results['kubernetes, projected reused'] = { lookupMicros: projectedReuse };
    const text = [
      'policy decision cost in process (kubectl_get pods in namespace default; proxy-like: fresh arguments per call, other work between calls; true miss: proxy-like with a distinct resourceType per call):',
      ...Object.entries(results).filter(([k]) => !k.endsWith('reused')).map(([k, r]) => line(k, r)),
      ...(reused === undefined ? [] : [`  ${'kubernetes, reused'.padEnd(22)} a kept decision found by the call's bytes (identical calls): ${reused.toFixed(2)} µs per call (distinct-keys proof, hash, lookup)`]),
      ...(projectedReuse === undefined
        ? []
        : [`  ${'kubernetes, projected'.padEnd(22)} the same found by the members the pack reads (the wrap path while it is pure): ${projectedReuse.toFixed(2)} µs per call (proof with member spans, projected key, hash, lookup)`]),
    ].join('\n');
    return { results, text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** the Rego engine the decider runs (src/policy/rego-engine.ts reads MCP_WARDEN_REGO_CODEGEN once, at load) */
export function engineName(env = process.env) {
  return env.MCP_WARDEN_REGO_CODEGEN === '1' ? 'generated JavaScript (MCP_WARDEN_REGO_CODEGEN=1)' : 'interpreter (the default; MCP_WARDEN_REGO_CODEGEN=1 for generated JavaScript)';
}

// node bench/policy-decision.mjs [--quick] [--one]: this benchmark alone (after npm run build), with
// each Rego engine in turn (a child process each: the switch is read at load); --one: the engine of the environment only
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--one')) {
    const out = await bench({ quick: process.argv.includes('--quick') });
    console.log(`engine: ${engineName()}`);
    console.log(out.text);
  } else {
    const { spawnSync } = await import('node:child_process');
    for (const value of ['0', '1']) {
      const args = [process.argv[1], '--one', ...process.argv.slice(2)];
      spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, MCP_WARDEN_REGO_CODEGEN: value } });
    }
  }
}
