#!/usr/bin/env node
// Builds the native addon in native/ (the mapped audit journal, src/audit/mapped-journal.ts) with
// the node-gyp that npm ships, against the headers of the Node that runs this script (no download).
// Run by `npm ci` / `npm install` (the package's install script) and by `npm run build:native`;
// with --if-stale (`npm run build`'s prebuild) only when the addon is missing or older than its
// sources, so a git worktree sharing another's node_modules gets it from its first build.
// It never fails the install: without the addon (not Linux, no compiler) the journal falls back to
// one write() per record, and mcp-warden says so in its log at startup.
// A second addon, native/writer/ (the audit writer's batch loop in C on better-sqlite3's own SQLite,
// src/audit/native-writer.ts), is built separately after it, so that its failure (e.g. no
// better-sqlite3 sources to compile against) leaves the journal's addon alone: the writer then runs
// in JS.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

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
function upToDate(built, sources) {
  if (!existsSync(built)) return false;
  const at = statSync(built).mtimeMs;
  return sources.every((f) => !existsSync(f) || statSync(f).mtimeMs <= at);
}

const JOURNAL_SOURCES = ['journal_map.c', 'raw_check.c', 'raw_check.h', 'thread_sched.c', 'thread_sched.h', 'chain_hash.c', 'chain_hash.h', 'binding.gyp'].map((f) => join(root, 'native', f));
const WRITER_SOURCES = ['batch.c', 'ext.c', 'napi.c', 'row.c', 'span.c', 'writer.h', 'binding.gyp'].map((f) => join(root, 'native/writer', f));

/** better-sqlite3's sqlite3.h (the writer is compiled against it: a new one means a rebuild), or undefined. */
function sqliteHeader() {
  try {
    return join(dirname(createRequire(join(root, 'package.json')).resolve('better-sqlite3/package.json')), 'deps/sqlite3/sqlite3.h');
  } catch {
    return undefined;
  }
}

/** node-gyp rebuild in dir; the error text when it failed, else undefined. */
function gypBuild(gyp, dir, built) {
  const nodedir = nodeDir();
  const args = [gyp, 'rebuild', `--directory=${dir}`];
  if (nodedir !== undefined) args.push(`--nodedir=${nodedir}`);
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.status === 0 && existsSync(built)) return undefined;
  return `node-gyp exit ${run.status ?? run.signal}\n${(run.stderr ?? '').split('\n').slice(-20).join('\n')}`;
}

function main() {
  const built = join(root, 'native/build/Release/warden_journal.node');
  const writerBuilt = join(root, 'native/writer/build/Release/warden_writer.node');
  const header = sqliteHeader();
  const writerSources = header === undefined ? WRITER_SOURCES : [...WRITER_SOURCES, header];
  const stale = process.argv.includes('--if-stale');
  const journalStale = !stale || !upToDate(built, JOURNAL_SOURCES);
  const writerStale = !stale || !upToDate(writerBuilt, writerSources);
  if (stale && (process.platform !== 'linux' || (!journalStale && !writerStale))) return;
  if (process.platform !== 'linux') {
    say('the mapped audit journal addon is built on Linux only; the audit journal will use write()');
    return;
  }
  const gyp = nodeGyp();
  if (gyp === undefined) {
    say('node-gyp not found (it ships with npm); the mapped audit journal addon was not built, the audit journal will use write()');
    return;
  }
  if (journalStale) {
    const failed = gypBuild(gyp, join(root, 'native'), built);
    if (failed !== undefined) say(`building the mapped audit journal addon failed (${failed.trimEnd()}); the audit journal will use write()`);
  }
  if (writerStale) {
    const failed = header === undefined ? 'better-sqlite3 not found' : gypBuild(gyp, join(root, 'native/writer'), writerBuilt);
    if (failed !== undefined) say(`building the native audit writer addon failed (${failed.trimEnd()}); the audit writer will run in JS`);
  }
}

main();
