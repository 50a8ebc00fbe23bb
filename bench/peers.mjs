/**
 * Peer proxies for comparison (not dependencies of mcp-warden): the npm packages mcp-proxy and
 * supergateway, installed on first use into the gitignored .cache/peers, each serving our stdio
 * bench server over Streamable HTTP, compared with `serve` in front of the same stdio server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, freePort, startProcess, waitForPort } from '../scripts/lib/procs.mjs';
import { HttpSession } from './load-http.mjs';

const DIR = path.join(ROOT, '.cache', 'peers');
const PACKAGES = ['mcp-proxy@6', 'supergateway@4'];
const BIN = {
  'mcp-proxy': path.join(DIR, 'node_modules', 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs'),
  supergateway: path.join(DIR, 'node_modules', 'supergateway', 'dist', 'index.js'),
};

let installError;
/** Installs the peers once; returns a reason string when they are not available. */
export function peersUnavailable() {
  if (Object.values(BIN).every((b) => existsSync(b))) return undefined;
  if (installError) return installError;
  try {
    mkdirSync(DIR, { recursive: true });
    process.stderr.write(`installing ${PACKAGES.join(', ')} into .cache/peers ...\n`);
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', DIR, ...PACKAGES], { stdio: 'ignore', timeout: 180_000 });
  } catch (err) {
    installError = `npm install of peers failed: ${err.message.split('\n')[0]}`;
    return installError;
  }
  return Object.values(BIN).every((b) => existsSync(b)) ? undefined : 'peer binaries missing after install';
}

/** Start a peer gateway on a free port in front of `backendArgv` (stdio) and open a session to it. */
export async function startPeer(name, backendArgv) {
  const port = await freePort();
  const args =
    name === 'mcp-proxy'
      ? [BIN['mcp-proxy'], '--host', '127.0.0.1', '--port', String(port), '--server', 'stream', '--streamEndpoint', '/mcp', '--', ...backendArgv]
      : [
          BIN.supergateway,
          '--stdio',
          backendArgv.map((a) => JSON.stringify(a)).join(' '),
          '--outputTransport',
          'streamableHttp',
          '--stateful',
          '--port',
          String(port),
          '--streamableHttpPath',
          '/mcp',
          '--logLevel',
          'none',
        ];
  const handle = startProcess(process.execPath, args);
  try {
    await waitForPort(port, 20_000, handle.proc);
    const session = await new HttpSession({ url: `http://127.0.0.1:${port}/mcp` }).open();
    return {
      session,
      proxyPid: handle.proc.pid,
      stop: async () => {
        await session.close();
        await handle.stop();
      },
    };
  } catch (err) {
    await handle.stop();
    throw new Error(`${name}: ${err.message}\n${handle.stderrLines.join('\n')}`);
  }
}
