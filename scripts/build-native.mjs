#!/usr/bin/env node
// Builds the native addon in native/ (the mapped audit journal, src/audit/mapped-journal.ts) with
// the node-gyp that npm ships, against the headers of the Node that runs this script (no download).
// Run by `npm ci` / `npm install` (the package's install script) and by `npm run build:native`;
// with --if-stale (`npm run build`'s prebuild) only when the addon is missing or older than its
// sources, so a git worktree sharing another's node_modules gets it from its first build.
// It never fails the install: without the addon (not Linux, no compiler) the journal falls back to
// one write() per record, and mcp-warden says so in its log at startup.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (message) => process.stderr.write(`mcp-warden: ${message}\n`);

function nodeGyp() {
  const candidates = [];
  // npm sets these for the scripts it runs.
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) candidates.push(join(dirname(dirname(process.env.npm_execpath)), 'node_modules/node-gyp/bin/node-gyp.js'));
  // The npm installed beside this node (official tarballs, distribution packages).
  const prefix = resolve(dirname(process.execPath), '..');
  candidates.push(join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  return candidates.find((c) => existsSync(c));
}

/** The installation prefix whose include/node holds this Node's headers (so node-gyp downloads nothing). */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : undefined;
}

/** True when the built addon is at least as new as every source of it. */
function upToDate(built) {
  if (!existsSync(built)) return false;
  const at = statSync(built).mtimeMs;
  return ['native/journal_map.c', 'native/raw_check.c', 'native/raw_check.h', 'native/thread_sched.c', 'native/thread_sched.h', 'native/chain_hash.c', 'native/chain_hash.h', 'native/binding.gyp'].every((f) => statSync(join(root, f)).mtimeMs <= at);
}

function main() {
  const built = join(root, 'native/build/Release/warden_journal.node');
  if (process.argv.includes('--if-stale') && (process.platform !== 'linux' || upToDate(built))) return;
  if (process.platform !== 'linux') {
    say('the mapped audit journal addon is built on Linux only; the audit journal will use write()');
    return;
  }
  const gyp = nodeGyp();
  if (gyp === undefined) {
    say('node-gyp not found (it ships with npm); the mapped audit journal addon was not built, the audit journal will use write()');
    return;
  }
  const dir = nodeDir();
  const args = [gyp, 'rebuild', `--directory=${join(root, 'native')}`];
  if (dir !== undefined) args.push(`--nodedir=${dir}`);
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.status === 0 && existsSync(built)) return;
  say(`building the mapped audit journal addon failed (node-gyp exit ${run.status ?? run.signal}); the audit journal will use write()`);
  if (run.stderr) process.stderr.write(run.stderr.split('\n').slice(-20).join('\n') + '\n');
}

main();
