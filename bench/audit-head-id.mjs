#!/usr/bin/env node
/**
 * Would a table of heads referenced by id make the audit writer cheaper? (session 17, issue 7.)
 * Writes the wrap bench's echo rows (raw entries) two ways in one process, batch by batch in turn,
 * each into a fresh database file, with the writer's steps (row making, hash, insert, commit) timed
 * together with the process's CPU clock:
 *   A  as today: the head's ten columns stored in every row, written as constants in the head's own
 *      INSERT (head-insert.ts)
 *   B  a head id: an audit_head table holding the head's columns once (found or inserted once), and
 *      every row storing '' or NULL in them plus a head_id (decision stays: its partial index)
 * Prints each round's µs per row, the insert alone, and the database's bytes per row. BIG=1 gives
 * a large head (a JWT client's long ids and three roles). A throwaway measurement, not a writer.
 *   node bench/audit-head-id.mjs [rows] [rounds] [A,B | A,A]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { auditRows } = await import(pathToFileURL(path.join(ROOT, 'bench/audit-rows.mjs')).href);
const dist = (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
const { default: Database } = await import('better-sqlite3');
const { chainKeying } = await dist('audit/chain-key.js');
const { RawEntryReader, rawHeadJson, rawJournalBody } = await dist('audit/raw-entry.js');
const { journalBody, rowFromBody } = await dist('audit/journal-line.js');
const { Redactor } = await dist('audit/redact.js');
const { configureWriter, migrate, ROW_COLUMNS } = await dist('audit/schema.js');
const { auditSchema } = await dist('config/audit.js');
const ROWS = Number(process.argv[2] ?? 50000), BATCH = 256, ROUNDS = Number(process.argv[3] ?? 5);
const BIG = process.env.BIG === '1';
const headJsonOf = BIG ? (h) => rawHeadJson({ ...h, clientId: 'jwt:https://login.example.com/realms/ops|3f9c2a7e-5b1d-4c8e-9a61-0d2f7b4e8c13', clientName: 'alice.johnson@example.com', authMethod: 'jwt', sessionId: '6b0f7c1e-2d4a-4f9b-8e3c-5a7d9b1c0e2f', transport: 'streamable-http', backend: 'qubinode-infrastructure', roles: ['platform-admin', 'ops-oncall', 'auditor'] }) : rawHeadJson;
const { config, redactor, rawBody } = auditRows({ rawHeadJson: headJsonOf, rawJournalBody, journalBody, Redactor, auditSchema });
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
const lit = (v) => v === null ? 'NULL' : typeof v === 'number' ? String(v) : `CAST(X'${Buffer.from(v).toString('hex')}' AS TEXT)`;
// Head positions in ROW_COLUMNS: 2..7 who, 15 decision, 16 reasons, 17 policy_version, 28 roles
const HEADPOS = [2, 3, 4, 5, 6, 7, 15, 16, 17, 28];
function open(dir, name, mode) {
  const db = new Database(path.join(dir, name));
  configureWriter(db); migrate(db);
  if (mode !== 'A') {
    db.exec(`CREATE TABLE audit_head (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL, client_name TEXT NOT NULL, auth_method TEXT NOT NULL, session_id TEXT NOT NULL, transport TEXT NOT NULL, backend TEXT, reasons TEXT NOT NULL, policy_version TEXT, roles TEXT, canon TEXT NOT NULL UNIQUE);
      ALTER TABLE audit_log ADD COLUMN head_id INTEGER;`);
  }
  const reader = new RawEntryReader(redactor, config.maxPayloadBytes);
  const cols = [...ROW_COLUMNS, 'prev_hash', 'hash'];
  const getMeta = db.prepare('SELECT value FROM audit_meta WHERE key = ?').pluck();
  const setMeta = db.prepare('UPDATE audit_meta SET value = ? WHERE key = ?');
  const setJournal = db.prepare('INSERT INTO audit_journal (id, committed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET committed = excluded.committed');
  const st = { db, reader, keying: chainKeying(undefined), stmt: null, getMeta, setMeta, setJournal, seq: 0, head: '0'.repeat(64), cpu: 0, rows: 0, mode, cols };
  st.run = db.transaction((text) => write(st, text));
  return st;
}
function prepareFor(st, values) {
  const cols = [...st.cols];
  const v = cols.map(() => '?');
  if (st.mode === 'A') for (const p of HEADPOS) v[p] = lit(values[p]);
  else {
    const h = HEADPOS.filter((p) => p !== 15).map((p) => values[p]);
    const canon = JSON.stringify(h);
    st.db.prepare(`INSERT OR IGNORE INTO audit_head (client_id, client_name, auth_method, session_id, transport, backend, reasons, policy_version, roles, canon) VALUES (?,?,?,?,?,?,?,?,?,?)`).run(...h, canon);
    const id = st.db.prepare('SELECT id FROM audit_head WHERE canon = ?').pluck().get(canon);
    for (const p of HEADPOS) v[p] = p === 15 ? lit(values[p]) : ([2, 3, 4, 5, 6, 16].includes(p) ? "''" : 'NULL');
    cols.push('head_id'); v.push(String(id));
  }
  return st.db.prepare(`INSERT INTO audit_log (${cols.join(', ')}) VALUES (${v.join(', ')})`);
}
function write(st, text) {
  st.getMeta.get('head_seq'); st.getMeta.get('head_hash');
  const lines = [], vals = [];
  let committed = 0;
  for (let at = 0; at < text.length;) {
    let end = text.indexOf('\n', at); if (end < 0) end = text.length;
    const sp = text.indexOf(' ', at);
    committed = Number(text.slice(at, sp));
    const row = st.reader.row(st.seq + lines.length + 1, text.slice(sp + 1, end));
    at = end + 1;
    lines.push(row[0]); vals.push(row[1]);
  }
  const hashes = st.keying.hashes(st.head, lines);
  if (st.stmt === null) st.stmt = prepareFor(st, vals[0]);
  let prev = st.head;
  const i0 = cpu();
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    st.stmt.run(v[0], v[1], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[18], v[19], v[20], v[21], v[22], v[23], v[24], v[25], v[26], v[27], v[29], v[30], prev, hashes[i]);
    prev = hashes[i];
  }
  st.ins = (st.ins ?? 0) + cpu() - i0;
  st.seq += vals.length; st.head = prev;
  st.setMeta.run(String(st.seq), 'head_seq'); st.setMeta.run(st.head, 'head_hash'); st.setJournal.run('bench', committed);
  return vals.length;
}
function batch(k, rows, from) {
  const lines = [];
  for (let i = k * BATCH; i < Math.min(rows, (k + 1) * BATCH); i++) lines.push(`${from + i + 1} ${rawBody(from + i)}\n`);
  return lines.join('');
}
const modes = (process.argv[4] ?? 'A,B').split(',');
const ratios = [];
for (let r = 0; r < ROUNDS; r++) {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-headid-'));
  try {
    const w = modes.map((m, k) => open(dir, `warm${k}.db`, m));
    for (let k = 0; k < 20; k++) w.forEach((s) => s.run.immediate(batch(k, 5000, 0)));
    w.forEach((s) => s.db.close());
    const t = modes.map((m, k) => open(dir, `ab${k}.db`, m));
    for (let i = 0; i < Math.ceil(ROWS / BATCH); i++) {
      const text = batch(i, ROWS, 5000);
      for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const c0 = cpu(); t[k].rows += t[k].run.immediate(text); t[k].cpu += cpu() - c0;
      }
    }
    t.forEach((s) => s.db.pragma('wal_checkpoint(TRUNCATE)'));
    const sizes = t.map((s, k) => statSync(path.join(dir, `ab${k}.db`)).size / s.rows);
    t.forEach((s) => s.db.close());
    const per = t.map((s) => s.cpu / s.rows);
    ratios.push(per[1] / per[0]);
    console.log(`round ${r}: ${modes[0]} ${per[0].toFixed(2)} µs/row, ${modes[1]} ${per[1].toFixed(2)} µs/row, ratio ${(per[1] / per[0]).toFixed(3)}; insert alone ${t.map((s) => (s.ins / s.rows).toFixed(2)).join(' / ')}; bytes/row ${sizes.map((s) => s.toFixed(1)).join(' / ')}`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
}
ratios.sort((a, b) => a - b);
console.log(`median ratio ${modes[1]}/${modes[0]}: ${ratios[ratios.length >> 1].toFixed(3)}`);
