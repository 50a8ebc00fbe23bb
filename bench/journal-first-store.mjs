#!/usr/bin/env node
/**
 * What the proxy's thread pays to write journal lines into pages the addon prefaulted (issue 7):
 * a 4 MiB segment is mapped as the audit journal maps it (native/journal_map.c), prefaulted whole by
 * the addon on its pool thread, and once that is done, filled on this thread with 390-byte lines
 * (the wrap bench's echo call) as rawAnswer copies them. Counted: the copies that took over 3 µs
 * (a page fault, or a first store to a page that traps) and µs per line. The same is done into
 * anonymous memory this thread already wrote (the floor: no fault, no trap). --addon runs another
 * build's addon in the same run (an A/B); each is measured --runs times, alternating.
 *   node bench/journal-first-store.mjs [--runs N] [--addon path/to/warden_journal.node] [--dir D]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../scripts/lib/procs.mjs';

const { values: o } = parseArgs({ options: { runs: { type: 'string', default: '5' }, addon: { type: 'string' }, dir: { type: 'string' } } });
const require = createRequire(import.meta.url);
const builds = [['this build', path.join(ROOT, 'native/build/Release/warden_journal.node')]];
if (o.addon) builds.push(['other build', path.resolve(o.addon)]);
const addons = builds.map(([name, file]) => [name, require(file)]);
const dir = mkdtempSync(path.join(o.dir ?? tmpdir(), 'warden-first-store-'));
const SEGMENT = 4 << 20;
const LINE = Buffer.alloc(390, 0x61);
const SLOW_NS = 3000n;

/** Waits until every page of the prefaulted stretch is in (the pool thread has finished). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

function fill(bytes) {
  let slow = 0;
  const t0 = process.hrtime.bigint();
  for (let at = 0; at + LINE.length <= bytes.length; at += LINE.length) {
    const s = process.hrtime.bigint();
    LINE.copy(bytes, at);
    if (process.hrtime.bigint() - s > SLOW_NS) slow++;
  }
  const lines = Math.floor(bytes.length / LINE.length);
  return { slow, usPerLine: Number(process.hrtime.bigint() - t0) / 1000 / lines, lines };
}

async function mapped(addon, n) {
  const file = path.join(dir, `segment-${n}`);
  const buffer = addon.map(file, SEGMENT);
  addon.prefault(buffer, 0, SEGMENT);
  await settle();
  const r = fill(Buffer.from(buffer));
  addon.unmap(buffer);
  rmSync(file);
  return r;
}

function anonymous() {
  const bytes = Buffer.alloc(SEGMENT, 1);
  return fill(bytes);
}

const results = new Map([...addons.map(([name]) => [name, []]), ['anonymous memory', []]]);
let n = 0;
for (let run = 0; run < Number(o.runs); run++) {
  for (const [name, addon] of run % 2 ? [...addons].reverse() : addons) results.get(name).push(await mapped(addon, n++));
  results.get('anonymous memory').push(anonymous());
}
rmSync(dir, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`journal lines of ${LINE.length} B into a prefaulted 4 MiB segment (${SEGMENT / 4096} pages), ${o.runs} runs, medians`);
for (const [name, rs] of results) {
  console.log(`${name.padEnd(17)} copies over 3 µs ${String(median(rs.map((r) => r.slow))).padStart(5)} of ${rs[0].lines}   ${median(rs.map((r) => r.usPerLine)).toFixed(3)} µs/line`);
}
