/**
 * `mcp-warden wrap node server.js --port 3000` (the server's own option written without `--` before
 * the command) is refused as wrap's unknown option; the hint said only "run with --help for usage",
 * not that the server command and its options go after `--`, the mistake an operator makes when
 * prefixing an existing mcpServers entry. Nothing starts. Built CLI, real process.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from './helpers/proxy.js';

describe('wrap: a server option written without --', () => {
  it('is a usage error (exit 2) whose hint says to put the server command after --', () => {
    const r = spawnSync(process.execPath, [CLI, 'wrap', '--no-audit', 'some-mcp-server', '--port', '3000'], { encoding: 'utf8', input: '' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "error: unknown option '--port'\n(run with --help for usage; the server command and its own options go after --: mcp-warden wrap [options] -- <command> [args...])\n",
    );
  });
});
