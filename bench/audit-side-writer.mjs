#!/usr/bin/env node
/**
 * Is it the audit writer's work or where it runs? Runs the `wrap` scenario (audit off) at c=16 while
 * ANOTHER process does the audit writer's work of the same rate: the native writer (native/writer/)
 * inserting the wrap bench's raw rows into its own database in one batch every 50 ms (--rate rows/s,
 * default 45,000: what an audited wrap answers at c=16 here). Rounds alternate between that process
 * idle and writing; prints the median of the same-pair p50 ratios (writing ÷ idle) and the calls/s
 * of each. `--idle` runs the side process under SCHED_IDLE (util-linux chrt); `--spin MS` makes it
 * spin MS ms of CPU per 50 ms instead of writing (CPU alone, no memory or I/O). Run after `npm run build`:
 *   node bench/audit-side-writer.mjs [--rate N] [--rounds N] [--calls N] [--idle] [--spin MS]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { median } from './proc-stats.mjs';

const { values: o } = parseArgs({
  options: {
    rate: { type: 'string', default: '45000' },
    rounds: { type: 'string', default: '8' },
    calls: { type: 'string', default: '32000' },
    idle: { type: 'boolean', default: false },
    spin: { type: 'string' },
    side: { type: 'boolean', default: false },
  },
});

if (o.side) await sideProcess();
else await driver();

/** The side process: the writer's work (or a spin) every 50 ms while on; SIGUSR1 toggles on/off. */
async function sideProcess() {
  const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const dist = (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
  const { auditRows } = await import('./audit-rows.mjs');
  const { default: Database } = await import('better-sqlite3');
  const { ChainWriter } = await dist('audit/chain-writer.js');
  const { chainKeying } = await dist('audit/chain-key.js');
  const { RawEntryReader, rawHeadJson, rawJournalBody } = await dist('audit/raw-entry.js');
  const { journalBody } = await dist('audit/journal-line.js');
  const { Redactor } = await dist('audit/redact.js');
  const { configureWriter, migrate } = await dist('audit/schema.js');
  const { openNativeWriter } = await dist('audit/native-writer.js');
  const { auditSchema } = await dist('config/audit.js');
  const perBatch = Math.round(Number(o.rate) / 20);
  const { config, redactor, rawBody } = auditRows({ rawHeadJson, rawJournalBody, journalBody, Redactor, auditSchema });
  // 40 batches made up front and written again under a new journal id each cycle (a journal's
  // sequence numbers must grow), so that making them costs nothing while the rounds run.
  const batches = [];
  for (let b = 0; b < 40; b++) {
    const lines = [];
    for (let i = 0; i < perBatch; i++) lines.push(`${b * perBatch + i + 1} ${rawBody(b * perBatch + i)}\n`);
    batches.push(lines.join(''));
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-side-writer-'));
  const db = new Database(path.join(dir, 'audit.db'));
  configureWriter(db);
  migrate(db);
  const chain = new ChainWriter(db, chainKeying(undefined), new RawEntryReader(redactor, config.maxPayloadBytes));
  const opened = openNativeWriter(db, chain, { redactFields: config.redactFields, maxPayloadBytes: config.maxPayloadBytes });
  const write = 'writer' in opened ? (id, text) => opened.writer.writeBatch(id, text) : (id, text) => chain.writeBatch(id, text);
  let on = false;
  let next = 0;
  let cycle = 0;
  process.on('SIGUSR1', () => (on = !on));
  process.on('SIGTERM', () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
  setInterval(() => {
    if (!on) return;
    if (o.spin !== undefined) {
      const until = performance.now() + Number(o.spin);
      while (performance.now() < until);
      return;
    }
    write(`side-${cycle}`, batches[next]);
    if (++next === batches.length) (next = 0), cycle++;
  }, 50);
  process.stdout.write(`ready ${'writer' in opened ? 'native' : 'js'}\n`);
}

async function driver() {
  const { cleanup, scenarios, stopSharedBackends } = await import('./scenarios.mjs');
  const self = new URL(import.meta.url).pathname;
  const args = [self, '--side', '--rate', o.rate, ...(o.spin !== undefined ? ['--spin', o.spin] : [])];
  const side = o.idle ? spawn('chrt', ['-i', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise((resolve, reject) => {
    side.stdout.once('data', (d) => resolve(String(d).trim()));
    side.once('exit', (code) => reject(new Error(`side process exited (${code})`)));
  });
  const scenario = scenarios().find((s) => s.name === 'wrap');
  const h = await scenario.start();
  const calls = Number(o.calls);
  const rounds = { idle: [], writing: [] };
  try {
    await h.session.run(20_000, 16, scenario.call);
    let state = 'idle';
    for (let i = 0; i < Number(o.rounds) * 2; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const r = await h.session.run(calls, 16, scenario.call);
      const sorted = Array.from(r.latenciesMs).sort((a, b) => a - b);
      rounds[state].push({ p50: sorted[calls >> 1] * 1000, perSecond: (calls / r.elapsedMs) * 1000 });
      side.kill('SIGUSR1');
      state = state === 'idle' ? 'writing' : 'idle';
    }
  } finally {
    side.kill('SIGTERM');
    await h.stop();
    await stopSharedBackends();
    cleanup();
  }
  const ratios = rounds.writing.map((w, i) => w.p50 / rounds.idle[i].p50);
  const what = o.spin !== undefined ? `spinning ${o.spin} ms per 50 ms` : `writing ${o.rate} rows/s (${ready.split(' ')[1]} writer)`;
  console.log(`wrap at c=16 beside a process ${what}${o.idle ? ' under SCHED_IDLE' : ''}:`);
  console.log(`  p50 ratio (writing ÷ idle, same pair) median ${median(ratios).toFixed(3)} [${ratios.map((x) => x.toFixed(2)).join(' ')}]`);
  console.log(`  p50 idle ${median(rounds.idle.map((x) => x.p50)).toFixed(0)} µs, writing ${median(rounds.writing.map((x) => x.p50)).toFixed(0)} µs; calls/s idle ${median(rounds.idle.map((x) => x.perSecond)).toFixed(0)}, writing ${median(rounds.writing.map((x) => x.perSecond)).toFixed(0)}`);
}
