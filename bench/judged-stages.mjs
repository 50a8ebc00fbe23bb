#!/usr/bin/env node
/**
 * What a judged true-miss tools/call costs the proxy, stage by stage, in process (issue 5): the
 * line of the bench's wrap-kubernetes-miss scenario (a distinct resourceType per call), through the
 * stages of src/proxy/judged-calls.ts one after another (id, distinct-keys proof with member spans,
 * projection, projected params, decision), against what the raw path of allow-all does with the same
 * line (id, single-object proof). µs per call are the least of 9 batches (the machine is shared), each stage cumulative.
 * --vary name: the line of wrap-kubernetes-varied instead (a distinct pod name per call, a member
 * the pack reads only by class), with the stages of a class-key hit (class key, its hash, the
 * lookup that finds the decision kept for the class) against the exact key a miss makes.
 *   node bench/judged-stages.mjs [--calls N] [--vary resourceType|name]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../scripts/lib/procs.mjs';
import { median } from './proc-stats.mjs';

const { values: o } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, vary: { type: 'string', default: 'resourceType' } } });
const byName = o.vary === 'name';
const n = Number(o.calls);
const load = (f) => import(pathToFileURL(path.join(ROOT, 'dist', f)).href);
const { compactToolCallIdAt, idSpan } = await load('proxy/compact-bytes.js');
const { distinctKeysToolCall, distinctSpan } = await load('proxy/distinct-keys.js');
const { isSingleJsonObjectBytesInParams } = await load('transport/json-bytes.js');
const { classed, classKey, projected, projectedFind, projectedKeyFound } = await load('proxy/projected-key.js');
const { bytesHash, DecisionTable } = await load('proxy/decision-table.js');
const { projectedParams } = await load('proxy/projected-params.js');
const { createPolicyDecider } = await load('policy/index.js');

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-stages-'));
const dataFile = path.join(dir, 'k8s.json');
writeFileSync(dataFile, JSON.stringify({ warden: { kubernetes: { allowed_namespaces: ['default'] } } }));
const decider = createPolicyDecider({ paths: ['kubernetes'], dataFiles: [dataFile], watch: false }, { watch: false });
const footprint = decider.pureDecisionFootprint;
rmSync(dir, { recursive: true, force: true });

// n lines in one buffer, as 16-line chunks come off a pipe
const lines = [];
for (let i = 0; i < n; i++) {
  const args = byName ? `{"resourceType":"pods","namespace":"default","name":"name-${i}"}` : `{"namespace":"default","name":"web","resourceType":"resourceType-${i}"}`;
  lines.push(`{"jsonrpc":"2.0","id":${1000 + i},"method":"tools/call","params":{"name":"kubectl_get","arguments":${args}}}\n`);
}
const buf = Buffer.from(lines.join(''));
const starts = new Int32Array(n + 1);
for (let i = 0, at = 0; i < n; i++) {
  starts[i] = at;
  at += Buffer.byteLength(lines[i]);
  starts[i + 1] = at;
}
const tool = { name: 'kubectl_get', backendName: 'kubectl_get', description: 'Get or list Kubernetes resources by resource type, name, and optionally namespace', annotations: { readOnlyHint: true }, inputSchema: {} };
const client = { id: 'local', name: 'local', auth: 'local', roles: [], claims: {} };
const session = { id: 's', transport: 'stdio', protocolVersion: '2025-11-25' };
const backend = { name: 'backend', transport: 'stdio' };
const judging = { phase: 'request', method: 'tools/call', client, session, backend, params: undefined, tool: undefined, arguments: undefined, resource: undefined, prompt: undefined };

let sink = 0;
// one decision kept under the class key of the first line (every line of --vary name has that class key)
const table = new DecisionTable(256);
const keptDecision = { allowed: true, reasons: [], mode: 'enforce', policyVersion: 'x', micros: 0 };
const classStages = {
  '  + exact key + hash (a miss makes it)': (i) => {
    stages['  + projectedFind'](i);
    if (!projectedKeyFound(buf, 2048)) throw new Error('no key');
    sink += bytesHash(projected.bytes, 0, projected.length);
  },
  '  + class key + hash + kept (a class hit)': (i) => {
    stages['  + projectedFind'](i);
    if (!classKey(buf, footprint, 2048)) throw new Error('no class key');
    const h = bytesHash(classed.bytes, 0, classed.length);
    if (table.get(classed.bytes, 0, classed.length, h) === undefined) throw new Error('class key missed');
  },
};
const stages = {
  'raw: id + single-object proof': (i) => {
    const s = starts[i], e = starts[i + 1] - 1;
    if (compactToolCallIdAt(buf, s, e) < 0 || !isSingleJsonObjectBytesInParams(buf, s, e, idSpan.params, idSpan.before)) throw new Error('raw declined');
  },
  'judged: id + distinct-keys with spans': (i) => {
    const s = starts[i], e = starts[i + 1] - 1;
    if (compactToolCallIdAt(buf, s, e) < 0 || !distinctKeysToolCall(buf, s, e, idSpan.params, idSpan.before, true)) throw new Error('declined');
  },
  '  + projectedFind': (i) => {
    stages['judged: id + distinct-keys with spans'](i);
    if (!projectedFind(buf, footprint)) throw new Error('not found');
  },
  '  + projectedParams': (i) => {
    stages['  + projectedFind'](i);
    sink += projectedParams(buf, footprint, distinctSpan.ascii) === undefined ? 1 : 0;
  },
  '  + decide': (i) => {
    stages['judged: id + distinct-keys with spans'](i);
    projectedFind(buf, footprint);
    const params = projectedParams(buf, footprint, distinctSpan.ascii);
    judging.params = params;
    judging.tool = tool;
    judging.arguments = params.arguments;
    const d = decider.decide(judging);
    if (!d.allowed) throw new Error(`denied: ${d.reasons}`);
    judging.params = undefined;
    judging.arguments = undefined;
  },
};
if (byName) {
  stages['  + projectedFind'](0);
  if (!classKey(buf, footprint, 2048)) throw new Error('no class key');
  table.set(classed.bytes, 0, classed.length, bytesHash(classed.bytes, 0, classed.length), keptDecision, 'kubectl_get', tool, 0);
  Object.assign(stages, classStages);
}
const results = {};
for (const [name, fn] of Object.entries(stages)) {
  for (let i = 0; i < n; i++) fn(i); // warm-up
  const batches = [];
  for (let b = 0; b < 9; b++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn(i);
    const t = process.cpuUsage(t0);
    batches.push((t.user + t.system) / n);
  }
  results[name] = Math.min(...batches);
  console.log(`${name.padEnd(40)} ${results[name].toFixed(3)} µs/call min (batches ${batches.map((x) => x.toFixed(2)).join(' ')})`);
}
decider.close?.();
if (process.env.SHOW_FOOTPRINT) console.log(JSON.stringify(footprint));
