#!/usr/bin/env node
/**
 * The audit writer's CPU per row in two builds, in one process, batch by batch in turn: each build's
 * own ChainWriter, schema (configureWriter, migrate) and RawEntryReader write the same batches into
 * a fresh database file of its own, and the CPU clock (user + system, all threads of this process)
 * is read around every writeBatch. Alternating batch by batch makes a shared machine's noise hit
 * both builds alike, so the ratio means something where single figures swing by 20%. Rows are the
 * wrap bench's echo call as the raw path journals it (--kind parsed: the parsed path's rows).
 * `--roles a,b`: the client has these roles, and each build writes the rows as its own proxy would
 * journal them (a build without the roles column leaves them out; without --roles both builds write
 * build A's bytes).
 * Each build's dist must have been built (`npm run build` in that tree):
 *   node bench/audit-writer-ab.mjs --a /other/tree [--b .] [--rows N] [--batch N] [--rounds N] [--kind raw|parsed] [--key K] [--roles a,b]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { auditRows } from './audit-rows.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const HERE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const A = path.resolve(arg('a', HERE));
const B = path.resolve(arg('b', HERE));
const ROWS = Number(arg('rows', 50_000));
const BATCH = Number(arg('batch', 256));
const ROUNDS = Number(arg('rounds', 3));
const KIND = arg('kind', 'raw');
const KEY = arg('key', undefined);
const ROLES = arg('roles', undefined)?.split(',');
const { default: Database } = await import('better-sqlite3');

async function build(root) {
  const dist = (p) => import(pathToFileURL(path.join(root, 'dist', p)).href);
  const [cw, ck, re, jl, rd, sc, ca] = await Promise.all(
    ['audit/chain-writer.js', 'audit/chain-key.js', 'audit/raw-entry.js', 'audit/journal-line.js', 'audit/redact.js', 'audit/schema.js', 'config/audit.js'].map(dist),
  );
  return { root, ...cw, ...ck, ...re, ...jl, ...rd, ...sc, ...ca };
}
const builds = [await build(A), await build(B)];
const rowsOf = ROLES === undefined ? [auditRows(builds[0]), auditRows(builds[0])] : builds.map((b) => auditRows(b, ROLES));
const { config } = rowsOf[0];
/** Batch `k` of `rows` rows (contents from entry `from` on, journal numbers from 1: each run writes a fresh file) for build `b` (made just before it is written, not timed: its garbage dies young, as the writer thread's batches do). */
function batch(k, rows, from, b = 0) {
  const { rawBody, parsedBody } = rowsOf[b];
  const lines = [];
  for (let i = k * BATCH; i < Math.min(rows, (k + 1) * BATCH); i++) lines.push(`${i + 1} ${KIND === 'raw' ? rawBody(from + i) : parsedBody(from + i)}\n`);
  return lines.join('');
}
const batches = (rows) => Math.ceil(rows / BATCH);

function open(b, dir, name) {
  const db = new Database(path.join(dir, name));
  b.configureWriter(db);
  b.migrate(db);
  const writer = new b.ChainWriter(db, b.chainKeying(KEY), new b.RawEntryReader(new b.Redactor(config.redactFields), config.maxPayloadBytes));
  return { db, writer };
}

const label = (b) => path.relative(process.cwd(), b.root) || '.';
console.log(`${KIND} rows, ${ROWS} per round in batches of ${BATCH}${KEY ? ', HMAC' : ''}${ROLES ? `, roles ${ROLES.join(',')}` : ''}; µs CPU per row (system in brackets); A = ${label(builds[0])}, B = ${label(builds[1])}`);
const ratios = [];
const per = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-writer-ab-'));
  try {
    // Warm-up on databases of their own, then fresh files for the measured batches.
    const w = builds.map((b, k) => open(b, dir, `warm-${k}.db`));
    for (let k = 0; k < batches(5000); k++) {
      w.forEach((x, b) => x.writer.writeBatch('warm', batch(k, 5000, 0, b)));
    }
    for (const x of w) x.db.close();
    const t = builds.map((b, k) => ({ ...open(b, dir, `ab-${k}.db`), cpu: 0, sys: 0, rows: 0 }));
    for (let i = 0; i < batches(ROWS); i++) {
      const texts = [batch(i, ROWS, 5000, 0), ROLES === undefined ? undefined : batch(i, ROWS, 5000, 1)];
      // Which build goes first alternates too.
      for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const x = t[k];
        const text = texts[k] ?? texts[0];
        const c0 = process.cpuUsage();
        x.rows += x.writer.writeBatch('bench', text).inserted;
        const c = process.cpuUsage(c0);
        x.cpu += c.user + c.system;
        x.sys += c.system;
      }
    }
    for (const x of t) x.db.close();
    const [a, b] = t.map((x) => x.cpu / x.rows);
    per[0].push(a);
    per[1].push(b);
    ratios.push(b / a);
    console.log(`  round ${r + 1}: A ${a.toFixed(2)} (${(t[0].sys / t[0].rows).toFixed(2)}), B ${b.toFixed(2)} (${(t[1].sys / t[1].rows).toFixed(2)}), B/A ${(b / a).toFixed(3)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const range = (a) => `${Math.min(...a).toFixed(2)}-${Math.max(...a).toFixed(2)}`;
console.log(`median of ${ROUNDS}: A ${med(per[0]).toFixed(2)} (${range(per[0])}), B ${med(per[1]).toFixed(2)} (${range(per[1])}), B/A ${med(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`);
