#!/usr/bin/env node
/**
 * `npm run conformance`: runs the server scenarios of @modelcontextprotocol/conformance (all
 * suites, with a Node 22 binary fetched from npm) against three targets and prints one table:
 *   direct       our conformance test server over Streamable HTTP
 *   serve→http   mcp-warden serve (Streamable HTTP frontend) → that server over HTTP
 *   serve→stdio  mcp-warden serve (Streamable HTTP frontend) → the same server as a stdio backend
 * A scenario is PASS (no failed and no warning check), WARN (warnings only) or FAIL (a failed
 * check, or no result). Exit 1 when any scenario does worse through mcp-warden than direct;
 * exit 2 when the harness itself cannot run (e.g. Node 22 cannot be fetched).
 * Options: --json FILE (write results), --targets direct,serve-http,serve-stdio, --verbose.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureNode22 } from './lib/node22.mjs';
import { ROOT, startHttpTestServer, startServe } from './lib/procs.mjs';

const SUITE_CLI = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const TEST_SERVER = path.join(ROOT, 'test', 'servers', 'conformance-server.mjs');
const RANK = { PASS: 2, WARN: 1, FAIL: 0, MISSING: 0 };
const ALL_TARGETS = ['direct', 'serve-http', 'serve-stdio'];

const { values: opts } = parseArgs({
  options: { json: { type: 'string' }, targets: { type: 'string' }, verbose: { type: 'boolean', default: false } },
});
const targets = opts.targets ? opts.targets.split(',') : ALL_TARGETS;
const log = (m) => process.stderr.write(`${m}\n`);

function run(binary, args, timeoutMs) {
  return new Promise((resolve) => {
    execFile(binary, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr, killed: err?.killed ?? false }),
    );
  });
}

async function listScenarios(node22) {
  const { stdout, stderr, code } = await run(node22, [SUITE_CLI, 'list', '--server'], 60_000);
  const names = [...`${stdout}\n${stderr}`.matchAll(/^\s+-\s+(\S+)/gm)].map((m) => m[1]);
  if (names.length === 0) throw new Error(`conformance list --server printed no scenarios (exit ${code}): ${stderr}`);
  return names;
}

/** Status of one scenario from its checks.json entries. */
function classify(checks) {
  if (checks.some((c) => c.status === 'FAILURE')) return 'FAIL';
  if (checks.some((c) => c.status === 'WARNING')) return 'WARN';
  return 'PASS';
}

/** Run the whole suite against `url`; returns { scenario: { status, problems[] } }. */
async function runSuite(node22, url, label) {
  const out = await mkdtemp(path.join(os.tmpdir(), `conformance-${label}-`));
  try {
    const res = await run(node22, [SUITE_CLI, 'server', '--url', url, '--suite', 'all', '-o', out], 300_000);
    if (res.killed) log(`${label}: the conformance suite timed out`);
    if (opts.verbose) log(res.stdout);
    const results = {};
    for (const dir of await readdir(out)) {
      const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(dir);
      if (!m) continue;
      const checks = JSON.parse(await readFile(path.join(out, dir, 'checks.json'), 'utf8'));
      const problems = checks
        .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
        .map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description}`);
      // INFO checks other than request/response traces say what the suite could not exercise.
      const notes = checks
        .filter((c) => c.status === 'INFO' && !/^(incoming|outgoing)-/.test(c.id))
        .map((c) => `${c.id}: ${c.details?.message ?? c.description}`);
      results[m[1]] = { status: classify(checks), problems, notes };
    }
    return results;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function runTarget(node22, target, directUrl) {
  if (target === 'direct') return runSuite(node22, directUrl, target);
  const backend =
    target === 'serve-http'
      ? { transport: 'streamable-http', url: directUrl }
      : { transport: 'stdio', command: process.execPath, args: [TEST_SERVER] };
  let serve;
  try {
    serve = await startServe(backend);
  } catch (err) {
    log(`${target}: ${err.message}`);
    return { __error: err.message.split('\n')[0] };
  }
  try {
    return await runSuite(node22, serve.url, target);
  } finally {
    await serve.stop();
  }
}

function printTable(scenarios, results) {
  const head = ['scenario', ...targets];
  const rows = scenarios.map((s) => [s, ...targets.map((t) => results[t][s]?.status ?? 'MISSING')]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function main() {
  let node22;
  try {
    node22 = ensureNode22({ log });
  } catch (err) {
    log(`conformance: ${err.message}`);
    process.exit(2);
  }
  const scenarios = await listScenarios(node22);
  const direct = await startHttpTestServer(TEST_SERVER);
  const results = {};
  try {
    for (const t of targets) {
      log(`running ${scenarios.length} scenarios: ${t} ...`);
      results[t] = await runTarget(node22, t, direct.url);
    }
  } finally {
    await direct.stop();
  }

  printTable(scenarios, results);
  const regressions = [];
  for (const t of targets.filter((x) => x !== 'direct')) {
    if (results[t].__error) console.log(`\n${t}: could not start (every scenario counts as a regression): ${results[t].__error}`);
    for (const s of scenarios) {
      const before = results.direct?.[s]?.status ?? 'MISSING';
      const after = results[t][s]?.status ?? 'MISSING';
      if (targets.includes('direct') && RANK[after] < RANK[before]) regressions.push({ target: t, scenario: s, direct: before, through: after, problems: results[t][s]?.problems ?? [] });
    }
  }
  for (const r of regressions) {
    if (results[r.target].__error) continue;
    console.log(`\nREGRESSION ${r.scenario} via ${r.target}: direct ${r.direct}, through ${r.through}`);
    for (const p of r.problems) console.log(`  ${p}`);
  }
  for (const t of targets.filter((x) => x !== 'direct' && !results[x].__error)) {
    for (const s of scenarios) {
      const before = results.direct?.[s];
      const after = results[t][s];
      if (before && after && RANK[after.status] > RANK[before.status]) {
        console.log(`\nbetter through ${t}: ${s} (direct ${before.status}: ${before.problems.join('; ')})`);
        for (const n of after.notes) console.log(`  through: ${n}`);
      }
    }
  }
  const summary = targets.map((t) => `${t}: ${scenarios.filter((s) => results[t][s]?.status === 'PASS').length}/${scenarios.length} pass`);
  console.log(`\n${summary.join(', ')}; ${regressions.length} regression(s) through mcp-warden`);
  if (opts.json) await writeFile(opts.json, JSON.stringify({ scenarios, targets, results, regressions }, null, 2));
  process.exit(regressions.length > 0 ? 1 : 0);
}

main().catch((err) => {
  log(`conformance: ${err.stack ?? err}`);
  process.exit(2);
});
