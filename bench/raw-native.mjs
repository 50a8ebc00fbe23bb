#!/usr/bin/env node
// In-process timing of the audit raw path's main-thread work per call, JavaScript vs native
// (native/raw_check.c): the request check (distinctKeysToolCallRawSafe vs addon.rawRequest), then
// the answer check and the journal copy into the mapped segment (rawAnswerChars + Spool.appendRaw
// vs Spool.appendRawChecked). Warm (back to back) and cold (about 1 MB of other memory read and
// written between calls, as the proxy's other work does), interleaved, median µs per call.
// Usage: node bench/raw-native.mjs [calls=20000] (after npm run build).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor } from '../dist/audit/redact.js';
import { Spool } from '../dist/audit/spool.js';
import { rawHeadBytes, rawHeadJson } from '../dist/audit/raw-entry.js';
import { compactToolCallIdAt, idSpan } from '../dist/proxy/compact-bytes.js';
import { distinctKeysToolCallRawSafe } from '../dist/proxy/distinct-keys.js';
import { rawAnswerChars } from '../dist/proxy/raw-audit.js';

const calls = Number(process.argv[2] ?? 20000);
const red = new Redactor(['password', 'token', 'api_key', 'apikey', 'authorization', 'secret']);
const names = red.rawNames;
const table = red.rawNativeTable;
const dir = mkdtempSync(join(tmpdir(), 'raw-native-'));
const spool = new Spool(join(dir, 'audit.db'));
const addon = spool.rawAddon;
if (addon === undefined || table === undefined) throw new Error('no native raw check (npm run build)');
const recorder = { rawNames: names, rawSafeBytes: (b, s, e) => red.rawSafeBytes(b, s, e) };
const head = rawHeadBytes(rawHeadJson({ clientId: 'stdio', clientName: 'bench', authMethod: 'none', sessionId: 'f3a1c9e2-0000-4000-8000-000000000001', transport: 'stdio', backend: 'bench', decision: 'allow', reasons: [], policyVersion: 'allow-all', decisionMicros: 0 }));
const request = Buffer.from('{"jsonrpc":"2.0","id":12345,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello from mcp-warden bench"}}}\n');
const answer = Buffer.from('{"result":{"content":[{"type":"text","text":"Echo: hello from mcp-warden bench"}],"structuredContent":{"echo":"hello from mcp-warden bench"}},"jsonrpc":"2.0","id":12345}\n');
const rEnd = request.length - 1;
const aEnd = answer.length - 1;
if (compactToolCallIdAt(request, 0, rEnd) < 0) throw new Error('not a compact tools/call');
const from = idSpan.params;
const seen = idSpan.before;
let seq = 0;
const time = Date.now();

function jsPath() {
  const rc = distinctKeysToolCallRawSafe(request, 0, rEnd, from, seen, names);
  const ac = rawAnswerChars(recorder, answer, 0, aEnd);
  if (rc !== rEnd || ac !== aEnd) throw new Error(`js: ${rc} ${ac}`);
  spool.appendRaw(++seq, time, 1234, head, request, 0, rEnd, answer, 0, aEnd);
}

function nativePath() {
  const rc = addon.rawRequest(table, request, 0, rEnd, from, seen);
  if (rc !== rEnd) throw new Error(`native request: ${rc}`);
  const r = spool.appendRawChecked(table, ++seq, time, 1234, head, request, 0, rEnd, answer, 0, aEnd);
  if (r === -4) spool.appendRaw(seq, time, 1234, head, request, 0, rEnd, answer, 0, aEnd);
  else if (r !== 0) throw new Error(`native answer: ${r}`);
}

const thrash = new Uint32Array(256 * 1024); // 1 MB
let sink = 0;
function trash() {
  for (let i = 0; i < thrash.length; i += 16) sink += thrash[i]++;
}

function median(a) {
  a.sort((x, y) => x - y);
  return a[a.length >> 1];
}

const samples = { js: { warm: [], cold: [] }, native: { warm: [], cold: [] } };
for (let round = 0; round < 2; round++) {
  for (let i = 0; i < calls; i++) {
    const cold = (i & 1) === 1;
    const which = (i >> 1) & 1 ? 'js' : 'native';
    const fn = which === 'js' ? jsPath : nativePath;
    if (cold) trash();
    const t0 = process.hrtime.bigint();
    fn();
    const t1 = process.hrtime.bigint();
    if (round === 1) samples[which][cold ? 'cold' : 'warm'].push(Number(t1 - t0) / 1000);
    // Segments are rotated as the recorder does once lines are committed.
    if ((seq & 1023) === 0) spool.committed(seq);
  }
}
const f = (v) => v.toFixed(2);
console.log(`calls per cell ${samples.js.warm.length}; request ${rEnd} B, answer ${aEnd} B`);
console.log(`warm: js ${f(median(samples.js.warm))} µs, native ${f(median(samples.native.warm))} µs`);
console.log(`cold: js ${f(median(samples.js.cold))} µs, native ${f(median(samples.native.cold))} µs`);
spool.close(true);
rmSync(dir, { recursive: true, force: true });
if (sink === 0.5) console.log(sink);
