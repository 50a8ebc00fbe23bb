#!/usr/bin/env node
// Differential fuzzer of native/writer/ against ChainWriter (the JS writer), for memory safety and
// for equal rows. Each round opens two in-memory databases with random options (chain key or none,
// payload cap, redacted fields), writes the same random journal bytes to both (generated raw entries
// and parsed lines, then mutated: truncated UTF-8, NUL and control bytes, lengths off by one, huge
// numbers, deep nesting and many names at json-span's limits, escapes, names at the redaction
// boundary, payloads at the cap +-1, lines without a newline; journal numbers repeated, back, jumped
// ahead, 99999999, garbage; two lines joined, one line split) in a few batches, each with the
// proxy's last number (the writer thread's batches) or without (an import, sometimes resumed), and
// compares every batch result (or the error both threw) and, at the end of the round, every row,
// meta and mark.
//
// Run under the sanitizers (fuzz/build-asan.sh first; `npm run build` for dist/):
//   LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" ASAN_OPTIONS=detect_leaks=0 \
//     node native/writer/fuzz/diff.mjs --addon native/writer/fuzz/out/warden_writer_asan.node --seconds 600 [--seed N]
// Without --addon it uses the addon `npm run build` builds. A difference or a sanitizer report ends
// the run (exit 1) after writing the round's input to native/writer/fuzz/out/crash-<seed>-<round>.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const require = createRequire(join(root, 'package.json'));
const Database = require('better-sqlite3');
const dist = (f) => import(join(root, 'dist/audit', f));
const { ChainWriter } = await dist('chain-writer.js');
const { chainKeying, checkChainKeying } = await dist('chain-key.js');
const { RawEntryReader, rawHeadJson, rawJournalBody } = await dist('raw-entry.js');
const { Redactor } = await dist('redact.js');
const { migrate } = await dist('schema.js');
const { headOfFor, loadWriterExtension } = await dist('native-writer.js');
const { journalBody } = await dist('journal-line.js');
const { verifyChain } = await dist('verify.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const addonFile = resolve(arg('addon', join(root, 'native/writer/build/Release/warden_writer.node')));
const addon = require(addonFile);
const seconds = Number(arg('seconds', '60'));
const maxRounds = Number(arg('rounds', 'Infinity'));
const seed0 = Number(arg('seed', String(Date.now() % 1e9)));

// ---------- random ----------
let s = seed0 >>> 0 || 1;
const rnd = () => {
  // xorshift32
  s ^= s << 13;
  s >>>= 0;
  s ^= s >>> 17;
  s ^= s << 5;
  s >>>= 0;
  return s / 4294967296;
};
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rnd() < p;

const FIELDS = ['password', 'token', 'api_key', 'apikey', 'authorization', 'secret'];
function options() {
  let redactFields = FIELDS;
  if (chance(0.3)) redactFields = FIELDS.filter(() => chance(0.5));
  if (chance(0.1)) redactFields = [...redactFields, pick(['', 'a', 'x-y', 'X_Y', '_k', 'pässword', 'tab\tname', 'k'.repeat(200)])];
  if (chance(0.03)) redactFields = Array.from({ length: 63 + int(4) }, (_, i) => `f${i}`);
  const maxPayloadBytes = pick([1, 2, 5, 16, 31, 64, 100, 4096, 16384]);
  const chainKey = chance(0.4) ? pick(['k', 'key-1', 'x'.repeat(64), 'y'.repeat(65), 'ключ', 'z'.repeat(300)]) : undefined;
  return { redactFields, maxPayloadBytes, chainKey };
}

// ---------- JSON in the form (JSON.stringify's), near the limits ----------
const NAMES = ['a', 'text', 'q', 'n', 'isError', 'content', 'type', 'password', 'PASSWORD', 'pass_word', 'api-key', 'API_KEY', 'apikey', 'token', 'tok', 'secre', 'secret_', 'Authorization', '1a', '_x', '-', 'name', 'arguments', 'id', 'é', ''];
function str(depth) {
  const parts = ['hello', 'x\\ty', '\\"q\\"', '\\\\', 'a\\/b', '\\u0041', '100%', 'a@b', 'tokn', 'secre', 'toke', 'n\\n', 'é', '\\b\\f\\r'];
  let t = '';
  const k = int(4);
  for (let i = 0; i < k; i++) t += pick(parts);
  if (chance(0.05)) t += 'x'.repeat(int(5000));
  return `"${t}"`;
}
function number() {
  return pick(['0', '-0', '1', '-12', '1.5', '1e5', '123456789012345', '1234567890123456', '99999999999999999999999', '-123456789012345', '01', '1.', '.5', '-', '2E-3']);
}
function value(depth) {
  if (depth > 70) return '1';
  const r = int(10);
  if (r < 2) return str(depth);
  if (r < 4) return number();
  if (r < 5) return pick(['true', 'false', 'null', 'tru', 'nul']);
  if (r < 7) {
    const k = int(4);
    return `[${Array.from({ length: k }, () => value(depth + 1)).join(',')}]`;
  }
  return object(depth + 1);
}
function object(depth, forced = []) {
  const k = int(4);
  const members = [...forced];
  for (let i = 0; i < k; i++) members.push([pick(NAMES), value(depth + 1)]);
  if (chance(0.1)) members.push([members.length ? members[0][0] : 'a', '1']); // a name twice
  return `{${members.map(([n, v]) => `"${n}":${v}`).join(',')}}`;
}
function deep(d) {
  const open = pick(['[', '{"a":']);
  return open === '[' ? `${'['.repeat(d)}${']'.repeat(d)}` : `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`;
}
function manyNames(k) {
  return `{${Array.from({ length: k }, (_, j) => `"k${j}":${j}`).join(',')}}`;
}
function args(cap) {
  // Often plain (the common case, made in C): the other cases are mostly for JS runs.
  if (chance(0.4)) return pick([`{"text":"hello ${int(1000)}"}`, `{"n":${int(99)},"list":[1,2,{"b":null}],"ok":true}`, '{"path":"/tmp/x","q":"a\\tb"}', '{}']);
  const r = int(12);
  if (r === 0) return undefined;
  if (r === 1) return `{"d":${deep(56 + int(10))}}`;
  if (r === 2) return manyNames(500 + int(13));
  if (r === 3) {
    // exactly at the cap +-1: {"t":"xxx"} is 8 bytes plus the x's
    const n = Math.max(0, cap - 8 + int(3) - 1);
    return `{"t":"${'x'.repeat(n)}"}`;
  }
  if (r === 4) return pick(['[]', '"str"', '1', 'null', '{}']);
  return object(1);
}
function result(cap) {
  if (chance(0.4)) return pick(['{"content":[{"type":"text","text":"ok"}]}', '{"content":[],"isError":true}', '{"isError":false}', `{"content":[{"type":"text","text":"${'z'.repeat(int(cap + 40))}"}]}`]);
  const r = int(10);
  if (r === 0) return `{"content":[],"isError":${pick(['true', 'false', '"true"', '1', 'null'])}}`;
  if (r === 1) {
    const n = Math.max(0, cap - 8 + int(3) - 1);
    return `{"t":"${'y'.repeat(n)}"}`;
  }
  if (r === 2) return pick(['"text"', '[]', 'null', '{}']);
  if (r === 3) return `{"d":${deep(56 + int(10))}}`;
  return object(1, chance(0.5) ? [['content', `[{"type":"text","text":${str(0)}}]`]] : []);
}
const HEADS = [
  { clientId: 'local:root', clientName: 'root', authMethod: 'local', sessionId: 'stdio-1', transport: 'stdio', backend: 'bench', decision: 'allow', reasons: [], policyVersion: 'sha256:0f3a9c5e', decisionMicros: 0 },
  { clientId: 'jwt:alice', clientName: 'Zoë "Z" Ålund', authMethod: 'jwt', roles: ['admin', 'opsé'], sessionId: 's-2', transport: 'streamable-http', backend: undefined, decision: 'allow', reasons: ['allowed by rule "x"'], policyVersion: undefined, decisionMicros: 37 },
  { clientId: 'key:k1', clientName: 'tab\there', authMethod: 'api_key', sessionId: 's-3', transport: 'sse', backend: 'b\\2', decision: 'allow', reasons: [], policyVersion: 'v1', decisionMicros: 12.6 },
].map((h) => rawHeadJson(h));
const ODD_HEADS = [
  '[]', '{}', 'null', '"x"', '[1,2,3,4,5,6,7,8,9,10]', '["a","b","c","d","e",null,"allow",[],null,1e300]', '["a","b","c","d","e",null,"allow",[],null,-5]',
  '["a","b","c","d","e",null,"allow",[],null,9007199254740993]', '["a","b",3,"d","e",null,"allow",[],null,0]', '["a","b","c","d","e",null,"allow",[],null,0,["r"]]',
  '["a","b","c","d","e",null,"allow",[],null,0,[1]]', '["a","b","c","d","e",null,"allow",["r"],"v",0,[]]', '["a","b","c","d","e",null,"allow",[],null,0.5]', '[', '',
  `["${'w'.repeat(3000)}","b","c","d","e",null,"allow",[],null,0]`,
];
// --proxy-heads: only heads as the proxy writes them (rawHeadJson: strings where RawEntryReader expects them).
const oddHeads = process.argv.includes('--proxy-heads') ? ODD_HEADS.filter((h) => { try { const a = JSON.parse(h); return Array.isArray(a) && [0, 1, 2, 3, 4, 6].every((i) => typeof a[i] === 'string'); } catch { return true; } }) : ODD_HEADS;
function head() {
  return chance(0.85) ? pick(HEADS) : pick(oddHeads);
}
function rawEntry(i, cap) {
  const a = args(cap);
  const params = a === undefined ? `{"name":${pick(['"echo"', '"t\\"q"', '""', '1', '"é"'])}}` : `{"name":"echo","arguments":${a}}`;
  const method = pick(['"tools/call"', '"tools/call"', '"tools/call"', '"resources/read"', '"tools\\tcall"', '"tools/list"', '1', '"tools\\/call"']);
  const id = pick([`${i}`, `"r-${i}"`, '"q\\"uo\\\\te\\n"', null, '-0', '1.5', '12345678901234567', '{"a":1}', '[1]', 'true', '""']);
  const request = `{"jsonrpc":"2.0",${id === null ? '' : `"id":${id},`}"method":${method},"params":${params}}`;
  let answer;
  const r = int(20);
  if (r === 0) answer = 'not json at all';
  else if (r === 1) answer = `{"jsonrpc":"2.0","id":${id ?? 'null'},"error":{"code":-32000,"message":"m"}}`;
  else if (r === 2) answer = `{"jsonrpc":"2.0","id":${id ?? 'null'},"result":${result(cap)},"error":null}`;
  else answer = `{"jsonrpc":"2.0","id":${id ?? 'null'},"result":${result(cap)}}`;
  const h = head();
  const num = () => pick([`${1795000000000 + i}`, '0', '7', '123456789012345', '1234567890123456', '99999999999999999999', '00012']);
  if (chance(0.9)) return rawJournalBody(h, 1795000000000 + i, 850 + (i % 300), request.length, answer.length, request, answer);
  // numbers of its own: lengths off by one, huge, zero
  const rl = pick([request.length, request.length - 1, request.length + 1, 0, 99999999999999999999]);
  const al = pick([answer.length, answer.length - 1, answer.length + 1, 0]);
  return `R${num()},${num()},${num()},${num()},${rl},${al},${h}\t${request}${answer}`;
}
function parsedEntry(i, redactor, cap) {
  return journalBody(
    { time: 1795000000000 + i, clientId: 'key:k', clientName: 'K', authMethod: 'api_key', sessionId: 's', transport: 'streamable-http', method: 'tools/call', requestId: i, tool: 't', arguments: { password: 'p', n: i }, decision: i % 2 ? 'deny' : 'allow', reasons: [], outcome: i % 2 ? 'denied' : 'ok', decisionMicros: 5 },
    redactor,
    cap,
  );
}

// ---------- byte mutations ----------
function mutate(b) {
  const n = 1 + int(3);
  for (let k = 0; k < n; k++) {
    const r = int(10);
    const at = b.length ? int(b.length) : 0;
    if (r === 0 && b.length) b = b.subarray(0, at); // truncated (also mid UTF-8)
    else if (r === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from([0]), b.subarray(at)]);
    else if (r === 2) b = Buffer.concat([b.subarray(0, at), Buffer.from([pick([0x80, 0xc3, 0xe2, 0xf0, 0xff, 0x1f, 0x7f, 0x09, 0x0d])]), b.subarray(at)]);
    else if (r === 3 && b.length) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else if (r === 4 && b.length) {
      b = Buffer.from(b);
      b[at] = int(256);
    } else if (r === 5) b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(['"', '\\', '{', '}', '[', ']', ',', ':', '\t', ' ', '\\u', 'password', '9', '-']), 'latin1'), b.subarray(at)]);
    else if (r === 6 && b.length > 2) {
      // a span repeated
      const from = int(b.length);
      const to = Math.min(b.length, from + int(40));
      b = Buffer.concat([b.subarray(0, at), b.subarray(from, to), b.subarray(at)]);
    } else if (r === 7) {
      // a digit of the header numbers changed
      const text = b.toString('latin1');
      const m = /^R(\d+),(\d+),(\d+),(\d+),(\d+),(\d+),/.exec(text);
      if (m) b = Buffer.from(text.replace(m[0], `R${m[1]},${m[2]},${m[3]},${m[4]},${Number(m[5]) + int(3) - 1},${Number(m[6]) + int(3) - 1},`), 'latin1');
    }
  }
  return b;
}

