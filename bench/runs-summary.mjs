#!/usr/bin/env node
/**
 * The distribution of the Goals ratios over several bench runs: single runs on a shared 2-core
 * machine swing by more than the margins the goals leave (see the A/A line of stdio-relay-b), so
 * what a change did shows in the median over runs. Reads the result files that bench/run.mjs
 * writes (bench/results/*.json) and prints, per goal line and concurrency, the median and range of
 * the p50 and CPU ratios and how many runs were within the goal.
 *
 *   node bench/runs-summary.mjs bench/results/bench-2026-*.json
 */
import { readFileSync } from 'node:fs';

const LINE = /^(.*) @([cr]\d+): p50 ([\d.]+)x( \(goal <= ([\d.]+)\))?(?:.*?; CPU\/call ([\d.]+)x( \(goal <= ([\d.]+)\))?)?/;

/** @type {Map<string, { p50: number[], cpu: number[], p50Goal?: number, cpuGoal?: number }>} */
const lines = new Map();
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node bench/runs-summary.mjs RESULT.json...');
  process.exit(2);
}
/** scenario @cN -> the proxy's read/write syscalls per call in each run (main thread, all threads). */
const syscalls = new Map();
for (const file of files) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  for (const [name, byC] of Object.entries(json.results ?? {})) {
    for (const [c, r] of Object.entries(byC)) {
      const y = r.proxySyscalls;
      if (y === undefined) continue;
      const key = `${name} @${/^\d+$/.test(c) ? `c${c}` : c}`;
      if (!syscalls.has(key)) syscalls.set(key, { mainR: [], mainW: [], r: [], w: [] });
      for (const k of ['mainR', 'mainW', 'r', 'w']) syscalls.get(key)[k].push(y[k]);
    }
  }
  const text = json.goals?.text ?? '';
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const key = `${m[1]} @${m[2]}`;
    let entry = lines.get(key);
    if (entry === undefined) lines.set(key, (entry = { p50: [], cpu: [] }));
    entry.p50.push(Number(m[3]));
    if (m[6] !== undefined) entry.cpu.push(Number(m[6]));
    if (m[5] !== undefined) entry.p50Goal = Number(m[5]);
    if (m[8] !== undefined) entry.cpuGoal = Number(m[8]);
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function describe(xs, goal) {
  const range = `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
  const within = goal === undefined ? '' : `, ${xs.filter((x) => x <= goal).length} of ${xs.length} within ${goal}x`;
  return `median ${median(xs).toFixed(3)}x (${range}${within})`;
}

console.log(`${files.length} runs`);
for (const [key, e] of lines) {
  console.log(`${key}\n  p50 ${describe(e.p50, e.p50Goal)}`);
  if (e.cpu.length > 0) console.log(`  CPU ${describe(e.cpu, e.cpuGoal)}`);
}
if (syscalls.size > 0) console.log('proxy read/write syscalls per call, median over runs (range): main thread | all threads');
for (const [key, y] of syscalls) {
  const d = (xs) => `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
  console.log(`  ${key}: main r ${d(y.mainR)} w ${d(y.mainW)} | all r ${d(y.r)} w ${d(y.w)}`);
}
