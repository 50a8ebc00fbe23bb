/**
 * Hot reload end to end through `mcp-warden wrap` (built CLI) in front of our Qubinode test server:
 * under a steady load of tools/call, a new good policy file is swapped in without dropping or
 * failing a request; a broken policy file keeps the previous policy in force and logs
 * file:line:col; SIGHUP reloads when file watching is off; and at startup a broken policy stops
 * mcp-warden with that message and exit code 3.
 */
import { spawnSync } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, waitFor, type StdioConnection } from './helpers/proxy.js';
import { resultText, scratch, SERVERS, wrapWithPolicy, type Scratch } from './helpers/policy-e2e.js';

const QUBINODE = [process.execPath, `${SERVERS}/qubinode-server.mjs`];

/** Writes a policy file as deployment tools do: elsewhere, then renamed into place (never read half-written). */
async function replaceFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

function policy(version: string, denyListDags: boolean): string {
  return `package mcp.authz

import rego.v1

allow if input.method in {"initialize", "ping", "tools/list"}

allow if input.tool.backend_name in {"list_dags", "list_vms"}
${denyListDags ? `\ndeny contains "list_dags is closed (policy ${version})" if input.tool.backend_name == "list_dags"\n` : ''}`;
}

const BROKEN = `package mcp.authz

import rego.v1

allow if {
	input.tool.backend_name ==
}
`;

describe('hot reload under load', () => {
  let s: Scratch;
  let conn: StdioConnection;
  let file: string;
  beforeAll(async () => {
    s = await scratch();
    file = await s.write('policy.rego', policy('v1', false));
    conn = await wrapWithPolicy(s, QUBINODE, { policy: file, env: { MCP_WARDEN_LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    await conn?.close();
    await s?.remove();
  });

  it('swaps a good policy without dropping a request, then keeps it when the next one is broken', async () => {
    const outcomes: Array<'allowed' | 'denied-v2' | 'other'> = [];
    let sent = 0;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        sent++;
        const result = await conn.client.callTool({ name: 'list_dags', arguments: {} });
        const text = resultText(result);
        outcomes.push(
          result.isError !== true && text.includes('qubinode_deploy') ? 'allowed' : text === 'Denied by policy: list_dags is closed (policy v2)' ? 'denied-v2' : 'other',
        );
      }
    };
    const workers = Array.from({ length: 8 }, () => worker());
    await waitFor(() => outcomes.length >= 100, 30_000, '100 answers under v1');
    await replaceFile(file, policy('v2', true));
    await waitFor(() => outcomes.slice(-20).every((o) => o === 'denied-v2') && outcomes.length > 200, 30_000, 'v2 in force');

    const beforeBroken = outcomes.length;
    await replaceFile(file, BROKEN);
    await waitFor(() => /policy reload failed/.test(conn.stderr()), 30_000, 'reload failure logged');
    await waitFor(() => outcomes.length >= beforeBroken + 100, 30_000, '100 more answers after the broken write');
    stop = true;
    await Promise.all(workers);

    expect(outcomes.length).toBe(sent);
    expect(outcomes.filter((o) => o === 'other')).toEqual([]);
    const firstDenied = outcomes.indexOf('denied-v2');
    expect(firstDenied).toBeGreaterThanOrEqual(100);
    // Once v2 answered, nothing but v2 (a few in flight may have been decided just before the swap).
    expect(outcomes.slice(firstDenied + 8).every((o) => o === 'denied-v2')).toBe(true);
    expect(outcomes.slice(beforeBroken).every((o) => o === 'denied-v2')).toBe(true);
    expect(conn.stderr()).toMatch(/policy\.rego:7:1: rego_parse_error: unexpected } token/);
    expect(conn.stderr()).toContain('keeping the policy in force');
  }, 120_000);
});

describe('SIGHUP reload', () => {
  it('reloads the policy on SIGHUP when file watching is off', async () => {
    const s = await scratch();
    const file = await s.write('policy.rego', policy('v1', false));
    const cfg = await s.write('warden.yaml', `backends: [{ name: x, transport: stdio, command: unused }]\npolicy: { paths: [${JSON.stringify(file)}], watch: false }\n`);
    const conn = await wrapWithPolicy(s, QUBINODE, { config: cfg, env: { MCP_WARDEN_LOG_LEVEL: 'info' } });
    try {
      expect(resultText(await conn.client.callTool({ name: 'list_dags', arguments: {} }))).toContain('qubinode_deploy');
      await writeFile(file, policy('v2', true));
      await new Promise((r) => setTimeout(r, 300));
      expect(resultText(await conn.client.callTool({ name: 'list_dags', arguments: {} }))).toContain('qubinode_deploy');
      process.kill(conn.pid, 'SIGHUP');
      await waitFor(async () => resultText(await conn.client.callTool({ name: 'list_dags', arguments: {} })).includes('policy v2'), 30_000, 'v2 after SIGHUP');
      // The new policy decides before its log line need have reached our end of the stderr pipe.
      await waitFor(() => conn.stderr().includes('"msg":"policy reloaded"'), 30_000, 'the reload logged');
      // A SIGHUP that finds nothing changed says so (it used to log nothing: `systemctl reload` left no trace).
      process.kill(conn.pid, 'SIGHUP');
      await waitFor(() => conn.stderr().includes('policy reloaded on SIGHUP: unchanged'), 30_000, 'the unchanged reload logged');
    } finally {
      await conn.close();
      await s.remove();
    }
  });
});

describe('a broken policy at startup', () => {
  it('stops mcp-warden with file:line:col and exit code 3', async () => {
    const s = await scratch();
    try {
      const file = await s.write('broken.rego', BROKEN);
      const run = spawnSync(process.execPath, [CLI, 'wrap', '--no-audit', '--policy', file, '--', ...QUBINODE], { encoding: 'utf8', input: '', timeout: 60_000 });
      expect(run.status).toBe(3);
      expect(run.stderr).toMatch(/^mcp-warden: policy: .*broken\.rego:7:1: rego_parse_error: unexpected } token/m);
      const missing = spawnSync(process.execPath, [CLI, 'wrap', '--no-audit', '--policy', 'no-such-pack', '--', ...QUBINODE], { encoding: 'utf8', input: '', timeout: 60_000 });
      expect(missing.status).toBe(3);
      expect(missing.stderr).toContain("policy 'no-such-pack' not found");
      expect(missing.stderr).toContain('packs: allow-all, containarium, default, kubernetes, nomad, orchestrator, qubinode, read-only');
    } finally {
      await s.remove();
    }
  });
});
