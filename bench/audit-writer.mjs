#!/usr/bin/env node
/**
 * The audit writer's cost per row, alone on one thread (no recorder, no worker, no journal files):
 * makes journal text of raw entries (the raw path's lines, as bench/audit.mjs records them) and of
 * parsed rows, and times ChainWriter.writeBatch over it into a fresh database, in batches of
 * --batch entries (default 256: what a 50 ms flush gathers at a few thousand calls/s). Prints the
 * µs of CPU per row for each kind. Run after `npm run build`; add `--cpu-prof` to node to profile:
 *   node bench/audit-writer.mjs [--rows N] [--batch N] [--kind raw|parsed|both]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { auditRows } from './audit-rows.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
const { default: Database } = await import('better-sqlite3');
const { ChainWriter } = await dist('audit/chain-writer.js');
const { chainKeying } = await dist('audit/chain-key.js');
const { RawEntryReader, rawHeadJson, rawJournalBody } = await dist('audit/raw-entry.js');
const { journalBody } = await dist('audit/journal-line.js');
const { Redactor } = await dist('audit/redact.js');
const { configureWriter, migrate } = await dist('audit/schema.js');
const { auditSchema } = await dist('config/audit.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const ROWS = Number(arg('rows', 100_000));
const BATCH = Number(arg('batch', 256));
const KIND = arg('kind', 'both');
const config = auditSchema.parse({ path: 'x.db' });
const redactor = new Redactor(config.redactFields);

const RAW_HEAD = { clientId: 'local:root', clientName: 'root', authMethod: 'local', sessionId: 'stdio-1', transport: 'stdio', backend: 'qubinode', decision: 'allow', reasons: [], policyVersion: 'sha256:0f3a9c', decisionMicros: 0 };
const headJson = rawHeadJson(RAW_HEAD);

function rawBody(i) {
  const request = `{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"list_vms","arguments":{"name":"vm-${i}","filter":{"state":"running","tags":["prod","eu-west"]}}}}`;
  const answer = `{"jsonrpc":"2.0","id":${i},"result":{"content":[{"type":"text","text":"vm-${i} running on host-${i % 5}, 4 vCPU, 8 GiB"}],"isError":false}}`;
  return rawJournalBody(headJson, Date.now(), 850, request.length, answer.length, request, answer);
}

const { parsedBody } = auditRows({ rawHeadJson, rawJournalBody, journalBody, Redactor, auditSchema });

function batches(kind, rows) {
  const out = [];
  let seq = 0;
  for (let b = 0; b < rows; b += BATCH) {
    const lines = [];
    for (let i = b; i < Math.min(rows, b + BATCH); i++) lines.push(`${++seq} ${kind === 'raw' ? rawBody(i) : parsedBody(i)}\n`);
    out.push(lines.join(''));
  }
  return out;
}

function run(kind) {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-writer-bench-'));
  try {
    const db = new Database(path.join(dir, 'audit.db'));
    // --pragma 'name = value' (repeatable): try a setting of the writing connection.
    process.argv.forEach((a, i) => a === '--pragma' && db.pragma(process.argv[i + 1]));
    configureWriter(db);
    if (process.argv.includes('--pragma')) console.log(`  page_size ${db.pragma('page_size', { simple: true })}, wal_autocheckpoint ${db.pragma('wal_autocheckpoint', { simple: true })}`);
    migrate(db);
    const reader = new RawEntryReader(redactor, config.maxPayloadBytes);
    // --slow: raw entries parsed and serialized again (the way before raw-fast.ts), to compare.
    if (process.argv.includes('--slow')) reader.fast = { row: () => undefined };
    const writer = new ChainWriter(db, chainKeying(undefined), reader);
    const warm = batches(kind, 5000);
    for (const text of warm) writer.writeBatch('warm', text);
    const work = batches(kind, ROWS);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const text of work) writer.writeBatch('bench', text);
    const wall = Number(process.hrtime.bigint() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    db.close();
    console.log(`${kind}: ${ROWS} rows in batches of ${BATCH}: ${((cpu.user + cpu.system) / ROWS).toFixed(2)} us CPU/row (user ${(cpu.user / ROWS).toFixed(2)}, sys ${(cpu.system / ROWS).toFixed(2)}), ${(wall / ROWS).toFixed(2)} us wall/row`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const kind of KIND === 'both' ? ['raw', 'parsed'] : [KIND]) run(kind);