function batchBytes(cfg, start, count, redactor) {
  const lines = [];
  let seq = start;
  for (let i = 0; i < count; i++) {
    const kind = int(100);
    let body;
    if (kind < 8) body = Buffer.from(parsedEntry(seq, redactor, cfg.maxPayloadBytes));
    else if (kind < 10) body = Buffer.from(pick(['x not a journal line', 'R12,3,4', 'R', 'R1,2,3,4,0,0,', '', 'R1,2,3,4,0,0,["a"]\t']));
    else body = Buffer.from(rawEntry(seq, cfg.maxPayloadBytes));
    if (chance(0.2)) body = mutate(body);
    // journal sequence: mostly the next one; sometimes again, back, garbage, 16-17 digits, or a
    // damaged number in place of the next one (ahead by a little or a lot: the line keeps its place)
    const r = int(40);
    let prefix;
    if (r === 0) prefix = `${Math.max(0, seq - int(5))} `;
    else if (r === 1) prefix = pick(['', ' ', 'x ', '1x ', '9007199254740991 ', '9007199254740992 ', '12345678901234567 ', '-1 ', `${seq}`]);
    else if (r === 2) {
      seq++;
      prefix = pick([`${seq + 1 + int(count)} `, '99999999 ', `${Math.max(0, seq - 1 - int(3))} `, `${seq}0 `]);
    } else prefix = `${++seq} `;
    lines.push(Buffer.concat([Buffer.from(prefix, 'latin1'), body]));
  }
  let out = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
  if (chance(0.08) && out.length > 1) {
    // two lines joined (a newline lost), or one split (a newline where there was none)
    const at = int(out.length - 1);
    const nl = out.indexOf(0x0a, at);
    if (chance(0.5) && nl >= 0 && nl < out.length - 1) out = Buffer.concat([out.subarray(0, nl), out.subarray(nl + 1)]);
    else out = Buffer.concat([out.subarray(0, at), Buffer.from('\n'), out.subarray(at)]);
  }
  if (chance(0.3)) out = out.subarray(0, out.length - 1); // the last line without its newline
  if (chance(0.05)) out = out.subarray(0, int(out.length + 1)); // torn anywhere
  return { bytes: exact(out), next: seq };
}
/** A copy in memory of its own (Buffer.alloc is never pooled): ASan sees a read past its end. */
function exact(b) {
  const c = Buffer.alloc(b.length);
  b.copy(c);
  return c;
}

