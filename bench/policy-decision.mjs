/**
 * The policy decision's own cost, in process (issue 5): `decide()` of the built PolicyDecider
 * (dist/policy) for a `kubectl_get` tools/call, with the kubernetes pack (allowed_namespaces set,
 * so namespace rules run) and with an allow-all policy. Reports Decision.micros (the engine's
 * own measure) and wall time per call. Called by bench/run.mjs; skips with a reason when the
 * policy module is not built.
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

function time(decider, n) {
  const micros = new Float64Array(n);
  const wall = new Float64Array(n);
  let allowed = 0;
  let last;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    last = decider.decide(context);
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
      const rounds = [1, 2, 3].map(() => time(d, n));
      results[name] = { ...rounds[0], microsP50: median(rounds.map((r) => r.microsP50)), wallP50: median(rounds.map((r) => r.wallP50)) };
      d.close?.();
    }
    const line = (name, r) =>
      `  ${name.padEnd(10)} decision micros p50 ${r.microsP50.toFixed(1)} µs, p99 ${r.microsP99.toFixed(1)} µs; wall p50 ${r.wallP50.toFixed(1)} µs, mean ${r.wallMean.toFixed(1)} µs; allowed ${r.allowed}/${r.n}${r.allowed < r.n ? ` (denied: ${r.reasons.join('; ')})` : ''}`;
    const text = [
      'policy decision cost in process (kubectl_get pods in namespace default):',
      ...Object.entries(results).map(([k, r]) => line(k, r)),
    ].join('\n');
    return { results, text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
