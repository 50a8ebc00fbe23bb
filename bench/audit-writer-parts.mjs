#!/usr/bin/env node
/**
 * Where the audit writer's CPU per row goes, alone on one thread: the same raw entries as
 * bench/audit-writer.mjs (the wrap bench's echo call, or --kind parsed rows), written into a fresh
 * database file in batches of --batch, each batch in the writer's steps, timed apart with the
 * process's CPU clock (user + system):
 *   row     journal line -> canonical line and column values (RawEntryReader / rowFromBody)
 *   hash    the chain hash of each canonical line (chainKeying: SHA-256, or HMAC with --key)
 *   insert  BEGIN IMMEDIATE, the chain head read, and every row's INSERT (bind + step)
 *   commit  the head and journal mark stored, COMMIT (WAL write; checkpoints fall here)
 * then, on another fresh file, ChainWriter.writeBatch over the same batches (the total as the
 * writer thread runs it). Alternates the two --runs times. Run after `npm run build`:
 *   node bench/audit-writer-parts.mjs [--rows N] [--batch N] [--runs N] [--kind raw|parsed] [--key K] [--pragma 'x = y']
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
const { journalBody, rowFromBody } = await dist('audit/journal-line.js');
const { Redactor } = await dist('audit/redact.js');
const { configureWriter, migrate, ROW_COLUMNS } = await dist('audit/schema.js');
const { auditSchema } = await dist('config/audit.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const ROWS = Number(arg('rows', 50_000));
const BATCH = Number(arg('batch', 256));
const RUNS = Number(arg('runs', 3));
const KIND = arg('kind', 'raw');
const KEY = arg('key', undefined);
const { config, redactor, rawBody, parsedBody } = auditRows({ rawHeadJson, rawJournalBody, journalBody, Redactor, auditSchema });
/** Journal text of `rows` entries (contents from entry `from` on), numbered from 1: each run writes a fresh file. */
function batches(rows, from = 0) {
  const out = [];
  let seq = 0;
  for (let b = 0; b < rows; b += BATCH) {
    const lines = [];
    for (let i = b; i < Math.min(rows, b + BATCH); i++) lines.push(`${++seq} ${KIND === 'raw' ? rawBody(from + i) : parsedBody(from + i)}\n`);
    out.push(lines.join(''));
  }
  return out;
}

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const sys = () => process.cpuUsage().system;

function freshDb(dir, name) {
  const db = new Database(path.join(dir, name));
  process.argv.forEach((a, i) => a === '--pragma' && db.pragma(process.argv[i + 1]));
  configureWriter(db);
  migrate(db);
  return db;
}

/** The writer's steps, each timed apart (a copy of ChainWriter.insertLines's loop, without head-insert.ts). */
function parts(dir, work) {
  const db = freshDb(dir, 'parts.db');
  const keying = chainKeying(KEY);
  const reader = new RawEntryReader(redactor, config.maxPayloadBytes);
  const cols = [...ROW_COLUMNS, 'prev_hash', 'hash'];
  const insert = db.prepare(`INSERT INTO audit_log (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  const getMeta = db.prepare('SELECT value FROM audit_meta WHERE key = ?').pluck();
  const setMeta = db.prepare('UPDATE audit_meta SET value = ? WHERE key = ?');
  const setJournal = db.prepare('INSERT INTO audit_journal (id, committed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET committed = excluded.committed');
  const t = { row: 0, hash: 0, insert: 0, commit: 0, sys: 0 };
  let rows = 0;
  let seq = 0;
  let head = '0'.repeat(64);
  const s0 = sys();
  for (const text of work) {
    const c0 = cpu();
    const made = [];
    let committed = 0;
    for (let at = 0; at < text.length; ) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      const sp = text.indexOf(' ', at);
      committed = Number(text.slice(at, sp));
      const body = text.slice(sp + 1, end);
      at = end + 1;
      const s = seq + made.length + 1;
      made.push(body.charCodeAt(0) === 0x52 ? reader.row(s, body) : rowFromBody(s, body));
    }
    const c1 = cpu();
    const hashes = new Array(made.length);
    let h = head;
    for (let i = 0; i < made.length; i++) h = hashes[i] = keying.hash(h, made[i][0]);
    const c2 = cpu();
    db.exec('BEGIN IMMEDIATE');
    Number(getMeta.get('head_seq'));
    String(getMeta.get('head_hash'));
    let prev = head;
    for (let i = 0; i < made.length; i++) {
      insert.run(...made[i][1], prev, hashes[i]);
      prev = hashes[i];
    }
    const c3 = cpu();
    seq += made.length;
    head = prev;
    setMeta.run(String(seq), 'head_seq');
    setMeta.run(head, 'head_hash');
    setJournal.run('bench', committed);
    db.exec('COMMIT');
    const c4 = cpu();
    t.row += c1 - c0;
    t.hash += c2 - c1;
    t.insert += c3 - c2;
    t.commit += c4 - c3;
    rows += made.length;
  }
  t.sys = sys() - s0;
  db.close();
  return { rows, t };
}

function whole(dir, work) {
  const db = freshDb(dir, 'whole.db');
  const writer = new ChainWriter(db, chainKeying(KEY), new RawEntryReader(redactor, config.maxPayloadBytes));
  const c0 = cpu();
  const s0 = sys();
  let rows = 0;
  for (const text of work) rows += writer.writeBatch('bench', text).inserted;
  const total = cpu() - c0;
  const system = sys() - s0;
  db.close();
  return { rows, total, system };
}

const us = (v, rows) => (v / rows).toFixed(2);
const warm = batches(5000, 0);
const work = batches(ROWS, 5000);
console.log(`${KIND} rows, ${ROWS} per run in batches of ${BATCH}${KEY ? ', HMAC' : ''}; µs CPU per row`);
const sum = { row: [], hash: [], insert: [], commit: [], parts: [], whole: [] };
for (let r = 0; r < RUNS; r++) {
  for (const order of r % 2 === 0 ? ['parts', 'whole'] : ['whole', 'parts']) {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-writer-parts-'));
    try {
      if (order === 'parts') {
        parts(dir, warm);
        rmSync(path.join(dir, 'parts.db'), { force: true });
        rmSync(path.join(dir, 'parts.db-wal'), { force: true });
        rmSync(path.join(dir, 'parts.db-shm'), { force: true });
        const { rows, t } = parts(dir, work);
        const all = t.row + t.hash + t.insert + t.commit;
        for (const k of ['row', 'hash', 'insert', 'commit']) sum[k].push(t[k] / rows);
        sum.parts.push(all / rows);
        console.log(`  parts: row ${us(t.row, rows)}, hash ${us(t.hash, rows)}, insert ${us(t.insert, rows)}, commit ${us(t.commit, rows)} = ${us(all, rows)} (system ${us(t.sys, rows)})`);
      } else {
        whole(dir, warm);
        rmSync(path.join(dir, 'whole.db'), { force: true });
        rmSync(path.join(dir, 'whole.db-wal'), { force: true });
        rmSync(path.join(dir, 'whole.db-shm'), { force: true });
        const { rows, total, system } = whole(dir, work);
        sum.whole.push(total / rows);
        console.log(`  ChainWriter.writeBatch: ${us(total, rows)} (system ${us(system, rows)})`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`median of ${RUNS}: ${Object.entries(sum).map(([k, a]) => `${k} ${med(a).toFixed(2)}`).join(', ')}`);