function dump(db) {
  const cols = db.prepare("SELECT name FROM pragma_table_info('audit_log')").pluck().all();
  const rows = db.prepare(`SELECT ${cols.map((c) => `${c}, typeof(${c})`).join(', ')} FROM audit_log ORDER BY seq`).raw().all();
  const meta = db.prepare('SELECT key, value, typeof(value) FROM audit_meta ORDER BY key').raw().all();
  const journal = db.prepare('SELECT id, committed, typeof(committed) FROM audit_journal ORDER BY id').raw().all();
  return JSON.stringify({ rows, meta, journal });
}
function open(cfg) {
  const db = new Database(':memory:');
  migrate(db);
  checkChainKeying(db, chainKeying(cfg.chainKey), true);
  return db;
}
const outcome = (f) => {
  try {
    return { ok: f() };
  } catch (err) {
    return { threw: String(err.message).replace(/writerBatch: /, '') };
  }
};

mkdirSync(join(here, 'out'), { recursive: true });
// --replay FILE: the rounds of FILE ({rounds: [{cfg, batches (base64), bounds?: [[last or -1, resumed], ...]}]}, e.g. fuzz/regressions.json), then stop.
const replay = arg('replay', undefined);
const replayed = replay === undefined ? undefined : JSON.parse(readFileSync(replay, 'utf8')).rounds;
const until = replayed ? Infinity : Date.now() + seconds * 1000;
let rounds = 0;
let lines = 0;
let fastRows = 0;
let slowRows = 0;
/** Rounds whose chain (JS's and native's alike) does not verify: a finding about the JS writer or verify. */
const jsUnverified = [];
while (Date.now() < until && rounds < (replayed ? replayed.length : maxRounds)) {
  const cfg = replayed ? { redactFields: FIELDS, maxPayloadBytes: 4096, ...replayed[rounds].cfg } : options();
  const keying = chainKeying(cfg.chainKey);
  const reader = () => new RawEntryReader(new Redactor(cfg.redactFields), cfg.maxPayloadBytes);
  const a = open(cfg);
  const b = open(cfg);
  const js = new ChainWriter(a, keying, reader());
  const chain = new ChainWriter(b, keying, reader());
  loadWriterExtension(b, addonFile);
  const w = addon.writerOpen(null, cfg.maxPayloadBytes, cfg.redactFields, cfg.chainKey ? Buffer.from(cfg.chainKey, 'utf8') : null);
  const headOf = headOfFor(reader());
  const inputs = [];
  /** Per batch: the proxy's last number (the writer thread's batches) or -1 (an import), and resumed. */
  const bounds = [];
  // The writer thread's batches (with the proxy's last number) or an import's (without) this round.
  const live = chance(0.5);
  let seq = 0;
  let failure;
  const nb = replayed ? replayed[rounds].batches.length : 1 + int(5);
  for (let k = 0; k < nb && failure === undefined; k++) {
    const { bytes, next } = replayed
      ? { bytes: exact(Buffer.from(replayed[rounds].batches[k], 'base64')), next: 0 }
      : chance(0.15) && inputs.length ? { bytes: exact(Buffer.from(inputs[inputs.length - 1], 'base64')), next: seq } : batchBytes(cfg, seq, 1 + int(60), new Redactor(cfg.redactFields));
    const repeated = !replayed && next === seq && inputs.length > 0;
    const [last, resumed] = replayed
      ? (replayed[rounds].bounds?.[k] ?? [-1, false])
      : live
        ? [repeated ? bounds[bounds.length - 1][0] : next, false]
        : [-1, k > 0 && chance(0.5)];
    seq = next;
    inputs.push(bytes.toString('base64'));
    bounds.push([last, resumed]);
    lines += 1 + (bytes.length ? bytes.toString('latin1').split('\n').length - 1 : 0);
    const x = outcome(() => js.writeBatch('j', bytes.toString('utf8'), last >= 0 ? { last, resumed } : { resumed }));
    const y = outcome(() => {
      chain.startBatch();
      const r = addon.writerBatch(w, 'j', bytes, headOf, (from, to, sq, hash, committed, ceiling, moved) => chain.appendRun(bytes.toString('utf8', from, to), sq, hash, committed, ceiling, moved), last, resumed);
      fastRows += r[4];
      slowRows += r[5];
      // The skipped lines (which and why) too: C hands them all to JS runs, which name them.
      return { committed: r[0], headSeq: r[1], headHash: r[6], inserted: r[2], unreadable: r[3], skipped: chain.skipped };
    });
    if (JSON.stringify(x) !== JSON.stringify(y)) failure = `batch ${k}: JS ${JSON.stringify(x)} native ${JSON.stringify(y)}`;
  }
  addon.writerClose(w);
  if (failure === undefined) {
    const da = dump(a);
    const db = dump(b);
    if (da !== db) failure = 'the databases differ';
    else {
      const va = verifyChain(a, keying);
      const vb = verifyChain(b, keying);
      if (va.ok !== vb.ok) failure = `verifyChain: JS ${JSON.stringify(va)} native ${JSON.stringify(vb)}`;
      else if (!va.ok) {
        if (jsUnverified.length === 0) writeFileSync(join(here, 'out', `unverified-${seed0}-${rounds}.json`), JSON.stringify({ seed: seed0, round: rounds, cfg, verify: va, batches: inputs, bounds }, null, 1));
        jsUnverified.push({ seed: seed0, round: rounds, verify: va });
      }
    }
  }
  a.close();
  b.close();
  if (failure !== undefined) {
    const file = join(here, 'out', `crash-${seed0}-${rounds}.json`);
    writeFileSync(file, JSON.stringify({ seed: seed0, round: rounds, cfg, failure, batches: inputs, bounds }, null, 1));
    console.log(`DIFFERENCE at round ${rounds}: ${failure.slice(0, 2000)}\n  input: ${file}`);
    process.exit(1);
  }
  rounds++;
}
const cpu = process.cpuUsage();
if (jsUnverified.length) console.log(`${jsUnverified.length} rounds where neither chain verifies (JS and C agree), first: ${JSON.stringify(jsUnverified[0])}`);
console.log(`seed ${seed0}: ${rounds} rounds, ${lines} lines, ${fastRows} rows made in C, ${slowRows} in JS runs, no difference; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
