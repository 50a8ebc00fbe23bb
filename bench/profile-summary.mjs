#!/usr/bin/env node
/**
 * Summarizes V8 .cpuprofile files (written by `npm run bench -- --profile`): self time per
 * function (name, file:line), the top entries, and self time per source file. Also usable alone:
 *   node bench/profile-summary.mjs FILE.cpuprofile [--top N]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** @returns {{ totalMs: number, functions: {key:string, ms:number}[], files: {key:string, ms:number}[] }} */
export function summarizeProfile(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map(); // node id -> µs
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  const fnTotals = new Map();
  const fileTotals = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') continue; // percentages are of busy time
    const url = callFrame.url ? callFrame.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '') : '';
    const key = `${callFrame.functionName || '(anonymous)'} ${url ? `${url}:${callFrame.lineNumber + 1}` : ''}`.trim();
    fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
    const fileKey = url || callFrame.functionName;
    fileTotals.set(fileKey, (fileTotals.get(fileKey) ?? 0) + us);
    total += us;
  }
  const sorted = (m) => [...m].map(([key, us]) => ({ key, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, functions: sorted(fnTotals), files: sorted(fileTotals) };
}

export function formatSummary(file, { top = 25 } = {}) {
  const s = summarizeProfile(file);
  const pct = (ms) => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`${path.basename(file)}: ${s.totalMs.toFixed(0)} ms busy (startup included)`, '  self time by function:'];
  for (const f of s.functions.slice(0, top)) lines.push(`  ${pct(f.ms)} ${f.ms.toFixed(1).padStart(8)} ms  ${f.key}`);
  lines.push('  self time by file:');
  for (const f of s.files.slice(0, 12)) lines.push(`  ${pct(f.ms)} ${f.ms.toFixed(1).padStart(8)} ms  ${f.key}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const t = args.indexOf('--top');
  const top = t >= 0 ? Number(args[t + 1]) : 25;
  for (const f of args.filter((a, i) => a.endsWith('.cpuprofile') && i !== t + 1)) console.log(formatSummary(f, { top }));
}
